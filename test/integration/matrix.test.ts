/**
 * npm test's VM part, kept short (one boot): `natlab matrix --kernels
 * debian-6.1 article` boots Debian's stock 6.1 under qemu and runs, in one
 * natlab worker there, every golden case file and the article lab. On that
 * kernel sch_prio, cls_matchall, act_bpf and act_csum exist, so the article
 * lab runs the write-up's literal tc steps (prio + matchall + act_bpf with a
 * TC_ACT_PIPE build of nat64.c + act_csum). The full matrix (every lab, every
 * kernel) is `npm run matrix`. Skipped, with the reason, where qemu or the
 * kernel package cannot be had.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import type { KernelColumn } from "../../harness/matrix/column.ts";
import { natlab } from "./helpers.ts";

async function vmUnavailable(): Promise<string | undefined> {
  if (!existsSync("/usr/bin/qemu-system-x86_64"))
    return "qemu-system-x86_64 is not installed (apt-get install -y qemu-system-x86)";
  try {
    const { prepareKernel } = await import("../../harness/vm/kernels.ts");
    await prepareKernel("debian-6.1");
    return undefined;
  } catch (err) {
    return `Debian's 6.1 kernel package cannot be had here: ${(err as Error).message.split("\n")[0]}`;
  }
}

// Decided before any test runs, so that a machine without qemu or the package reports
// a skip with its reason (counted as skipped), never a pass.
const unavailable = await vmUnavailable();
const title = "natlab matrix on Debian 6.1: every golden case file, and the article lab's literal variant";

(unavailable ? test.skip : test)(unavailable ? `${title} (skipped: ${unavailable})` : title, async (t) => {
  t.timeout(20 * 60_000, "boot, tsx start, golden cases and nine flows under emulation");
  const out = mkdtempSync(join(tmpdir(), "natlab-matrix-test-"));
  try {
    const started = Date.now();
    const r = await natlab(["matrix", "--kernels", "debian-6.1", "--out", out, "article"]);
    t.log(`natlab matrix took ${((Date.now() - started) / 1000).toFixed(0)}s`);
    t.log(
      r.out
        .split("\n")
        .filter((l) => !l.startsWith("[debian-6.1]   ✓"))
        .join("\n"),
    );
    t.is(r.code, 0, "everything passes on 6.1");
    const column: KernelColumn = JSON.parse(readFileSync(join(out, "debian-6.1", "column.json"), "utf8"));
    t.regex(column.version, /^6\.1\./, "the column came back from the VM");
    t.is(column.variant, "literal");
    const golden = Object.entries(column.golden);
    t.true(golden.length >= 10, "every golden case file ran");
    for (const [file, cell] of golden)
      t.true(cell.passed > 0 && cell.failed === 0 && !cell.verifier, `golden ${file}: ${JSON.stringify(cell)}`);
    const article = column.labs.article;
    t.like(article, { failed: 0, variant: "literal" });
    t.true(article.passed >= 9);
    t.regex(r.out, /lab article\s+✓ \d+\/\d+ literal \d+s/, "the table says which variant ran");

    // JUnit for the column and one page, linking the lab's own report.
    const junit = readFileSync(join(out, "debian-6.1", "junit.xml"), "utf8");
    t.regex(junit, /<testsuites [^>]*failures="0"/);
    t.true((junit.match(/<testcase /g) ?? []).length > 100);
    const page = readFileSync(join(out, "index.html"), "utf8");
    t.regex(page, /href="[^"]*article\/[0-9a-z-]+\/report\.html"/);

    // The write-up's step 12 ran as written, inside the VM.
    const runDir = join(out, "debian-6.1", article.results ?? "");
    const plan = readFileSync(join(runDir, "plan.sh"), "utf8");
    t.regex(plan, /matchall action bpf obj \S*nat64-pipe\.o sec 4to6 action csum ip4h tcp udp icmp/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
