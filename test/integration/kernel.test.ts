/**
 * The write-up's literal steps, as written, on a kernel that has what they
 * need: `natlab run --kernel debian-6.1 labs/article.yaml` boots Debian's
 * stock 6.1 under qemu, where sch_prio, cls_matchall, act_bpf and act_csum
 * exist, and runs the article lab's literal variant there (prio + matchall +
 * act_bpf with a TC_ACT_PIPE build of nat64.c + act_csum). Skipped, with the
 * reason, where qemu or the kernel package cannot be had.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { natlab, runDirs } from "./helpers.ts";

async function vmUnavailable(): Promise<string | undefined> {
  if (!existsSync("/usr/bin/qemu-system-x86_64")) return "qemu-system-x86_64 is not installed (apt-get install -y qemu-system-x86)";
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
const title = "the article lab's literal variant passes in a Debian 6.1 VM";

(unavailable ? test.skip : test)(unavailable ? `${title} (skipped: ${unavailable})` : title, async (t) => {
  t.timeout(20 * 60_000, "boot, tsx start and nine flows under emulation");
  const r = await natlab(["run", "--kernel", "debian-6.1", "labs/article.yaml"]);
  t.log(r.out);
  t.is(r.code, 0, "the literal article lab passes on 6.1");
  t.regex(r.out, /\[debian-6\.1\] lab article \(\d+ flows, kernel 6\.1\.[^,]+, variant literal\)/, "the console says which kernel and variant ran");
  t.regex(r.out, /article: \d+ passed, 0 failed/);
  const dir = runDirs(r.out).article;
  const summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8"));
  t.is(summary.variant, "literal");
  t.regex(summary.kernel, /^6\.1\./, "results came back from the VM into results/article/<run-id>/");
  const plan = readFileSync(join(dir, "plan.sh"), "utf8");
  t.regex(plan, /matchall action bpf obj \S*nat64-pipe\.o sec 4to6 action csum ip4h tcp udp icmp/, "the write-up's step 12 ran as written");
});
