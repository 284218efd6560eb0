/**
 * Lab services (a TAYGA, a server): started after the topology is built and
 * before the first flow, each waited on until ready, and stopped with the
 * lab. A service that exits early fails the lab with its output.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { run } from "../exec/command.ts";
import type { Service } from "../lab/schema.ts";
import { type Background, startBackground, waitFor } from "./process.ts";

/** `{run}` in service commands and files is the run's scratch directory. */
export function expandRun(text: string, runDir: string): string {
  return text.replaceAll("{run}", runDir);
}

/** Starts a lab service and waits until it is ready; with `keep`, its output goes to a file in runDir so it can outlive natlab. */
export async function startService(
  svc: Service,
  realNs: string,
  runDir: string,
  root: string,
  keep = false,
): Promise<Background> {
  for (const [path, content] of Object.entries(svc.files ?? {})) {
    const p = expandRun(path, runDir);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, expandRun(content, runDir));
  }
  const bg = startBackground(
    svc.cmd.map((a) => expandRun(a, runDir)),
    {
      ns: realNs,
      cwd: root,
      what: `service ${svc.name}`,
      logFile: keep ? join(runDir, `service-${svc.name}.log`) : undefined,
    },
  );
  let exitCode: number | undefined;
  void bg.exited.then((c) => (exitCode = c));
  const ready = svc.ready;
  try {
    await waitFor(
      `service ${svc.name} to be ready`,
      async () => {
        if (exitCode !== undefined)
          throw new Error(
            `service ${svc.name} exited with ${exitCode} before it was ready:\n    ${bg.output().trim()}`,
          );
        if (!ready) return true;
        if ("delay" in ready) {
          await new Promise((r) => setTimeout(r, ready.delay * 1000));
          return true;
        }
        if ("dev" in ready)
          return (await run(["ip", "link", "show", "dev", ready.dev], { ns: realNs, allowFail: true })).exitCode === 0;
        if ("cmd" in ready) return (await run(ready.cmd, { ns: realNs, allowFail: true, cwd: root })).exitCode === 0;
        const proto = "tcp" in ready ? "t" : "u";
        const port = "tcp" in ready ? ready.tcp.port : ready.udp.port;
        const ss = await run(["ss", `-ln${proto}H`], { ns: realNs, allowFail: true });
        return ss.stdout.split("\n").some((l) => new RegExp(`:${port}\\s`).test(l));
      },
      svc.timeout,
      100,
    );
  } catch (err) {
    await bg.stop();
    throw err;
  }
  return bg;
}
