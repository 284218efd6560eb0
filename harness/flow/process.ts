/**
 * Background programs inside a namespace (traffic servers, lab services):
 * started, waited on until ready, and always stopped with the run.
 */
import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { onCleanup } from "../exec/cleanup.ts";
import { inNamespace, toolEnv } from "../exec/command.ts";
import { trackProcess } from "../exec/owner.ts";

export interface Background {
  argv: string[];
  /** Resolves with the exit code once the program ends (by itself or by stop()). */
  exited: Promise<number>;
  output(): string;
  stop(): Promise<void>;
  /** Leave it running after natlab exits (a lab that stays up): no stop at exit; the owner record still names it. */
  keep(): void;
}

/**
 * Starts argv (in a namespace). With logFile its output goes to that file
 * instead of a pipe, so it can outlive natlab (see keep()).
 */
export function startBackground(
  argv: string[],
  opts: { ns?: string; cwd?: string; what: string; logFile?: string },
): Background {
  const full = inNamespace(argv, opts.ns);
  const log = opts.logFile ? openSync(opts.logFile, "a") : undefined;
  const stdio = log === undefined ? (["ignore", "pipe", "pipe"] as const) : (["ignore", log, log] as const);
  const child = spawn(full[0], full.slice(1), {
    cwd: opts.cwd,
    stdio: [...stdio],
    env: toolEnv(),
    detached: log !== undefined,
  });
  if (log !== undefined) closeSync(log);
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const output = () => (opts.logFile ? readFileSync(opts.logFile, "utf8") : out);
  let code: number | undefined;
  // In the owner record, so a natlab killed with SIGKILL does not leave it running.
  const forget = trackProcess(child.pid, opts.what);
  const exited = new Promise<number>((resolve) => {
    child.on("exit", (c, sig) => {
      forget();
      code = c ?? (sig ? 128 : 1);
      resolve(code);
    });
    child.on("error", (e) => {
      out += `\n${e.message}`;
      code = 127;
      resolve(127);
    });
  });
  const unregister = onCleanup(opts.what, () => stop());
  async function stop(): Promise<void> {
    unregister();
    if (code === undefined) {
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 2000);
      await exited;
      clearTimeout(t);
    }
  }
  function keep(): void {
    unregister();
    child.unref();
  }
  return { argv: full, exited, output, stop, keep };
}

/** Wait until `ready()` is true, polling; fail with `what` after timeoutSec. */
export async function waitFor(
  what: string,
  ready: () => Promise<boolean> | boolean,
  timeoutSec: number,
  everyMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutSec * 1000;
  while (Date.now() < deadline) {
    if (await ready()) return;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutSec}s waiting for ${what}`);
}
