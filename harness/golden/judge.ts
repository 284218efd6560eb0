/**
 * One translator's output for one golden case, judged against the case:
 * agree, differ (with the fields that differ, expected beside actual), n/a
 * (the translator cannot run it, and why) or error. The comparison rules of
 * the translator (harness/translators/types.ts CompareRules) are applied
 * here, and every allowance used is noted, so "agree" never hides one:
 *
 *   - TTL/hop limit: the outer header's value must be the expected one less
 *     the translator's hops (0 for BPF_PROG_TEST_RUN);
 *   - Ethernet addresses are compared only where the translator writes them;
 *   - fields the case ignores (`ignore: [ipv4.id]`, the IPv4 Identification
 *     the RFC leaves to the translator) are taken from the output;
 *   - a checksum written as the other one's-complement zero (not UDP);
 *   - a "pass" case on a router agrees when nothing translated came out;
 *   - ICMP errors a translator sends back for a packet it drops are listed,
 *     not held against it (RFC 7915 §4.4/§5.4 make them SHOULD; natlab sends
 *     none, docs/translator.md).
 */
import { layerPaths, matchPacket, problemPath } from "../match/index.ts";
import { checksumProblems, describe, parse } from "../packet/index.ts";
import type { CompareRules, TranslatorOutput } from "../translators/types.ts";
import type { Case } from "./cases.ts";
import { judge, maskedExpectation } from "./check.ts";

export type JudgeStatus = "agree" | "differ" | "n/a" | "error";

export interface FieldDifference {
  path: string;
  expected: string;
  actual: string;
}

export interface Judgement {
  status: JudgeStatus;
  /** One short line for a table cell. */
  summary: string;
  diffs: FieldDifference[];
  /** The full explanation (a field diff table) for the console; empty when agreeing. */
  detail: string;
  /** Allowances used and frames sent back, for the record. */
  notes: string[];
}

const ETH_HEADER = 14;
const IPV4_TTL = 8;
const IPV4_CHECKSUM = 10;
const IPV6_HOP_LIMIT = 7;

export function judgeOutput(
  c: Case,
  input: Buffer,
  out: TranslatorOutput,
  expected: Buffer | undefined,
  rules: CompareRules,
): Judgement {
  const notes = out.back.map((f) => `sent back: ${describe(parse(f))}`);
  const j = (status: JudgeStatus, summary: string, diffs: FieldDifference[] = [], detail = ""): Judgement => ({
    status,
    summary,
    diffs,
    detail,
    notes,
  });
  if (out.verdict === "n/a") return j("n/a", out.reason ?? "not applicable");
  if (out.verdict === "error") return j("error", out.reason ?? "error");
  const got = out.frames.length === 0 ? "shot" : out.verdict;
  const router = rules.passMeaning === "not-translated";

  if (c.verdict === "shot") {
    if (got === "shot") return j("agree", "agree");
    return j("differ", `verdict: expected shot (dropped), got ${got}: ${describe(parse(out.frames[0]))}`, [
      { path: "verdict", expected: "shot", actual: got },
    ]);
  }
  if (c.verdict === "pass") {
    if (router && got !== "ok") {
      notes.push('not translated: a router translator agrees with "pass" when nothing translated comes out');
      return j("agree", "agree");
    }
    if (got === "pass" && !router) return j("agree", "agree");
    return j("differ", `verdict: expected pass (untouched), got ${got}: ${describe(parse(out.frames[0]))}`, [
      { path: "verdict", expected: "pass", actual: got },
    ]);
  }
  // verdict ok: one translated frame.
  if (got !== "ok") {
    const what = got === "shot" ? "dropped" : "passed untranslated";
    return j("differ", `verdict: expected ok (translated), got ${got} (${what})`, [
      { path: "verdict", expected: "ok", actual: got },
    ]);
  }
  if (!expected) return j("error", `${c.file}/${c.slug}.out.pcap has no frame: run \`natlab golden build\``);
  if (out.frames.length > 1) {
    const all = out.frames.map((f) => describe(parse(f))).join(" | ");
    return j("differ", `${out.frames.length} frames came out, expected 1: ${all}`, [
      { path: "frames", expected: "1", actual: String(out.frames.length) },
    ]);
  }
  const { frame: actual, notes: allowed } = normalise(out.frames[0], expected, c, rules);
  notes.push(...allowed);
  const r = judge(c, input, { index: 0, section: c.section, retval: 0, verdict: "ok", out: 0 }, actual, expected);
  if (r.ok) {
    if (r.note) notes.push(r.note);
    return j("agree", "agree");
  }
  const diffs = fieldDiffs(c, expected, actual, rules);
  const summary = diffs.length
    ? diffs.map((d) => `${d.path} ${d.expected} → ${d.actual}`).join("; ")
    : "bytes differ (fields agree)";
  return j("differ", summary, diffs, r.failure);
}

