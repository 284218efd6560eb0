/**
 * Labs in parallel: every lab in labs/ with `natlab run -j 3`, and that
 * twice at the same time, so each lab also runs beside another run of
 * itself. Both runs must pass every lab, each run must have its own results
 * directory per lab, and neither may leave a namespace behind. Other natlab
 * runs may be going on the machine: the test counts only namespaces named
 * with its own runs' ids.
 */
import type { ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import test from "ava";
import { isAlive } from "../../harness/exec/owner.ts";
import { traceInstance } from "../../harness/run/trace.ts";
import { natlab, natlabNamespaces, ownerRecords, ROOT, runDirs } from "./helpers.ts";

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
    for (const lab of names)
      t.regex(r.out, new RegExp(`^${lab}: \\d+ passed, 0 failed`, "m"), `${lab} passes in the ${which} run`);
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

/**
 * bpf_printk lines under `natlab run -j`: each lab reads a tracefs instance
 * of its own, recorded in its own owner record. A reader shared by the labs
 * of one process was recorded under the lab that started it, whose teardown
 * stopped it while the other lab still read from it; and the machine's one
 * trace_pipe refuses a second reader, so a lab beside any other natlab run
 * recorded nothing. A line written to the long lab's instance (its
 * trace_marker) after the short lab ended must reach the long lab's trace.txt.
 */
test("natlab run -j 2: each lab reads bpf_printk lines through a tracefs instance and reader of its own", async (t) => {
  let child: ChildProcess | undefined;
  let ended = false;
  const readers = new Map<string, { pid: number; start: string }>(); // run id -> its reader
  let both = false; // both labs were seen at once
  let marker = "";
  const run = natlab(["run", "-j", "2", "test/fixtures/labs/killed.yaml", "labs/article.yaml"], {
    onSpawn: (c) => (child = c),
  });
  void run.finally(() => (ended = true));
  while (!ended) {
    const labs = [...ownerRecords().values()].filter((r) => r.pid === child?.pid && r.kind === "run");
    for (const r of labs) {
      const p = r.processes.find((p) => p.what === "trace_pipe reader");
      if (p && !readers.has(r.runId)) readers.set(r.runId, { pid: p.pid, start: p.startTime });
    }
    both ||= labs.length === 2;
    // The short lab has ended and its teardown is over; the long one still runs: write into its instance.
    if (both && labs.length === 1 && !marker && readers.has(labs[0].runId) && labs[0].lab === "article") {
      const reader = readers.get(labs[0].runId);
      t.true(reader !== undefined && isAlive(reader.pid, reader.start), "the long lab's reader outlives the short lab");
      marker = `natlab-test-marker ${labs[0].runId}`;
      writeFileSync(join(traceInstance(labs[0].runId), "trace_marker"), marker);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const r = await run;
  t.is(r.code, 0, r.out);
  t.true(both, "both labs ran at once");
  t.is(readers.size, 2, "each lab's owner record lists a trace_pipe reader");
  t.is(new Set([...readers.values()].map((p) => p.pid)).size, 2, "two readers, not one shared");
  t.truthy(marker, "the short lab ended while the long one ran");
  const dirs = runDirs(r.out);
  const trace = readFileSync(join(dirs.article, "trace.txt"), "utf8");
  t.true(trace.includes(marker), trace.slice(0, 2000));
  t.false(
    /reader .* failed/.test(readFileSync(join(dirs.killed, "trace.txt"), "utf8")),
    "the short lab's reader did not fail",
  );
  t.deepEqual(
    [...readers.values()].filter((p) => isAlive(p.pid, p.start)),
    [],
    "every reader was stopped",
  );
  t.deepEqual(
    [...readers.keys()].filter((id) => existsSync(traceInstance(id))),
    [],
    "every instance was removed",
  );
});
