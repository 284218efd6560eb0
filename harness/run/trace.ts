/**
 * bpf_printk output: the translator's trace_pipe, read for the whole lab run
 * and kept in results/<lab>/<run-id>/trace.txt. tracefs is mounted on demand (it is not
 * mounted at boot: docs/environment.md). trace_pipe is one per machine, so what a lab
 * records can include other programs' lines: the file says so.
 */
import { spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { run } from "../exec/command.ts";
import { onCleanup } from "../exec/cleanup.ts";
import { trackProcess } from "../exec/owner.ts";
import { STAT_ITEMS } from "../bpf/stats.ts";

/** "nat64 6to4: drop item 8" -> "nat64 6to4: drop item 8 (dropped.truncated)": the counter's name, as natlab stats shows it. */
export function nameDrops(text: string): string {
  return text.replace(/(nat64 (?:6to4|4to6): drop item )(\d+)/g, (m, head: string, n: string) => {
    const name = STAT_ITEMS[Number(n)];
    return name ? `${head}${n} (${name})` : m;
  });
}

const TRACEFS = "/sys/kernel/tracing";

export async function ensureTracefs(): Promise<boolean> {
  if (existsSync(`${TRACEFS}/trace_pipe`)) return true;
  await run(["mount", "-t", "tracefs", "nodev", TRACEFS], { allowFail: true });
  return existsSync(`${TRACEFS}/trace_pipe`);
}

export interface TraceRecorder {
  /** A position in the trace, to read what came after it (a flow's own lines). */
  mark(): number;
  since(mark: number): string;
  stop(file: string): Promise<void>;
}

/** The one trace_pipe reader of this process, shared by the labs it runs at once (`natlab run -j`). */
let shared: { text: string; users: number; stop: () => void } | undefined;

/**
 * trace_pipe hands each line to one reader only, so labs that run side by
 * side in one process share a reader: each keeps the text from its own start
 * on, and the last one to stop ends it.
 */
export async function recordTrace(): Promise<TraceRecorder> {
  if (!(await ensureTracefs())) {
    return {
      mark: () => 0,
      since: () => "",
      stop: async (file) => writeFileSync(file, "# tracefs is not available: no bpf_printk output recorded\n"),
    };
  }
  if (!shared) {
    const child = spawn("cat", [`${TRACEFS}/trace_pipe`], { stdio: ["ignore", "pipe", "ignore"] });
    const unregister = onCleanup("trace_pipe reader", () => void child.kill());
    // In the owner record, so a natlab killed with SIGKILL does not leave it reading.
    const forget = trackProcess(child.pid, "trace_pipe reader");
    child.on("exit", forget);
    const reader = {
      text: "",
      users: 0,
      stop: () => {
        unregister();
        child.kill();
      },
    };
    child.stdout.on("data", (d: Buffer) => (reader.text += d.toString()));
    shared = reader;
  }
  const reader = shared;
  reader.users++;
  const start = reader.text.length;
  return {
    mark: () => reader.text.length,
    since: (mark: number) => nameDrops(reader.text.slice(mark)),
    async stop(file: string) {
      await new Promise((r) => setTimeout(r, 100));
      const text = reader.text.slice(start);
      if (--reader.users === 0) {
        reader.stop();
        if (shared === reader) shared = undefined;
      }
      const head = "# bpf_printk output (trace_pipe) during this lab run; trace_pipe is machine-wide\n";
      writeFileSync(file, head + (nameDrops(text) || "# (no bpf_printk output: the translator prints a line only when it drops a packet)\n"));
    },
  };
}
