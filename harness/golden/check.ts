/**
 * Run golden cases through the translator (BPF_PROG_TEST_RUN via
 * harness/bpf/xlat.ts) and compare what comes out with the committed
 * expected pcap, byte for byte. Cases are batched by prefix (groupCases):
 * one runner process, one load of the object, per group, not per case.
 *
 * Two allowances, both visible in the case file:
 *   - `ignore: [ipv4.id]`: the field is the translator's to choose (RFC
 *     7915 §5.1: the IPv4 Identification of an unfragmented packet comes
 *     from "a Fragment Identification algorithm"); the expected frame is
 *     rebuilt with the actual value (and so the checksums that cover it).
 *   - a TCP/ICMP/IPv4 checksum of 0xffff where 0x0000 was expected, or
 *     the reverse: one's complement has two zeros and receivers accept
 *     both (never for UDP, where 0 means "no checksum"), as long as the
 *     actual one verifies: over all-zero data only 0xffff does.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Section, type XlatResult, xlat } from "../bpf/xlat.ts";
import { formatDiff, indent, layerPaths, matchPacket } from "../match/index.ts";
import {
  build,
  checksumProblems,
  describe,
  type Layer,
  layerFields,
  layerName,
  type Packet,
  parse,
  readPcap,
  writePcap,
} from "../packet/index.ts";
import { type Case, FIXTURES_DIR } from "./cases.ts";

export interface CaseResult {
  case: Case;
  ok: boolean;
  /** What the runner said. */
  verdict: string;
  /** Why it failed, ready to print (diff included); empty when ok. */
  failure: string;
  /** Notes on a pass that needed an allowance. */
  note?: string;
}

export interface CheckOptions {
  /** Object file (default bpf/nat64.o). */
  object?: string;
  /** Folder of the committed pcaps (default fixtures/pcaps). */
  dir?: string;
  color?: boolean;
}

/** Read one frame from a committed pcap; undefined for an empty one (a "shot" case's output). */
function firstFrame(path: string): Buffer | undefined {
  return readPcap(path).frames[0]?.data;
}

/** The section the runner gives a frame when none is forced: IPv4 by EtherType to `4to6`, the rest to `6to4`. */
export function runnerSection(frame: Buffer): "6to4" | "4to6" {
  return frame.length >= 14 && frame.readUInt16BE(12) === 0x0800 ? "4to6" : "6to4";
}

/**
 * Groups of cases that can share one runner process, and so one load of the
 * object (each load runs the verifier over both sections: seconds under
 * emulation). A group is a prefix: the runner sends each frame to its section
 * by EtherType; only cases that force the other section get a group of their own.
 * Each group: its prefix, the section to force (undefined: by EtherType), its cases.
 */
export function groupCases(
  cases: Case[],
  inputOf: (c: Case) => Buffer,
): { prefix: string; section?: Section; cases: Case[] }[] {
  const groups = new Map<string, { prefix: string; section?: Section; cases: Case[] }>();
  for (const c of cases) {
    const section = c.section === runnerSection(inputOf(c)) ? undefined : (c.section as Section);
    const key = `${c.prefix} ${section ?? "by EtherType"}`;
    const group = groups.get(key) ?? { prefix: c.prefix, section, cases: [] };
    group.cases.push(c);
    groups.set(key, group);
  }
  return [...groups.values()];
}

