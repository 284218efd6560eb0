/**
 * The `run` flows: real programs in lab namespaces. ping is iputils' ping;
 * TCP and UDP exchanges use natlab's traffic helper (harness/traffic/peer.mjs),
 * which checks every byte at both ends.
 */
import { join } from "node:path";
import { run } from "../exec/command.ts";
import type { RunSpec } from "../lab/schema.ts";
import { STARTUP_SEC } from "./capture.ts";
import { startBackground, waitFor } from "./process.ts";

export interface ProgramResult {
  ok: boolean;
  /** One line for the report: what ran and what came of it. */
  summary: string;
  /** The programs' output, kept for the report when something failed. */
  output: string;
}

/** Resolves a lab namespace name to its real name. */
export type NsMap = (labNs: string) => string;

function peerArgv(root: string, mode: string, args: string[]): string[] {
  return [process.execPath, join(root, "harness/traffic/peer.mjs"), mode, ...args];
}

/** `runDir` replaces `{run}` in a `cmd` flow's argv (the directory services write their files to). */
export async function runProgram(spec: RunSpec, nsOf: NsMap, root: string, runDir = ""): Promise<ProgramResult> {
  if ("ping" in spec) {
    const p = spec.ping;
    const argv = ["ping", "-n", "-c", String(p.count), "-i", "0.2", "-W", "2"];
    if (p.size !== undefined) argv.push("-s", String(p.size));
    if (p.dev) argv.push("-I", p.dev);
    else if (p.from) argv.push("-I", p.from);
    argv.push(p.to);
    const r = await run(argv, { ns: nsOf(p.ns), allowFail: true, timeoutSec: p.timeout + p.count });
    const m = /(\d+) packets transmitted, (\d+) received/.exec(r.stdout);
    const received = m ? Number(m[2]) : 0;
    return {
      ok: r.exitCode === 0 && received === p.count,
      summary: `ping ${p.to}: ${m ? `${m[1]} sent, ${m[2]} received` : `exit ${r.exitCode}`}`,
      output: r.stdout + r.stderr,
    };
  }
  if ("cmd" in spec) {
    const c = spec.cmd;
    const argv = c.argv.map((a) => a.replaceAll("{run}", runDir));
    const r = await run(argv, { ns: nsOf(c.ns), allowFail: true, timeoutSec: c.timeout, cwd: root });
    const outOk = c.expectOutput === undefined || new RegExp(c.expectOutput).test(r.stdout + r.stderr);
    return {
      ok: r.exitCode === c.expectExit && outOk,
      summary: `${argv.join(" ")}: exit ${r.exitCode}${c.expectExit ? ` (expected ${c.expectExit})` : ""}${outOk ? "" : `, output did not match /${c.expectOutput}/`}`,
      output: r.stdout + r.stderr,
    };
  }
  const proto = "tcp" in spec ? "tcp" : "udp";
  const s = "tcp" in spec ? spec.tcp : spec.udp;
  const serverArgs = ["--port", String(s.port), "--bytes", String(s.bytes), "--timeout", String(s.timeout)];
  if (s.bind) serverArgs.push("--bind", s.bind);
  const server = startBackground(peerArgv(root, `${proto}-server`, serverArgs), {
    ns: nsOf(s.server),
    cwd: root,
    what: `${proto} server in ${s.server}`,
  });
  try {
    // Starting node is slow on a loaded machine: the same bound as for a capture to start.
    await waitFor(
      `the ${proto} server in ${s.server} to listen`,
      () => server.output().includes("ready"),
      Math.max(STARTUP_SEC, s.timeout),
    );
    const client = await run(
      peerArgv(root, `${proto}-client`, [
        "--to",
        s.to,
        "--port",
        String(s.port),
        "--bytes",
        String(s.bytes),
        "--timeout",
        String(s.timeout),
      ]),
      { ns: nsOf(s.ns), allowFail: true, timeoutSec: s.timeout + 5, cwd: root },
    );
    const serverCode = await Promise.race([server.exited, new Promise<number>((r) => setTimeout(() => r(-1), 3000))]);
    const clientLine = lastJson(client.stdout);
    const serverLine = lastJson(server.output());
    const ok = client.exitCode === 0 && serverCode === 0 && clientLine?.ok === true && serverLine?.ok === true;
    return {
      ok,
      summary: `${proto} ${s.bytes} bytes each way to ${s.to}:${s.port}: ${describeSide("client", clientLine)}; ${describeSide("server", serverLine)}`,
      output: `client (${s.ns}):\n${client.stdout}${client.stderr}\nserver (${s.server}):\n${server.output()}`,
    };
  } finally {
    await server.stop();
  }
}

function lastJson(text: string): Record<string, unknown> | undefined {
  const lines = text.trim().split("\n").reverse();
  for (const l of lines) {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch {}
  }
  return undefined;
}

function describeSide(side: string, r: Record<string, unknown> | undefined): string {
  if (!r) return `${side} printed no result`;
  if (r.error) return `${side}: ${r.error}`;
  if (r.ok) return `${side} got ${r.bytes} intact`;
  return `${side} got ${r.bytes}/${r.expected} bytes${r.firstBadByte !== null ? `, first bad byte at ${r.firstBadByte}` : ""}`;
}
