/**
 * The write-up's lab, end to end, through the real CLI: every flow passes,
 * results land in results/article/<run-id>/, and nothing is left behind.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { natlabNamespaces as allNatlabNamespaces, natlab, ROOT, rootVeths, runDirs } from "./helpers.ts";

/** The article lab's namespaces (other labs may run beside this test). */
const natlabNamespaces = () => allNatlabNamespaces().filter((n) => /^natlab-[0-9a-f]{6}-host$/.test(n));

test("labs/article.yaml passes and leaves no namespace or veth", async (t) => {
  const before = natlabNamespaces();
  const r = await natlab(["run", "labs/article.yaml"]);
  t.log(r.out);
  t.is(r.code, 0, "natlab run labs/article.yaml should pass");
  t.regex(r.out, /article: \d+ passed, 0 failed/);
  t.deepEqual(natlabNamespaces(), before, "no natlab namespace is left after a passing run");
  t.deepEqual(rootVeths(["za", "zb"]), [], "no veth leaked into the root namespace");

  const dir = runDirs(r.out).article;
  t.regex(dir, /\/results\/article\/[0-9a-f]{6}$/, "the run has its own directory");
  for (const f of ["report.tap", "junit.xml", "summary.json", "trace.txt", "plan.sh", "stats.json"])
    t.true(existsSync(join(dir, f)), `${f} exists`);
  t.is(
    JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")).runId,
    dir.split("/").pop(),
    "the directory is named by the run id",
  );
  t.true(existsSync(join(ROOT, "results/article/latest/summary.json")), "results/article/latest names a finished run");
  const tap = readFileSync(join(dir, "report.tap"), "utf8");
  t.regex(tap, /^1\.\.\d+$/m);
  t.notRegex(tap, /^not ok/m);
  const junit = readFileSync(join(dir, "junit.xml"), "utf8");
  t.regex(junit, /<testsuites?[\s>]/);
  const flows = readdirSync(join(dir, "flows"));
  t.true(
    flows.some((f) => readdirSync(join(dir, "flows", f)).some((p) => p.endsWith(".pcap"))),
    "flows keep their pcaps",
  );
});
