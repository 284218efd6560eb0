/** harness/run/pool.ts: `natlab run -j N` runs at most N labs at a time, results in the labs' order. */
import test from "ava";
import { mapLimit } from "../../harness/run/pool.ts";

test("mapLimit: never more than N at once, every item once, results in order", async (t) => {
  let now = 0;
  let most = 0;
  const seen: number[] = [];
  const out = await mapLimit([5, 1, 4, 2, 3], 2, async (ms, i) => {
    now++;
    most = Math.max(most, now);
    seen.push(i);
    // Each task ends only after the next tick, so workers really overlap.
    await new Promise((r) => setTimeout(r, ms));
    now--;
    return ms * 10;
  });
  t.deepEqual(out, [50, 10, 40, 20, 30]);
  t.is(most, 2);
  t.deepEqual([...seen].sort(), [0, 1, 2, 3, 4]);
  t.deepEqual(await mapLimit([], 3, async () => 1), []);
  t.deepEqual(await mapLimit([1, 2], 9, async (x) => x), [1, 2], "more workers than items");
});
