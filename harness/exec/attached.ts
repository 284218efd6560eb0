/**
 * Commands the user talks to directly (`natlab exec`, `natlab shell`): the
 * terminal is theirs, and so is Ctrl-C, which goes to the command, not to
 * natlab. natlab waits and passes the exit status on.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { toolEnv } from "./command.ts";

/** Runs argv with this terminal; resolves with its exit status (128+N for a signal, 127 when it cannot start). */
export function runAttached(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<number> {
  return new Promise((resolve) => {
    const ignore = () => {};
    // The child gets the terminal's signals itself; natlab only waits for it.
    process.on("SIGINT", ignore);
    process.on("SIGQUIT", ignore);
    const child = spawn(argv[0], argv.slice(1), { stdio: "inherit", env: { ...toolEnv(), ...env } });
    const done = (code: number) => {
      process.off("SIGINT", ignore);
      process.off("SIGQUIT", ignore);
      resolve(code);
    };
    child.on("error", (e) => {
      process.stderr.write(`natlab: ${argv[0]}: ${e.message}\n`);
      done(127);
    });
    child.on("exit", (code, signal) => done(code ?? (signal ? 128 + (signalNumber(signal) ?? 0) : 1)));
  });
}

function signalNumber(sig: NodeJS.Signals): number | undefined {
  return ({ SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[sig];
}

/**
 * An interactive shell whose prompt names the lab and the namespace:
 * bash without the user's rc files (they would set their own PS1), or sh.
 */
export function shellArgv(lab: string, ns: string): { argv: string[]; env: NodeJS.ProcessEnv } {
  const prompt = `[natlab ${lab}:${ns}] \\w# `;
  const env = { PS1: prompt, NATLAB_LAB: lab, NATLAB_NS: ns };
  if (existsSync("/bin/bash")) return { argv: ["/bin/bash", "--norc", "--noprofile", "-i"], env };
  return { argv: ["/bin/sh", "-i"], env: { ...env, PS1: `[natlab ${lab}:${ns}] # ` } };
}
