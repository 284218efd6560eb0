/**
 * Labs in parallel: every lab in labs/ with `natlab run -j 3`, and that
 * twice at the same time, so each lab also runs beside another run of
 * itself. Both runs must pass every lab, each run must have its own results
 * directory per lab, and neither may leave a namespace behind. Other natlab
 * runs may be going on the machine: the test counts only namespaces named
 * with its own runs' ids.
 */
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import test from "ava";
import { natlab, natlabNamespaces, ROOT, runDirs } from "./helpers.ts";

const labs = readdirSync(join(ROOT, "labs"))
  .filter((f) => f.endsWith(".yaml"))
  .sort()
  .map((f) => `labs/${f}`);

test("all labs with -j 3, twice at the same time: every lab passes in both, each in its own run directory", async (t) => {
  t.timeout(15 * 60_000, "two full runs of every lab on two cores");
  const [a, b] = await Promise.all([natlab(["run", "-j", "3", ...labs]), natlab(["run", "-j", "3", ...labs])]);
  t.log(a.out);
  t.log(b.out);
  const names = labs.map((l) => basename(l, ".yaml"));
  for (const [which, r] of [
    ["first", a],
    ["second", b],
  ] as const) {
    t.is(r.code, 0, `the ${which} run passes`);
    t.regex(r.out, /^all labs: \d+ passed, 0 failed/m, `the ${which} run's total`);
    for (const lab of names) t.regex(r.out, new RegExp(`^${lab}: \\d+ passed, 0 failed`, "m"), `${lab} passes in the ${which} run`);
    t.regex(r.out, /^natlab: started .* running .*, .*\)$/m, `the ${which} run had labs side by side`);
  }
  const [da, db] = [runDirs(a.out), runDirs(b.out)];
  const ids: string[] = [];
  for (const lab of names) {
    t.truthy(da[lab] && db[lab], `both runs name ${lab}'s results`);
    t.not(da[lab], db[lab], `the two runs of ${lab} have their own directories`);
    for (const dir of [da[lab], db[lab]]) {
      const summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8"));
      t.is(summary.lab, lab);
      t.is(summary.counts.fail, 0);
      ids.push(summary.runId);
    }
  }
  const left = natlabNamespaces().filter((ns) => ids.some((id) => ns.startsWith(`natlab-${id}-`)));
  t.deepEqual(left, [], "no namespace of these runs is left");
});
