/**
 * Running frames through the translator without a lab: the C runner
 * (bpf/tools/xlat-runner.c, built to bpf/build/xlat-runner) loads the
 * object once and gives every frame of a pcap to BPF_PROG_TEST_RUN.
 *
 * One XlatResult per input frame, in order:
 *   verdict "ok"    the program returned TC_ACT_OK (or PIPE) and changed the frame: translated
 *           "pass"  it returned OK with the frame unchanged: not for the translator
 *           "shot"  it returned TC_ACT_SHOT: dropped (nothing written)
 *           "other" another return code (frame written as returned)
 *           "error" the kernel refused to run it, e.g. a frame shorter than
 *                   Ethernet + IP header (EINVAL); `reason` says why
 *   out: the frame's index in the output pcap, or null.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../exec/command.ts";
import { parsePrefix } from "../packet/prefix.ts";
import { NAT64_OBJECT, XLAT_RUNNER } from "./build.ts";

export type Section = "6to4" | "4to6";
export type Verdict = "ok" | "pass" | "shot" | "other" | "error";

export interface XlatResult {
  index: number;
  section: Section;
  /** The program's return code (TC_ACT_OK 0, TC_ACT_SHOT 2, TC_ACT_PIPE 3); null on error. */
  retval: number | null;
  verdict: Verdict;
  out: number | null;
  /** Length of the frame written. */
  len?: number;
  reason?: string;
}

export interface XlatOptions {
  input: string;
  output: string;
  /** JSONL report, one XlatResult per line; a temporary file when left out. */
  report?: string;
  /** NAT64 prefix "P/LEN" written into nat64_config; default 64:ff9b:1:fffe::/96. */
  prefix?: string;
  /** Force every frame through one section (default: by EtherType). */
  section?: Section;
  /** Object file (default bpf/nat64.o). */
  object?: string;
  /** Write the counters as JSON here (see stats.ts readStatsFile). */
  stats?: string;
}

export async function xlat(opts: XlatOptions): Promise<XlatResult[]> {
  if (opts.prefix) parsePrefix(opts.prefix); // a clear error before the runner's
  const tmp = opts.report ? undefined : mkdtempSync(join(tmpdir(), "natlab-xlat-"));
  const report = opts.report ?? join(tmp!, "report.jsonl");
  const argv = [XLAT_RUNNER, opts.object ?? NAT64_OBJECT, opts.input, opts.output, "--report", report];
  if (opts.prefix) argv.push("--prefix", opts.prefix);
  if (opts.section) argv.push("--section", opts.section);
  if (opts.stats) argv.push("--stats", opts.stats);
  try {
    const r = await run(argv, { allowFail: true, timeoutSec: 600 });
    if (r.exitCode !== 0) {
      const hint = r.exitCode === 127 || /ENOENT/.test(r.stderr) ? " (build it: natlab build)" : "";
      throw new Error(`xlat: the runner failed on ${opts.input}${hint}:\n  ${(r.stderr || r.stdout).trim()}`);
    }
    return parseReport(readFileSync(report, "utf8"));
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

export function parseReport(text: string): XlatResult[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as XlatResult);
}
