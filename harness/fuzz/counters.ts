/**
 * The counters must add up: every frame the program ran is counted once, as
 * translated, passed or dropped, and the kind matches what happened to it
 * (translated for "ok", passed for "pass", dropped for "shot"). A batch is
 * checked as a whole from the runner's --stats; when it does not add up, the
 * batch is split in halves and rerun until the frames that are miscounted
 * are found, so that they can be saved like any other violation.
 */
import type { Counters, FrameOutcome, TranslateConfig, TranslatorUnderTest } from "./translator.ts";

export interface Tally {
  translated: number;
  passed: number;
  dropped: number;
  /** Frames the kernel refused to run (the program never saw them). */
  refused: number;
  other: number;
}

export function tally(outcomes: FrameOutcome[]): Tally {
  const t: Tally = { translated: 0, passed: 0, dropped: 0, refused: 0, other: 0 };
  for (const o of outcomes) {
    if (o.verdict === "ok") t.translated++;
    else if (o.verdict === "pass") t.passed++;
    else if (o.verdict === "shot") t.dropped++;
    else if (o.verdict === "error") t.refused++;
    else t.other++;
  }
  return t;
}

/** What is wrong with the counters of a batch, one line each; empty when they add up. */
export function counterProblems(outcomes: FrameOutcome[], c: Counters): string[] {
  const t = tally(outcomes);
  const ran = outcomes.length - t.refused;
  const problems: string[] = [];
  const sum = c.translated + c.passed + c.dropped;
  if (sum !== ran)
    problems.push(
      `translated ${c.translated} + passed ${c.passed} + dropped ${c.dropped} = ${sum}, ` +
        `but the program ran ${ran} frames`,
    );
  for (const k of ["translated", "passed", "dropped"] as const) {
    if (c[k] !== t[k]) problems.push(`counted ${k} ${c[k]}, verdicts say ${t[k]}`);
  }
  return problems;
}

/** The indexes (into `frames`) of frames that are miscounted on their own, at most `limit`, by halving. */
export async function miscounted(
  translator: TranslatorUnderTest,
  frames: Buffer[],
  config: TranslateConfig,
  limit = 8,
): Promise<{ index: number; problem: string }[]> {
  const found: { index: number; problem: string }[] = [];
  const visit = async (lo: number, hi: number): Promise<void> => {
    if (found.length >= limit || hi <= lo) return;
    const r = await translator.translate(frames.slice(lo, hi), config);
    const problems = r.counters ? counterProblems(r.outcomes, r.counters) : [];
    if (!problems.length) return;
    if (hi - lo === 1) {
      found.push({ index: lo, problem: problems.join("; ") });
      return;
    }
    const mid = (lo + hi) >> 1;
    await visit(lo, mid);
    await visit(mid, hi);
  };
  await visit(0, frames.length);
  return found;
}
