/**
 * The golden cases through the real translator (BPF_PROG_TEST_RUN, needs
 * root): one test per case file, failing with the field-level diff of every
 * case that differs. Also: the committed pcaps are what the YAML generates
 * (regenerated in a temporary folder and compared byte for byte), and
 * tshark agrees that every expected output's checksums are right.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import test from "ava";
import { FIXTURES_DIR, loadCases } from "../../harness/golden/cases.ts";
import { checkCases, formatResults } from "../../harness/golden/check.ts";
import { writeFixtures } from "../../harness/golden/generate.ts";
import { tsharkChecksumProblems } from "../../harness/golden/tshark.ts";

const cases = loadCases();
const root = process.getuid?.() === 0;
const files = [...new Set(cases.map((c) => c.file))];

test("the committed pcaps are what the YAML generates", (t) => {
  const tmp = mkdtempSync(join(tmpdir(), "natlab-golden-regen-"));
  try {
    const { index } = writeFixtures(cases, tmp);
    const differ: string[] = [];
    for (const e of index) {
      for (const f of [e.in, e.out]) {
        const fresh = readFileSync(join(tmp, f));
        let committed: Buffer | undefined;
        try {
          committed = readFileSync(join(FIXTURES_DIR, f));
        } catch {
          committed = undefined;
        }
        if (!committed?.equals(fresh)) differ.push(f);
      }
    }
    t.deepEqual(differ, [], `out of date under ${relative(process.cwd(), FIXTURES_DIR)}: run \`natlab golden build\``);
    t.true(
      readFileSync(join(tmp, "index.json")).equals(readFileSync(join(FIXTURES_DIR, "index.json"))),
      "index.json is up to date",
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test("tshark finds no bad checksum in any expected output", async (t) => {
  const problems = await tsharkChecksumProblems(cases);
  t.deepEqual(problems, []);
});

for (const file of files) {
  const mine = cases.filter((c) => c.file === file);
  (root ? test : test.skip)(`golden ${file}: ${mine.length} cases through the translator`, async (t) => {
    const results = await checkCases(mine);
    const failed = results.filter((r) => !r.ok);
    if (failed.length) t.log(formatResults(results));
    t.is(
      failed.length,
      0,
      `${failed.length} of ${mine.length} cases in fixtures/pcaps/cases/${file}.yaml differ (diffs above)`,
    );
  });
}
