/**
 * bpf_printk output: the translator's lines, read for the whole lab run and
 * kept in results/<lab>/<run-id>/trace.txt. tracefs is mounted on demand (it
 * is not mounted at boot: docs/environment.md).
 *
 * Each lab run reads a tracefs instance of its own
 * (/sys/kernel/tracing/instances/natlab-<run-id>, with the bpf_trace_printk
 * event on), not the machine's one trace_pipe: that one takes a single reader
 * (a second open is refused with EBUSY), so a lab beside another natlab run
 * recorded nothing, and a reader shared by the labs of one `natlab run -j`
 * was stopped by the first lab's teardown. The event is machine-wide, so
 * what a lab records can include other programs' lines: the file says so.
 * The instance and its reader are in the lab's owner record, so the sweep
 * removes them after a SIGKILL.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { STAT_ITEMS } from "../bpf/stats.ts";
import { onCleanup } from "../exec/cleanup.ts";
import { run } from "../exec/command.ts";
import type { Owner } from "../exec/owner.ts";
import { removeTraceInstance } from "../exec/sweep.ts";

/** "nat64 6to4: drop item 8" -> "nat64 6to4: drop item 8 (dropped.truncated)": the counter's name, as natlab stats shows it. */
export function nameDrops(text: string): string {
  return text.replace(/(nat64 (?:6to4|4to6): drop item )(\d+)/g, (m, head: string, n: string) => {
    const name = STAT_ITEMS[Number(n)];
    return name ? `${head}${n} (${name})` : m;
  });
}

const TRACEFS = "/sys/kernel/tracing";
/** The event bpf_trace_printk() writes to (kernel/trace/bpf_trace.c), under an instance's events/. */
const PRINTK_EVENT = "events/bpf_trace/bpf_trace_printk/enable";

export async function ensureTracefs(): Promise<boolean> {
  if (existsSync(`${TRACEFS}/trace_pipe`)) return true;
  await run(["mount", "-t", "tracefs", "nodev", TRACEFS], { allowFail: true });
  return existsSync(`${TRACEFS}/trace_pipe`);
}

/** The tracefs instance directory of a run (tracefs makes its files on mkdir and removes them on rmdir). */
export function traceInstance(runId: string): string {
  return `${TRACEFS}/instances/natlab-${runId}`;
}

/**
 * Makes the run's instance with the bpf_printk event on; undefined when this
 * kernel has no instances or no such event (the file then says so).
 */
function makeInstance(owner: Owner): string | undefined {
  const dir = traceInstance(owner.record.runId);
  // Recorded before it exists: a kill between the two leaves nothing unlisted.
  owner.record.tracefs = [...(owner.record.tracefs ?? []), dir];
  owner.save();
  try {
    mkdirSync(dir);
    writeFileSync(`${dir}/${PRINTK_EVENT}`, "1");
    return dir;
  } catch {
    removeTraceInstance(dir);
    return undefined;
  }
}

export interface TraceRecorder {
  /** A position in the trace, to read what came after it (a flow's own lines). */
  mark(): number;
  since(mark: number): string;
  stop(file: string): Promise<void>;
}

const HEAD = "# bpf_printk output (the bpf_trace_printk event) during this lab run; the event is machine-wide\n";
const NONE = "# (no bpf_printk output: the translator prints a line only when it drops a packet)\n";

/** Reads the bpf_printk lines of one lab run, from a tracefs instance of the run's own. */
export async function recordTrace(owner: Owner): Promise<TraceRecorder> {
  const dir = (await ensureTracefs()) ? makeInstance(owner) : undefined;
  if (!dir) {
    return {
      mark: () => 0,
      since: () => "",
      stop: async (file) =>
        writeFileSync(
          file,
          "# tracefs instances or the bpf_trace_printk event are not available: no bpf_printk output recorded\n",
        ),
    };
  }
  let text = "";
  let error = "";
  const child: ChildProcess = spawn("cat", [`${dir}/trace_pipe`], { stdio: ["ignore", "pipe", "pipe"] });
  const forget = child.pid === undefined ? () => {} : owner.addProcess(child.pid, "trace_pipe reader");
  const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
  child.stdout?.on("data", (d: Buffer) => (text += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (error += d.toString()));
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    child.kill();
    await exited;
    forget();
    removeTraceInstance(dir);
  };
  const unregister = onCleanup("trace_pipe reader", stop);
  return {
    mark: () => text.length,
    since: (mark: number) => nameDrops(text.slice(mark)),
    async stop(file: string) {
      // The last lines of the last flow are in the instance's buffer: give the reader a moment to take them.
      await new Promise((r) => setTimeout(r, 100));
      unregister();
      await stop();
      const failed = error.trim() ? `# the reader of ${dir}/trace_pipe failed: ${error.trim()}\n` : "";
      writeFileSync(file, HEAD + failed + (nameDrops(text) || NONE));
    },
  };
}
