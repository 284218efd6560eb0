/**
 * Running one command, on the host or inside a lab namespace, with output
 * captured and an error that says what ran, where, and what it printed.
 */
import { execa } from "execa";

export interface CommandOptions {
  /** Real network namespace name; the command runs under `ip netns exec`. */
  ns?: string;
  stdin?: string;
  timeoutSec?: number;
  /** Do not throw on a non-zero exit. */
  allowFail?: boolean;
  cwd?: string;
  /** Extra environment variables, on top of toolEnv(). */
  env?: Record<string, string>;
}

export interface CommandResult {
  argv: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
}

export class CommandError extends Error {
  constructor(
    readonly result: CommandResult,
    readonly where: string,
  ) {
    const out = (result.stderr || result.stdout).trim().split("\n").slice(-8).join("\n    ");
    super(`${where}: \`${result.argv.join(" ")}\` exited with ${result.exitCode}${out ? `:\n    ${out}` : ""}`);
  }
}

/**
 * The environment for the system tools natlab runs. npm puts node_modules/.bin
 * first on PATH, and ava brings a package whose command is called `nft`: left
 * alone, `nft -f -` would run that instead of nftables. System tools are found
 * on the system PATH only, with /usr/sbin and /sbin added for non-login shells.
 */
export function toolEnv(): NodeJS.ProcessEnv {
  const dirs = (process.env.PATH ?? "").split(":").filter((d) => d && !d.includes("node_modules"));
  for (const d of ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"])
    if (!dirs.includes(d)) dirs.push(d);
  return { ...process.env, PATH: dirs.join(":") };
}

/** argv as run: wrapped in `ip netns exec NS` when a namespace is given. */
export function inNamespace(argv: string[], ns?: string): string[] {
  return ns ? ["ip", "netns", "exec", ns, ...argv] : argv;
}

export async function run(argv: string[], opts: CommandOptions = {}): Promise<CommandResult> {
  const full = inNamespace(argv, opts.ns);
  const r = await execa(full[0], full.slice(1), {
    input: opts.stdin,
    reject: false,
    timeout: opts.timeoutSec ? opts.timeoutSec * 1000 : undefined,
    cwd: opts.cwd,
    env: { ...toolEnv(), ...opts.env },
    extendEnv: false,
    stripFinalNewline: false,
  });
  const result: CommandResult = {
    argv: full,
    exitCode: r.exitCode ?? (r.timedOut ? 124 : 1),
    stdout: String(r.stdout ?? ""),
    stderr: String(r.stderr ?? "") + (r.timedOut ? `\n(timed out after ${opts.timeoutSec}s)` : ""),
  };
  if (result.exitCode !== 0 && !opts.allowFail) {
    throw new CommandError(result, opts.ns ? `in namespace ${opts.ns}` : "on the host");
  }
  return result;
}
