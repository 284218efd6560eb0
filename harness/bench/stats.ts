/**
 * The statistics of `natlab bench`: pure functions of the runner's
 * per-call times (bpf/tools/bench-proof.c).
 *
 * A call's time is the kernel's mean over `repeat` runs of the program, in
 * whole ns. The calls come in batches (every batch loads the objects anew)
 * of rounds (every round calls each program once, in a shuffled order).
 * Two things move a program's time: the moment (other load on the machine)
 * and the placement of its code and maps, which changes only between
 * batches. So a difference between two programs is taken round by round
 * (same moment), summarised per batch by a trimmed mean (robust to the
 * odd call that an interrupt hit), and its confidence interval comes from
 * the spread of the batch figures: the batches, not the calls, are the
 * independent samples.
 */

/** A figure with its 95% confidence interval. */
export interface Estimate {
  value: number;
  lo: number;
  hi: number;
}

/** Mean of the middle of the sorted values: `trim` of them cut at each end (0.2: the middle 60%). */
export function trimmedMean(xs: number[], trim = 0.2): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const k = Math.floor(trim * s.length);
  const mid = s.slice(k, s.length - k);
  return mid.reduce((a, b) => a + b, 0) / mid.length;
}

/**
 * The 97.5% quantile of Student's t with `df` degrees of freedom (the
 * two-sided 95% interval's factor), by the Cornish-Fisher expansion: within
 * 0.01 of the table from 4 degrees of freedom on, and exact enough below
 * for an interval that is only reported.
 */
export function tQuantile(df: number): number {
  if (df < 1) return Number.POSITIVE_INFINITY;
  const z = 1.959964;
  const g1 = (z ** 3 + z) / 4;
  const g2 = (5 * z ** 5 + 16 * z ** 3 + 3 * z) / 96;
  const g3 = (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / 384;
  return z + g1 / df + g2 / df ** 2 + g3 / df ** 3;
}

/** Mean of per-batch figures with the t interval of their spread. */
export function meanEstimate(perBatch: number[]): Estimate {
  const n = perBatch.length;
  const mean = perBatch.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { value: mean, lo: Number.NEGATIVE_INFINITY, hi: Number.POSITIVE_INFINITY };
  const sd = Math.sqrt(perBatch.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
  const half = tQuantile(n - 1) * (sd / Math.sqrt(n));
  return { value: mean, lo: mean - half, hi: mean + half };
}

/**
 * a - b, call by call (calls i of both ran in the same round), summarised
 * per batch of `rounds` calls, then over the batches.
 */
export function pairedDifference(a: number[], b: number[], rounds: number): Estimate {
  if (a.length !== b.length || a.length === 0 || a.length % rounds !== 0) {
    throw new Error(`pairedDifference: ${a.length} and ${b.length} calls do not make batches of ${rounds}`);
  }
  const perBatch: number[] = [];
  for (let start = 0; start < a.length; start += rounds) {
    const d: number[] = [];
    for (let i = start; i < start + rounds; i++) d.push(a[i] - b[i]);
    perBatch.push(trimmedMean(d));
  }
  return meanEstimate(perBatch);
}

export function add(x: Estimate, y: Estimate): Estimate {
  // Independent intervals combine by their half-widths in quadrature.
  const half = Math.hypot((x.hi - x.lo) / 2, (y.hi - y.lo) / 2);
  const value = x.value + y.value;
  return { value, lo: value - half, hi: value + half };
}

export function scale(x: Estimate, k: number): Estimate {
  return k >= 0
    ? { value: x.value * k, lo: x.lo * k, hi: x.hi * k }
    : { value: x.value * k, lo: x.hi * k, hi: x.lo * k };
}

export type Verdict = "faster" | "slower" | "same";

/**
 * Slower when the whole interval of the relative difference lies above
 * +margin, faster when it lies below -margin, else the same: "same" says
 * that no difference beyond the margin could be shown. The margin absorbs
 * what no amount of calls removes, such as where the kernel placed each
 * build's code (docs/bench.md, "Resolution").
 */
export function verdict(relative: Estimate, margin: number): Verdict {
  if (relative.lo > margin) return "slower";
  if (relative.hi < -margin) return "faster";
  return "same";
}

/** "83.2 ns [81.0, 85.4]" */
export function formatEstimate(e: Estimate, unit = "ns", digits = 1): string {
  return `${e.value.toFixed(digits)}${unit ? ` ${unit}` : ""} [${e.lo.toFixed(digits)}, ${e.hi.toFixed(digits)}]`;
}