/**
 * The output with the translator's allowances undone: Ethernet addresses
 * copied from the expectation where the rules do not compare them, and the
 * outer TTL/hop limit put back when it is exactly the expected value less
 * the translator's hops (the IPv4 header checksum follows, by RFC 1624
 * incremental update, so a wrong checksum stays wrong).
 */
export function normalise(
  frame: Buffer,
  expected: Buffer,
  c: Case,
  rules: CompareRules,
): { frame: Buffer; notes: string[] } {
  const f = Buffer.from(frame);
  const notes: string[] = [];
  if (!rules.compareEthernet) expected.copy(f, 0, 0, 12);
  const hops = rules.ttlDecrement[c.section];
  const type = f.readUInt16BE(12);
  if (
    hops > 0 &&
    type === 0x0800 &&
    expected.readUInt16BE(12) === 0x0800 &&
    f.length > ETH_HEADER + IPV4_CHECKSUM + 1
  ) {
    const [want, got] = [expected[ETH_HEADER + IPV4_TTL], f[ETH_HEADER + IPV4_TTL]];
    if (got === want - hops) {
      const old = f.readUInt16BE(ETH_HEADER + IPV4_TTL);
      f[ETH_HEADER + IPV4_TTL] = want;
      f.writeUInt16BE(
        incrementalChecksum(f.readUInt16BE(ETH_HEADER + IPV4_CHECKSUM), old, f.readUInt16BE(ETH_HEADER + IPV4_TTL)),
        ETH_HEADER + IPV4_CHECKSUM,
      );
      notes.push(`TTL ${got}: ${want} less ${hops} hop${hops > 1 ? "s" : ""}`);
    }
  }
  if (hops > 0 && type === 0x86dd && expected.readUInt16BE(12) === 0x86dd && f.length > ETH_HEADER + IPV6_HOP_LIMIT) {
    const [want, got] = [expected[ETH_HEADER + IPV6_HOP_LIMIT], f[ETH_HEADER + IPV6_HOP_LIMIT]];
    if (got === want - hops) {
      f[ETH_HEADER + IPV6_HOP_LIMIT] = want;
      notes.push(`hop limit ${got}: ${want} less ${hops} hop${hops > 1 ? "s" : ""}`);
    }
  }
  return { frame: f, notes };
}

/** RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), one 16-bit word changed from m to m'. */
export function incrementalChecksum(hc: number, m: number, m2: number): number {
  let sum = (~hc & 0xffff) + (~m & 0xffff) + m2;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** The fields that differ, expected beside actual (the outer TTL shown less the translator's hops). */
function fieldDiffs(c: Case, expected: Buffer, actual: Buffer, rules: CompareRules): FieldDifference[] {
  const want = parse(maskedExpectation(c, expected, actual));
  const got = parse(actual);
  const m = matchPacket(want, got);
  const hops = rules.ttlDecrement[c.section];
  const paths = layerPaths(got);
  const show = (v: unknown) => (typeof v === "object" ? JSON.stringify(v) : String(v));
  // A checksum that is right for the fields as sent only follows another difference: not listed.
  const wrong = new Set(checksumProblems(actual, { quotedL4: true }).map((p) => problemPath(p, got)));
  const others = m.fields.filter((f) => !f.ok && !f.path.endsWith(".chksum")).length;
  const diffs = m.fields
    .filter((f) => !f.ok && !(others > 0 && f.path.endsWith(".chksum") && !wrong.has(f.path)))
    .map((f) => {
      const outerHop = hops > 0 && (f.path === "ipv4.ttl" || f.path === "ipv6.hlim");
      const expectedText = outerHop
        ? `${Number(f.expected) - hops} (${show(f.expected)} less ${hops})`
        : show(f.expected);
      return { path: f.path, expected: expectedText, actual: show(f.actual) };
    });
  if (diffs.length === 0 && want.length !== got.length)
    diffs.push({ path: "layers", expected: paths.join(","), actual: layerPaths(got).join(",") });
  if (diffs.length === 0 && expected.length !== actual.length)
    diffs.push({ path: "length", expected: String(expected.length), actual: String(actual.length) });
  return diffs;
}
