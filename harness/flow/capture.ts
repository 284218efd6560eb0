/**
 * tcpdump captures inside lab namespaces.
 *
 * Each capture starts before the flow sends anything, and is considered
 * started only once tcpdump says "listening on" (a capture that is still
 * opening its socket misses the first packets). --immediate-mode and -U make
 * it write every packet as it comes, so stopping it loses nothing.
 */
import { spawn } from "node:child_process";
import { statSync } from "node:fs";
import { onCleanup } from "../exec/cleanup.ts";
import { inNamespace, toolEnv } from "../exec/command.ts";
import { trackProcess } from "../exec/owner.ts";

export interface Capture {
  ns: string;
  dev: string;
  file: string;
  direction: "inout" | "in" | "out";
  /** Resolves once the capture file has stopped growing (see untilQuiet). */
  quiet(): Promise<void>;
  stop(): Promise<void>;
}

/** How long the file must stay the same size to count as quiet, and the bound on the wait. */
const QUIET_MS = 300;
const QUIET_BOUND_MS = 4000;

/**
 * Waits until `file` has kept its size for QUIET_MS, at most QUIET_BOUND_MS.
 * tcpdump writes each packet as it reads it, but on two busy cores it may
 * read them late, and one stopped at once loses what it has not read yet:
 * labs side by side (`natlab run -j`) lost the last pings of a flow that way.
 */
export async function untilQuiet(file: string, quietMs = QUIET_MS, boundMs = QUIET_BOUND_MS): Promise<void> {
  const size = () => {
    try {
      return statSync(file).size;
    } catch {
      return -1;
    }
  };
  const started = Date.now();
  let last = size();
  let since = Date.now();
  while (Date.now() - started < boundMs) {
    await new Promise((r) => setTimeout(r, 50));
    const now = size();
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
  }
}

/**
 * How long tcpdump may take to say it is listening. It takes milliseconds on
 * a quiet machine; labs side by side (`natlab run -j`) on two busy cores have
 * seen more than 5 s. The bound costs nothing when things are well.
 */
export const STARTUP_SEC = 30;

export function startCapture(
  ns: string,
  dev: string,
  file: string,
  direction: Capture["direction"] = "inout",
  timeoutSec = STARTUP_SEC,
): Promise<Capture> {
  const argv = inNamespace(
    ["tcpdump", "-i", dev, "-Q", direction, "-w", file, "-U", "--immediate-mode", "-n", "-s", "0", "-Z", "root"],
    ns,
  );
  const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "ignore", "pipe"], env: toolEnv() });
  let stderr = "";
  let exited = false;
  const forget = trackProcess(child.pid, `tcpdump on ${ns}:${dev}`);
  const done = new Promise<void>((resolve) =>
    child.on("exit", () => {
      forget();
      exited = true;
      resolve();
    }),
  );
  const unregister = onCleanup(`capture on ${ns}:${dev}`, () => stop());
  async function stop(): Promise<void> {
    unregister();
    if (!exited) {
      child.kill("SIGINT");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await done;
      clearTimeout(timer);
    }
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`tcpdump on ${ns}:${dev} did not start listening within ${timeoutSec}s: ${stderr.trim()}`));
    }, timeoutSec * 1000);
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes("listening on")) {
        clearTimeout(timer);
        resolve({ ns, dev, file, direction, quiet: () => untilQuiet(file), stop });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`tcpdump on ${ns}:${dev} exited with ${code} before listening: ${stderr.trim()}`));
    });
  });
}
