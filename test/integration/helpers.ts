/** Shared by the integration tests: run the real CLI, list natlab namespaces. */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { ROOT } from "../../harness/root.ts";

export { natlabNamespaces } from "../../harness/exec/netns.ts";

export { ROOT };
export const NATLAB = join(ROOT, "bin/natlab");

export interface CliResult {
  code: number;
  out: string;
}

/** Runs `natlab ARGS...` and collects stdout+stderr (no colour). */
export function natlab(args: string[], opts: { onOutput?: (text: string, child: ReturnType<typeof spawn>) => void } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(NATLAB, args, { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
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
  for (const m of out.matchAll(/^(?:\[[^\]]+\] )?([a-z][a-z0-9-]*): .*; results in (\S+?)\/?$/gm)) dirs[m[1]] = resolve(ROOT, m[2]);
  return dirs;
}

/** veth devices anywhere in the root namespace whose name came from a lab (they would be orphans). */
export function rootVeths(names: string[]): string[] {
  const have = readdirSync("/sys/class/net");
  return names.filter((n) => have.includes(n));
}
