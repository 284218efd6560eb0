/**
 * `natlab bench --quick`: a smoke run that builds the three bench labs,
 * measures a little through each and writes well-formed results. No test
 * here asserts a time or a ratio: those depend on the machine.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { runBench } from "../../harness/bench/bench.ts";
import { BenchShape } from "../../harness/bench/shape.ts";
import { natlabNamespaces, ROOT } from "./helpers.ts";

test("natlab bench --quick writes bench.json, bench.md and the chart, and leaves no namespace behind", async (t) => {
  t.timeout(120_000);
  const out = mkdtempSync(join(tmpdir(), "natlab-bench-test-"));
  const lines: string[] = [];
  try {
    await runBench({ quick: true, seconds: 1, repeats: 1, batches: 2, out, root: ROOT, log: (l) => lines.push(l) });
    t.log(lines.join("\n"));

    const json = JSON.parse(readFileSync(join(out, "bench.json"), "utf8"));
    const parsed = BenchShape.safeParse(json);
    t.true(parsed.success, parsed.success ? "" : JSON.stringify(parsed.error.issues, null, 2));
    const bench = BenchShape.parse(json);
    t.is(bench.mode, "quick");
    // Every case, both prefixes, and every timed call proven: the frame put back, a translation on every run.
    t.is(bench.micro.rows.length, 20);
    for (const r of bench.micro.rows) {
      t.is(r.proof.failedCalls, 0, `${r.direction} ${r.case} ${r.prefix}`);
      t.is(r.proof.calls, 2 * 3);
      t.true(r.ns.lo <= r.ns.value && r.ns.value <= r.ns.hi, "the interval holds its estimate");
    }
    // Three designs × three kinds, offloads on.
    t.is(bench.macro.cells.length, 9);
    for (const c of bench.macro.cells) t.true(c.median > 0, `${c.design} ${c.kind}: something got through`);
    t.deepEqual(
      bench.macro.ratios.map((r) => r.kind),
      ["tcp1", "tcp4", "udp64"],
    );
    for (const tg of bench.targets) t.is(tg.met, null, "a quick run judges no target");

    const md = readFileSync(join(out, "bench.md"), "utf8");
    for (const heading of ["## Cost per packet", "## Throughput", "## Targets"]) t.true(md.includes(heading), heading);
    const svg = readFileSync(join(out, "bench.svg"), "utf8");
    t.regex(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]*>/);
    t.regex(svg, /<\/svg>\n$/);
    t.is((svg.match(/<rect /g) ?? []).length > 20, true, "bars drawn");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  // This run's namespaces only (other runs may be going on beside it): the run ids are in the progress lines.
  const runIds = [...lines.join("\n").matchAll(/\(run ([0-9a-f]{6}),/g)].map((m) => m[1]);
  t.is(runIds.length, 3);
  t.deepEqual(
    natlabNamespaces().filter((n) => runIds.some((id) => n.startsWith(`natlab-${id}-`))),
    [],
  );
});
