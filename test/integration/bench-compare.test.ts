/**
 * `natlab bench compare`: a build against itself is the same on every
 * case; against a build that does more work per packet (bpf/nat64-slow.o,
 * a knock-out that adds helper calls) it is slower on every case. No time
 * is asserted: only the verdicts, which come from confidence intervals.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { runCompare } from "../../harness/bench/compare.ts";
import { buildBpf, NAT64_OBJECT } from "../../harness/bpf/build.ts";
import { ROOT } from "./helpers.ts";

const sampling = { batches: 6, rounds: 5, repeat: 200, margin: 0.02, prefixes: ["64:ff9b:1:fffe::/96"] };

test.before(async () => {
  await buildBpf();
});

test("the same build against itself: every case the same", async (t) => {
  t.timeout(120_000);
  const c = await runCompare({
    root: ROOT,
    oldObject: NAT64_OBJECT,
    newObject: NAT64_OBJECT,
    ...sampling,
    onProgress: (l) => t.log(l),
  });
  t.is(c.rows.length, 10);
  for (const r of c.rows)
    t.is(
      r.verdict,
      "same",
      `${r.direction} ${r.case}: ${(100 * r.relative.lo).toFixed(1)}..${(100 * r.relative.hi).toFixed(1)}%`,
    );
});

test("a build with more work per packet: every case slower", async (t) => {
  t.timeout(120_000);
  const slow = join(ROOT, "bpf/nat64-slow.o");
  t.true(existsSync(slow), "make -C bpf builds nat64-slow.o");
  const c = await runCompare({
    root: ROOT,
    oldObject: NAT64_OBJECT,
    newObject: slow,
    // Twice the batches of the same-build test: one slow batch on a busy machine once widened
    // a heavy case's interval below the margin ("same"); more batches narrow it.
    ...sampling,
    batches: 2 * sampling.batches,
    onProgress: (l) => t.log(l),
  });
  for (const r of c.rows) t.is(r.verdict, "slower", `${r.direction} ${r.case}`);
});
