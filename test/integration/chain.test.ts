/**
 * Scale: a generated lab of 50 namespaces in a chain (chain.ts) builds,
 * passes a ping from one end to the other across 48 routers, and tears down
 * leaving none of its namespaces. The run's line gives the setup and
 * teardown times; the test logs them (no time is asserted).
 */
import { readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import test from "ava";
import { writeChainLab } from "./chain.ts";
import { natlab, natlabNamespaces, runDirs } from "./helpers.ts";

test("a chain of 50 namespaces builds, passes a ping end to end across 48 routers, and tears down", async (t) => {
  t.timeout(5 * 60_000, "50 namespaces and some 400 setup steps on a loaded machine");
  const file = writeChainLab(50);
  try {
    const r = await natlab(["run", file]);
    t.is(r.code, 0, r.out);
    const line = /^chain50: 1 passed, 0 failed, 0 skipped in (\S+) \(setup (\S+), teardown (\S+)\);/m.exec(r.out);
    t.truthy(line, r.out);
    t.regex(r.out, /setup (\d+)\/\1 steps/, "every setup step ran");
    t.log(
      `chain of 50: whole lab ${line?.[1]}, setup ${line?.[2]}, teardown ${line?.[3]}; ${/setup \d+\/\d+ steps/.exec(r.out)?.[0]}`,
    );
    const dir = runDirs(r.out).chain50;
    const summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8"));
    t.is(summary.counts.pass, 1);
    t.deepEqual(
      natlabNamespaces().filter((ns) => ns.startsWith(`natlab-${summary.runId}-`)),
      [],
      "no namespace of the run is left",
    );
  } finally {
    rmSync(dirname(file), { recursive: true, force: true });
  }
});
