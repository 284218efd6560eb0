/**
 * A Jool run that survives Jool: what the host keeps when a frame panics
 * or locks up the guest kernel. Pure bookkeeping, no VM here (translator.ts
 * boots; test/unit/jool-resume.test.ts checks this file).
 *
 * Each boot gets the frames that have no output yet. The guest writes each
 * chunk's outputs to the share as soon as the chunk is done, and notes each
 * input's position on the share just before sending it. When the VM dies,
 * the chunks it finished are kept, the noted frame is recorded as "not
 * comparable: Jool crashed the kernel on it" with the console's call trace,
 * and the next boot starts with the frames still without an output (those
 * of the unfinished chunk, less the crashed one). The number of boots after
 * a crash is bounded: past the bound, what is left is an error that says so.
 */
import type { TranslatorOutput } from "../types.ts";

/** Boots after a crash, at most: a run that crashes more often than this stops, and says so. */
export const MAX_CRASH_REBOOTS = 25;

/** The reason of a frame that stopped the guest's kernel (one string, so that a summary counts them together). */
export const CRASHED = "Jool crashed the kernel on it";

export interface Crash {
  /** The frame's position in the run's inputs, or undefined when no frame could be blamed. */
  position?: number;
  /** The kernel's report, from the console: BUG/Oops/soft lockup through the panic line. */
  trace: string;
  /** The whole console of the boot that died. */
  console: string;
}

export interface ResumeState {
  outputs: (TranslatorOutput | undefined)[];
  crashes: Crash[];
  boots: number;
}

export function newResume(count: number): ResumeState {
  return { outputs: Array.from({ length: count }, () => undefined), crashes: [], boots: 0 };
}

/** Positions (in the run) that have no output yet: the next boot's inputs, in order. */
export function pending(s: ResumeState): number[] {
  const out: number[] = [];
  s.outputs.forEach((o, i) => {
    if (!o) out.push(i);
  });
  return out;
}

/** One finished chunk of a boot: positions are the boot's own (indices into what it was given). */
export interface Part {
  positions: number[];
  outputs: TranslatorOutput[];
}

/**
 * What one boot left: its parts kept at the run's positions; when it died,
 * the noted frame (a boot position) recorded as crashed. Returns whether
 * another boot is needed and allowed; when the bound is reached, every
 * frame left becomes an error naming it.
 */
export function afterBoot(
  s: ResumeState,
  given: number[],
  parts: Part[],
  death: { note?: number; console: string } | undefined,
  maxReboots = MAX_CRASH_REBOOTS,
): boolean {
  s.boots++;
  for (const p of parts)
    p.positions.forEach((k, j) => {
      if (given[k] !== undefined) s.outputs[given[k]] = p.outputs[j];
    });
  if (death) {
    const at = death.note === undefined ? undefined : given[death.note];
    // A note whose frame already has an output is stale: the kernel died between frames.
    const position = at !== undefined && !s.outputs[at] ? at : undefined;
    const trace = kernelTrace(death.console);
    s.crashes.push({ position, trace, console: death.console });
    if (position !== undefined)
      s.outputs[position] = {
        verdict: "n/a",
        frames: [],
        back: [],
        reason: CRASHED,
        crash: trace,
      };
  }
  const left = pending(s);
  if (!left.length) return false;
  if (!death) return false;
  if (s.crashes.length <= maxReboots) return true;
  for (const i of left)
    s.outputs[i] = {
      verdict: "error",
      frames: [],
      back: [],
      reason: `not run: the guest's kernel died ${s.crashes.length} times, and natlab boots again at most ${maxReboots} times`,
    };
  return false;
}

const TRACE_START = /BUG: |Oops: |general protection fault|kernel BUG at|Kernel panic/;
/** A warning earlier in the console (the kernel taints itself W) is shown when nothing worse is there. */
const WARNING = /WARNING: CPU/;
const TRACE_END = /Kernel panic - not syncing|---\[ end Kernel panic/;

/**
 * The kernel's report in a console: from the first BUG/Oops line (a soft
 * lockup's "watchdog: BUG: soft lockup" too; else a WARNING) to the panic line (the whole tail when there is no panic
 * line), or a note that the console shows none (a hang, or a timeout).
 */
export function kernelTrace(console: string): string {
  const lines = console.split("\n");
  let from = lines.findIndex((l) => TRACE_START.test(l));
  if (from < 0) from = lines.findIndex((l) => WARNING.test(l));
  if (from < 0) return "(no kernel report on the console: the guest hung or timed out)";
  const to = lines.findIndex((l, i) => i >= from && TRACE_END.test(l));
  return lines.slice(from, to < 0 ? lines.length : to + 1).join("\n");
}

/** The first line of a trace that says what happened (for one-line messages). */
export function traceHeadline(trace: string): string {
  const first = trace.split("\n").find((l) => TRACE_START.test(l)) ?? trace.split("\n")[0];
  const rip = trace.split("\n").find((l) => /RIP: 0010:/.test(l));
  const strip = (l: string) => l.replace(/^\[\s*[\d.]+\]\s*/, "").trim();
  return rip ? `${strip(first)} at ${strip(rip).replace("RIP: 0010:", "")}` : strip(first);
}
