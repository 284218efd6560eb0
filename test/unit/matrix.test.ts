/** natlab matrix's pure parts: the table, the results page, column files, natlab's own apt sources. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import {
  type Cell,
  findColumnDirs,
  type KernelColumn,
  markUnfinished,
  unsupportedReason,
  verifierExcerpt,
} from "../../harness/matrix/column.ts";
import { matrixPage } from "../../harness/matrix/page.ts";
import { cellText, formatMatrix } from "../../harness/matrix/table.ts";
import { aptOptions, SUITES, sourcesText } from "../../harness/vm/apt.ts";
import { KERNEL_ALIASES } from "../../harness/vm/kernels.ts";

const ok = (n: number, extra: Partial<Cell> = {}): Cell => ({
  passed: n,
  failed: 0,
  skipped: 0,
  failures: [],
  ...extra,
});
const LOG = `libbpf: prog 'nat64_6to4': -- BEGIN PROG LOAD LOG --
Validating walk6() func#1...
Arg#4 type PTR in walk6() is not supported yet.
processed 0 insns (limit 1000000)
-- END PROG LOAD LOG --`;
const refused: Cell = {
  passed: 0,
  failed: 22,
  skipped: 0,
  failures: [],
  error: "xlat: the runner failed",
  verifier: verifierExcerpt(LOG),
};

const host: KernelColumn = {
  kernel: "host",
  version: "6.18.44",
  seconds: 20,
  variant: "clsact",
  golden: { addresses: ok(22, { seconds: 2 }) },
  labs: { article: ok(9, { seconds: 11, variant: "clsact", results: "../../article/abc123" }) },
};
const old: KernelColumn = {
  kernel: "debian-5.10",
  version: "5.10.0-46-amd64",
  seconds: 160,
  variant: "literal",
  golden: { addresses: refused },
  labs: { article: { ...ok(0), failed: 1, error: "setup step 21/22 failed: write-up step 12", variant: "literal" } },
};

test("a cell gives pass count, variant and time", (t) => {
  t.is(cellText(ok(9, { variant: "literal", seconds: 41.2 })), "✓ 9/9 literal 41s");
  t.is(cellText({ ...ok(3), failed: 1, seconds: 2 }), "✗ 3/4 2s");
  t.is(cellText(refused), "✗ not loaded");
  t.is(cellText(undefined), "-");
});

test("the table has a column per kernel and the verifier's last lines under a refused cell", (t) => {
  const text = formatMatrix([host, old], 180);
  const [head] = text.split("\n");
  t.regex(head, /host \(6\.18\.44\)\s+debian-5\.10 \(5\.10\.0-46-amd64\)/);
  t.regex(text, /golden addresses\s+✓ 22\/22 2s\s+✗ not loaded/);
  t.regex(
    text,
    /debian-5\.10, golden addresses:\n {2}xlat: the runner failed\n {2}verifier:\n {4}Validating walk6\(\) func#1\.\.\.\n {4}Arg#4 type PTR in walk6\(\) is not supported yet\./,
  );
  t.regex(text, /wall time 180s$/);
});

test("a kernel where no golden group loads is not supported, with the verifier's reason", (t) => {
  t.is(
    unsupportedReason(old.golden),
    "the verifier refused the translator: Arg#4 type PTR in walk6() is not supported yet.",
  );
  t.is(unsupportedReason(host.golden), undefined);
  const text = formatMatrix([{ ...old, unsupported: "xlat: the runner failed" }]);
  t.regex(text, /lab article\s+not supported/);
  t.regex(text, /debian-5\.10: not supported: xlat: the runner failed\n {2}verifier:/);
});

test("a column cut short keeps what it finished and fails every lab it never reported", (t) => {
  const partial: KernelColumn = {
    kernel: "debian-6.12",
    version: "6.12.118+deb13-amd64",
    seconds: 1800,
    golden: { pmtu: ok(9) },
    labs: { article: ok(9) },
  };
  const c = markUnfinished(partial, ["article", "nat66-nat64"], "the VM gave no result");
  t.deepEqual(c.labs.article, ok(9));
  t.like(c.labs["nat66-nat64"], { passed: 0, failed: 1, error: "not finished: the VM gave no result" });
  t.regex(formatMatrix([c]), /lab nat66-nat64\s+✗ error/);
  const none = markUnfinished({ ...partial, golden: {}, labs: {} }, ["article"], "timed out");
  t.like(none.golden["(all cases)"], { failed: 1, error: "not finished: timed out" });
});

test("the page links each lab's report and each column's JUnit, escapes text, shows the verifier log", (t) => {
  const html = matrixPage({
    columns: [
      { column: host, href: "host", files: new Set(["junit.xml", "../../article/abc123/report.html"]) },
      { column: { ...old, labs: { "<b>": ok(1) } }, href: "debian-5.10", files: new Set() },
    ],
    generatedAt: "now",
  });
  t.true(html.includes('href="../article/abc123/report.html"'));
  t.true(html.includes('href="host/junit.xml"'));
  t.true(html.includes("lab &lt;b&gt;"));
  t.false(html.includes("lab <b>"));
  t.regex(html, /<pre class="verifier">Validating walk6\(\) func#1\.\.\.\nArg#4 type PTR/);
});

test("column directories are found in CI artifacts however deep they unpack", (t) => {
  const root = mkdtempSync(join(tmpdir(), "natlab-matrix-unit-"));
  try {
    for (const d of ["matrix-host/host", "matrix-debian-6.1/matrix/debian-6.1", "empty/x"])
      mkdirSync(join(root, d), { recursive: true });
    writeFileSync(join(root, "matrix-host/host/column.json"), "{}");
    writeFileSync(join(root, "matrix-debian-6.1/matrix/debian-6.1/column.json"), "{}");
    t.deepEqual(
      findColumnDirs(root).map((d) => d.slice(root.length + 1)),
      ["matrix-debian-6.1/matrix/debian-6.1", "matrix-host/host"],
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("natlab's apt reads its own sources and lists, never the system's", (t) => {
  const opts = aptOptions("/x").join(" ");
  t.regex(opts, /Dir::Etc::sourcelist=\/dev\/null/);
  t.regex(opts, /Dir::Etc::sourceparts=\/x\/sources/);
  t.regex(opts, /Dir::State::Lists=\/x\/lists/);
  const text = sourcesText({ main: "http://m/debian", security: "http://m/debian-security" });
  t.regex(text, /URIs: http:\/\/m\/debian\nSuites: bullseye bookworm bookworm-backports trixie\n/);
  t.true(SUITES.includes("bullseye") && SUITES.includes("trixie"));
  t.regex("linux-image-5.10.0-46-amd64", KERNEL_ALIASES["debian-5.10"].pattern);
  t.regex("linux-image-6.12.118+deb13-amd64", KERNEL_ALIASES["debian-6.12"].pattern);
  t.notRegex("linux-image-6.12.95+deb12-amd64", KERNEL_ALIASES["debian-6.12"].pattern);
  t.notRegex("linux-image-6.1.0-57-cloud-amd64", KERNEL_ALIASES["debian-6.1"].pattern);
});