export async function checkCases(cases: Case[], opts: CheckOptions = {}): Promise<CaseResult[]> {
  const dir = opts.dir ?? FIXTURES_DIR;
  const results = new Map<Case, CaseResult>();
  const inputs = new Map<Case, Buffer>();
  for (const c of cases) {
    const f = firstFrame(join(dir, c.file, `${c.slug}.in.pcap`));
    if (!f) throw new Error(`${c.file}/${c.slug}.in.pcap has no frame: run \`natlab golden build\``);
    inputs.set(c, f);
  }
  const inputOf = (c: Case) => inputs.get(c) as Buffer;
  const tmp = mkdtempSync(join(tmpdir(), "natlab-golden-"));
  try {
    let n = 0;
    for (const { prefix, section, cases: group } of groupCases(cases, inputOf)) {
      const input = join(tmp, `in-${n}.pcap`);
      const output = join(tmp, `out-${n}.pcap`);
      n++;
      writePcap(input, group.map(inputOf));
      const report = await xlat({ input, output, prefix, section, object: opts.object });
      const outFrames = readPcap(output).frames.map((f) => f.data);
      group.forEach((c, i) => {
        const r = report.find((x) => x.index === i);
        const expected = firstFrame(join(dir, c.file, `${c.slug}.out.pcap`));
        results.set(
          c,
          judge(c, inputOf(c), r, r?.out == null ? undefined : outFrames[r.out], expected, opts.color ?? false),
        );
      });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return cases.map((c) => results.get(c) as CaseResult);
}

function header(c: Case): string {
  return `${c.file}: ${c.name}  [${c.rfc}; ${c.section}, prefix ${c.prefix}]`;
}

/** One case: the runner's verdict and frame against the expectation. */
export function judge(
  c: Case,
  input: Buffer,
  r: XlatResult | undefined,
  actual: Buffer | undefined,
  expected: Buffer | undefined,
  color = false,
): CaseResult {
  const fail = (verdict: string, why: string): CaseResult => ({
    case: c,
    ok: false,
    verdict,
    failure: `${header(c)}\n${indent(why, 2)}`,
  });
  if (!r) return fail("missing", "the runner reported nothing for this frame");
  const got = r.verdict;
  if (got === "error") return fail(got, `the kernel refused to run the frame: ${r.reason ?? "(no reason given)"}`);
  if (c.verdict === "shot") {
    if (got === "shot") return { case: c, ok: true, verdict: got, failure: "" };
    return fail(
      got,
      `expected a drop (TC_ACT_SHOT), got verdict ${got} (retval ${r.retval})${actual ? `:\n  out: ${describe(parse(actual))}` : ""}\n  in:  ${describe(parse(input))}`,
    );
  }
  if (got === "shot")
    return fail(
      got,
      `expected verdict ${c.verdict}, the translator dropped it\n  in: ${describe(parse(input))}${c.why ? `\n  why it should not: ${c.why}` : ""}`,
    );
  if (!actual) return fail(got, `verdict ${got} but no frame came out`);
  if (!expected) return fail(got, `${c.file}/${c.slug}.out.pcap has no frame: run \`natlab golden build\``);
  if (c.verdict === "pass" && got !== "pass")
    return fail(
      got,
      `expected the frame to pass untouched, the translator changed it (verdict ${got})\n${diffText(expected, actual, color)}`,
    );
  const want = maskedExpectation(c, expected, actual);
  if (want.equals(actual)) return { case: c, ok: true, verdict: got, failure: "" };
  const zeros = onlyZeroChecksumForms(want, actual);
  if (zeros) return { case: c, ok: true, verdict: got, failure: "", note: zeros };
  return fail(
    got,
    `the output differs from ${c.file}/${c.slug}.out.pcap (expected beside actual):\n${diffText(want, actual, color)}`,
  );
}

/** The expected frame with every ignored field set to what the translator chose, checksums rebuilt. */
export function maskedExpectation(c: Case, expected: Buffer, actual: Buffer): Buffer {
  if (!c.ignore?.length || !c.out) return expected;
  const got = parse(actual);
  const paths = layerPaths(got);
  const out: Layer[] = structuredClone(c.out);
  for (const path of c.ignore) {
    const [layer, field] = path.split(".");
    const i = paths.indexOf(layer);
    if (i < 0 || i >= out.length) continue;
    const target = Object.values(out[i])[0] as Record<string, unknown>;
    const value = (Object.values(got[i])[0] as Record<string, unknown>)[field];
    if (Object.keys(out[i])[0] === Object.keys(got[i])[0] && value !== undefined) target[field] = value;
  }
  return build(out as Packet);
}

/** When the frames differ only in checksums written 0x0000 against 0xffff (outside UDP), say so; else undefined. */
function onlyZeroChecksumForms(want: Buffer, actual: Buffer): string | undefined {
  if (want.length !== actual.length) return undefined;
  // Only where the actual zero verifies: over all-zero data only 0xffff does (RFC 1071), and receivers reject 0x0000.
  if (checksumProblems(actual, { quotedL4: true }).length) return undefined;
  const [e, a] = [parse(want), parse(actual)];
  if (e.length !== a.length) return undefined;
  const paths = layerPaths(a);
  const differing: string[] = [];
  for (let i = 0; i < e.length; i++) {
    const [fe, fa] = [layerFields(e[i]), layerFields(a[i])];
    for (const k of new Set([...Object.keys(fe), ...Object.keys(fa)])) {
      if (JSON.stringify(fe[k]) === JSON.stringify(fa[k])) continue;
      const zero = (x: unknown) => x === 0 || x === 0xffff;
      if (k !== "chksum" || layerName(a[i]) === "udp" || !zero(fe[k]) || !zero(fa[k])) return undefined;
      differing.push(`${paths[i]}.chksum`);
    }
  }
  return differing.length ? `checksum written as the other zero (${differing.join(", ")})` : undefined;
}

function diffText(expected: Buffer, actual: Buffer, color: boolean): string {
  const e = parse(expected);
  const a = parse(actual);
  const m = matchPacket(e, a);
  const problems = checksumProblems(actual, { quotedL4: true });
  const rows = m.fields.filter((f) => !f.ok);
  const table = formatDiff(e, a, rows.length ? rows : m.fields, { problems, color });
  const lines = [table];
  if (rows.length === 0 && problems.length === 0)
    lines.push(`(fields agree; bytes differ: expected ${expected.length} bytes, actual ${actual.length})`);
  lines.push(`expected: ${describe(e)}`, `actual:   ${describe(a)}`);
  return lines.join("\n");
}

/** The summary line and the failures, for the console. */
export function formatResults(results: CaseResult[]): string {
  const failed = results.filter((r) => !r.ok);
  const byFile = new Map<string, [number, number]>();
  for (const r of results) {
    const [p, f] = byFile.get(r.case.file) ?? [0, 0];
    byFile.set(r.case.file, r.ok ? [p + 1, f] : [p, f + 1]);
  }
  const out: string[] = [];
  for (const r of failed) out.push(`✗ ${r.failure}`, "");
  for (const [file, [p, f]] of byFile) out.push(`${f ? "✗" : "✓"} ${file}: ${p} passed${f ? `, ${f} failed` : ""}`);
  const notes = results.filter((r) => r.ok && r.note);
  for (const r of notes) out.push(`  note: ${r.case.file}: ${r.case.name}: ${r.note}`);
  out.push(
    `golden: ${results.length - failed.length}/${results.length} cases pass${failed.length ? `, ${failed.length} fail` : ""}`,
  );
  return out.join("\n");
}

/** Read a file or undefined when missing (for staleness checks). */
export function readIfExists(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}
