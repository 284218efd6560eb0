/** natlab bench's statistics: trimmed means, t quantiles, intervals over batches, verdicts. */
import test from "ava";
import {
  add,
  meanEstimate,
  pairedDifference,
  scale,
  tQuantile,
  trimmedMean,
  verdict,
} from "../../harness/bench/stats.ts";

test("the trimmed mean ignores the odd call an interrupt hit", (t) => {
  t.is(trimmedMean([10, 10, 10, 10, 1000]), 10);
  t.is(trimmedMean([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 5.5);
});

test("t quantiles match the table", (t) => {
  // 97.5% quantiles: df 4 2.776, df 9 2.262, df 29 2.045, df 1000 1.962
  for (const [df, q] of [
    [4, 2.776],
    [9, 2.262],
    [29, 2.045],
    [1000, 1.962],
  ]) {
    t.true(Math.abs(tQuantile(df) - q) < 0.01, `df ${df}: ${tQuantile(df)} vs ${q}`);
  }
});

test("the interval comes from the spread of the batches, not of the calls", (t) => {
  // Two batches of calls that differ by a constant within each batch: the calls alone would give a zero-width interval.
  const a = [110, 110, 110, 120, 120, 120];
  const b = [100, 100, 100, 100, 100, 100];
  const d = pairedDifference(a, b, 3);
  t.is(d.value, 15);
  t.true(d.hi - d.lo > 10, `a wide interval from two batches: [${d.lo}, ${d.hi}]`);
  t.throws(() => pairedDifference(a, b, 4), { message: /batches of 4/ });
  const e = meanEstimate([10, 10, 10]);
  t.deepEqual([e.lo, e.value, e.hi], [10, 10, 10]);
});

test("sums and halves of estimates", (t) => {
  const s = add({ value: 10, lo: 7, hi: 13 }, { value: 5, lo: 1, hi: 9 });
  t.is(s.value, 15);
  t.is(s.hi - s.value, 5); // half-widths 3 and 4 in quadrature
  t.deepEqual(scale({ value: 10, lo: 8, hi: 12 }, 0.5), { value: 5, lo: 4, hi: 6 });
  t.deepEqual(scale({ value: 10, lo: 8, hi: 12 }, -1), { value: -10, lo: -12, hi: -8 });
});

test("a verdict needs the whole interval beyond the margin", (t) => {
  t.is(verdict({ value: 0.05, lo: 0.03, hi: 0.07 }, 0.02), "slower");
  t.is(verdict({ value: 0.03, lo: 0.01, hi: 0.05 }, 0.02), "same");
  t.is(verdict({ value: -0.05, lo: -0.07, hi: -0.03 }, 0.02), "faster");
  t.is(verdict({ value: 0, lo: -0.01, hi: 0.01 }, 0.02), "same");
});
