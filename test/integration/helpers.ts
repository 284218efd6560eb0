/** Shared by the integration tests: run the real CLI, list natlab namespaces. */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { natlabNamespaces as natlabNamespacesNow } from "../../harness/exec/netns.ts";
import { type OwnerRecord, readRecords } from "../../harness/exec/owner.ts";
import { ROOT } from "../../harness/root.ts";

export { natlabNamespaces } from "../../harness/exec/netns.ts";

export { ROOT };
export const NATLAB = join(ROOT, "bin/natlab");

export interface CliResult {
  code: number;
  out: string;
}

/** Runs `natlab ARGS...` and collects stdout+stderr (no colour). */
export function natlab(
  args: string[],
  opts: {
    onOutput?: (text: string, child: ReturnType<typeof spawn>) => void;
    onSpawn?: (child: ReturnType<typeof spawn>) => void;
  } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(NATLAB, args, {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    opts.onSpawn?.(child);
    let out = "";
    const take = (d: Buffer) => {
      out += d.toString();
      opts.onOutput?.(out, child);
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("exit", (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), out }));
  });
}

/**
 * The run directories a natlab run printed ("LAB: … ; results in results/LAB/RUN-ID/"), by lab.
 * Other runs of the same lab may finish beside the test's, so tests read their own run, never `latest`.
 */
export function runDirs(out: string): Record<string, string> {
  const dirs: Record<string, string> = {};
  for (const m of out.matchAll(/^(?:\[[^\]]+\] )?([a-z][a-z0-9-]*): .*; results in (\S+?)\/?$/gm))
    dirs[m[1]] = resolve(ROOT, m[2]);
  return dirs;
}

/** veth devices anywhere in the root namespace whose name came from a lab (they would be orphans). */
export function rootVeths(names: string[]): string[] {
  const have = readdirSync("/sys/class/net");
  return names.filter((n) => have.includes(n));
}

/** The owner records under /run/natlab (see harness/exec/owner.ts), by run id. */
export function ownerRecords(): Map<string, OwnerRecord> {
  return new Map(readRecords().map((x) => [x.record.runId, x.record]));
}

/** The run id of the natlab process `pid` once its owner record exists; undefined if none appears within timeoutMs. */
export async function runIdOf(pid: number | undefined, timeoutMs = 30_000): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const r of ownerRecords().values()) if (r.pid === pid) return r.runId;
    await new Promise((r) => setTimeout(r, 20));
  }
  return undefined;
}

/** natlab namespaces of one run (others may run labs beside the tests). */
export function namespacesOfRun(runId: string): string[] {
  return natlabNamespacesNow().filter((n) => n.startsWith(`natlab-${runId}-`));
}
