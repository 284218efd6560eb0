/**
 * Differential fuzzing (`natlab fuzz --reference jool`): the same random and
 * mutated frames through natlab's program (BPF_PROG_TEST_RUN) and through a
 * reference translator on a real datapath (Jool in the debian-6.1 VM: every
 * frame of the run in one boot, one pcap in and one out), compared frame by
 * frame under the rules of `natlab golden compare`:
 *
 *   - a frame neither translates agrees, whatever each did with it (natlab
 *     passes or drops; a router routes it untranslated or drops it);
 *   - a frame a router never hands to a translator (not IP, TTL/hop limit
 *     at most the reference's hops, multicast) is n/a, counted, not compared;
 *   - both translated: the reference's frame with its hop taken off the
 *     TTL/hop limit put back, the IPv4 Identification it chose (RFC 7915
 *     §5.1, unfragmented) replaced by natlab's (checksums updated by RFC
 *     1624, so a wrong one stays wrong), Ethernet addresses and bytes after
 *     the IP packet left out, must be natlab's byte for byte.
 *
 * Each disagreement gets a class (direction, then the verdicts or the fields
 * that differ). A class is explained when a named explanation (explain/)
 * holds for the frame and compare-decisions.yaml decides that explanation;
 * what is left unexplained is saved as pcaps with the command that replays it.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { incrementalChecksum } from "../golden/judge.ts";
import { layerPaths, matchPacket } from "../match/index.ts";
import { checksumProblems, parse, readPcap, writePcap } from "../packet/index.ts";
import { type Prefix, parsePrefix } from "../packet/prefix.ts";
import { ROOT } from "../root.ts";
import { readOutputs, writeOutputs } from "../translators/jool/translator.ts";
import { DATAPATH_LINK_MTU, routerNotApplicable, translationTooLong } from "../translators/tc.ts";
import type { Translator, TranslatorInput, TranslatorOutput, Section as XlatSection } from "../translators/types.ts";
import { type Explanation, explain, referenceHazard } from "./explain/index.ts";
import { batchFrames, type FuzzFrame, goldenSeeds, runPrefixes } from "./frames.ts";
import { Rng } from "./rng.ts";
import type { FrameOutcome, TranslatorUnderTest } from "./translator.ts";

const ETH = 14;
const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;
const IPV4_ID = 4;
const IPV4_TTL = 8;
const IPV4_PROTO = 9;
const IPV4_CHECKSUM = 10;
const IPV6_HLIM = 7;
const IPV6_NEXT = 6;
const IPV6_HEADER = 40;
const IPPROTO_ICMP = 1;
const IPPROTO_FRAGMENT = 44;
const ICMP_CHECKSUM = 2;
const ICMP_HEADER = 8;
/** ICMPv4 errors that quote a packet (RFC 792): Destination Unreachable, Time Exceeded, Parameter Problem. */
const ICMP_ERRORS = new Set([3, 11, 12]);

export type DiffStatus = "agree" | "differ" | "n/a" | "error";

export interface FrameComparison {
  status: DiffStatus;
  /** The class of a disagreement: "6to4: natlab translates, jool drops", "4to6: fields ipv6.tc". */
  kind: string;
  /** One line: what each did, or the fields expected (natlab) beside actual (the reference). */
  detail: string;
  /** The fields that differ (both translated). */
  fields: string[];
  /** Both translated: the reference's frame with what the rules allow undone (what was compared). */
  normalised?: Buffer;
}

/** The direction a router's translator takes a frame in: by its EtherType. */
export function sectionOf(frame: Buffer): XlatSection | undefined {
  if (frame.length < ETH) return undefined;
  const type = frame.readUInt16BE(12);
  return type === ETH_P_IPV6 ? "6to4" : type === ETH_P_IP ? "4to6" : undefined;
}

/** Why the reference (a router, `hops` of them) never sees this frame as a translator would, or undefined. */
export function referenceNotApplicable(frame: Buffer, hops: number): string | undefined {
  const section = sectionOf(frame);
  if (!section) return "not IP: a router does not forward it";
  if (frame.length < ETH + (section === "6to4" ? IPV6_HEADER : 20))
    return "shorter than an IP header: the kernel drops it before any hook";
  return routerNotApplicable({ section, frame }, hops);
}

/** The MTU of a reference's links (natlab's datapath leaves veth at Linux's default, ETH_DATA_LEN). */
export const REFERENCE_LINK_MTU = DATAPATH_LINK_MTU;

/**
 * Why a frame never reaches a reference's translator although it was sent:
 * more IP bytes than the link's MTU. The sending end refuses it or the
 * veth drops it on receive (is_skb_forwardable()), before any hook. Such
 * frames are still given to the reference (so that the outputs cached by a
 * hash of the inputs stay valid), and judged n/a.
 */
export function linkNotApplicable(frame: Buffer): string | undefined {
  return frame.length - ETH > REFERENCE_LINK_MTU
    ? `longer than the router's link MTU (${REFERENCE_LINK_MTU} bytes of IP): the link drops it before any hook`
    : undefined;
}

/** The IP packet's own length (IPv4 Total Length, IPv6 40 + Payload Length), or undefined when it does not say. */
function ipLength(f: Buffer): number | undefined {
  const s = sectionOf(f);
  if (s === "4to6" && f.length >= ETH + 4) return f.readUInt16BE(ETH + 2);
  if (s === "6to4" && f.length >= ETH + IPV6_HEADER) return IPV6_HEADER + f.readUInt16BE(ETH + 4);
  return undefined;
}

/** The frame without the bytes after its IP packet (Ethernet padding, which a router's stack trims). */
function trimmed(f: Buffer): Buffer {
  const n = ipLength(f);
  return n !== undefined && n > 0 && ETH + n < f.length ? f.subarray(0, ETH + n) : f;
}

/** Whether an IPv6 packet carries a Fragment Header in its chain (then the IPv4 ID is not the translator's choice). */
function hasFragmentHeader(ipv6: Buffer, at = ETH): boolean {
  if (ipv6.length < at + IPV6_HEADER) return false;
  let next = ipv6[at + IPV6_NEXT];
  let o = at + IPV6_HEADER;
  // Hop-by-Hop (0), Routing (43), Destination Options (60): length in 8-octet units after the first 8.
  for (let k = 0; k < 16 && [0, 43, 60].includes(next) && o + 2 <= ipv6.length; k++) {
    next = ipv6[o];
    o += 8 * (ipv6[o + 1] + 1);
  }
  return next === IPPROTO_FRAGMENT;
}

/** Writes a 16-bit word and updates the checksum at `csumAt` for it (RFC 1624). */
function setWord(f: Buffer, at: number, value: number, csumAt: number[]): void {
  const old = f.readUInt16BE(at);
  if (old === value) return;
  f.writeUInt16BE(value, at);
  for (const c of csumAt) f.writeUInt16BE(incrementalChecksum(f.readUInt16BE(c), old, value), c);
}

/**
 * The reference's output with what the rules allow undone, against natlab's:
 * Ethernet addresses, the hop it counts, the IPv4 Identification it chose
 * (outer and quoted, where the IPv6 packet had no Fragment Header).
 */
export function normaliseReference(
  theirs: Buffer,
  ours: Buffer,
  input: Buffer,
  hops: number,
): { frame: Buffer; notes: string[] } {
  const f = Buffer.from(trimmed(theirs));
  const notes: string[] = [];
  ours.copy(f, 0, 0, Math.min(12, f.length));
  const type = f.length >= ETH + 20 ? f.readUInt16BE(12) : 0;
  if (type === ETH_P_IP && ours.length >= ETH + 20 && ours.readUInt16BE(12) === ETH_P_IP) {
    const ihl = 4 * (f[ETH] & 0x0f);
    const csum = ETH + IPV4_CHECKSUM;
    if (f[ETH + IPV4_TTL] + hops === ours[ETH + IPV4_TTL]) {
      const word = ETH + IPV4_TTL;
      setWord(f, word, (ours[word] << 8) | f[word + 1], [csum]);
      notes.push(`TTL less ${hops}`);
    }
    if (!hasFragmentHeader(input)) {
      setWord(f, ETH + IPV4_ID, ours.readUInt16BE(ETH + IPV4_ID), [csum]);
    }
    // The quoted IPv4 header of an ICMP error: its Identification too (the ICMP checksum covers it).
    const icmp = ETH + ihl;
    const quoted = icmp + ICMP_HEADER;
    const quotedIpv6 = input.length > ETH + IPV6_HEADER + ICMP_HEADER ? ETH + IPV6_HEADER + ICMP_HEADER : -1;
    if (
      f[ETH + IPV4_PROTO] === IPPROTO_ICMP &&
      ICMP_ERRORS.has(f[icmp]) &&
      f.length >= quoted + 20 &&
      ours.length >= quoted + 20 &&
      quotedIpv6 > 0 &&
      !hasFragmentHeader(input, quotedIpv6)
    ) {
      // The ICMP checksum covers the quoted header's checksum as well: it follows both words.
      const oldSum = f.readUInt16BE(quoted + IPV4_CHECKSUM);
      setWord(f, quoted + IPV4_ID, ours.readUInt16BE(quoted + IPV4_ID), [quoted + IPV4_CHECKSUM, icmp + ICMP_CHECKSUM]);
      const newSum = f.readUInt16BE(quoted + IPV4_CHECKSUM);
      f.writeUInt16BE(incrementalChecksum(f.readUInt16BE(icmp + ICMP_CHECKSUM), oldSum, newSum), icmp + ICMP_CHECKSUM);
    }
  }
  if (type === ETH_P_IPV6 && ours.length >= ETH + IPV6_HEADER && f[ETH + IPV6_HLIM] + hops === ours[ETH + IPV6_HLIM]) {
    f[ETH + IPV6_HLIM] = ours[ETH + IPV6_HLIM];
    notes.push(`hop limit less ${hops}`);
  }
  return { frame: f, notes };
}

/** The fields of `actual` that differ from `expected`; a checksum only when it is the sole difference or wrong for its fields. */
export function fieldDifferences(
  expected: Buffer,
  actual: Buffer,
): { path: string; expected: string; actual: string }[] {
  let want: ReturnType<typeof parse>;
  let got: ReturnType<typeof parse>;
  try {
    want = parse(expected);
    got = parse(actual);
  } catch {
    return [{ path: "bytes", expected: `${expected.length} bytes`, actual: `${actual.length} bytes` }];
  }
  const m = matchPacket(want, got);
  const wrong = new Set(checksumProblems(actual, { quotedL4: true }).map((p) => p.layer));
  const others = m.fields.filter((f) => !f.ok && !f.path.endsWith(".chksum")).length;
  const show = (v: unknown) => (typeof v === "object" ? JSON.stringify(v) : String(v));
  const diffs = m.fields
    .filter((f) => !f.ok && !(others > 0 && f.path.endsWith(".chksum") && wrong.size === 0))
    .map((f) => ({ path: f.path, expected: show(f.expected), actual: show(f.actual) }));
  if (!diffs.length && want.length !== got.length)
    diffs.push({ path: "layers", expected: layerPaths(want).join(","), actual: layerPaths(got).join(",") });
  if (!diffs.length)
    diffs.push({ path: "bytes", expected: `${expected.length} bytes`, actual: `${actual.length} bytes` });
  return diffs;
}

/** One frame: natlab's outcome against the reference's output. */
export function compareFrame(
  input: Buffer,
  ours: FrameOutcome,
  theirs: TranslatorOutput,
  reference: string,
  hops: number,
): FrameComparison {
  const section = sectionOf(input) ?? "other";
  const c = (status: DiffStatus, kind: string, detail: string, fields: string[] = []): FrameComparison => ({
    status,
    kind,
    detail,
    fields,
  });
  if (theirs.verdict === "n/a") return c("n/a", `n/a: ${theirs.reason ?? ""}`, theirs.reason ?? "");
  if (theirs.verdict === "error") return c("error", `${reference} could not run it`, theirs.reason ?? "");
  const oursOut = ours.verdict === "ok" ? ours.outputs[0] : undefined;
  const theirsOut = theirs.verdict === "ok" ? theirs.frames : [];
  const what = (v: TranslatorOutput["verdict"]) => (v === "pass" ? "routes it untranslated" : "drops it");
  const ourWhat = ours.verdict === "pass" ? "passes it" : "drops it";
  if (!oursOut && !theirsOut.length)
    return c("agree", "agree", `natlab ${ourWhat}, ${reference} ${what(theirs.verdict)}`);
  if (oursOut && !theirsOut.length)
    return c("differ", `${section}: natlab translates, ${reference} ${what(theirs.verdict)}`, "");
  if (!oursOut) return c("differ", `${section}: natlab ${ourWhat}, ${reference} translates`, "");
  if (theirsOut.length > 1)
    return c(
      "differ",
      `${section}: ${reference} sends ${theirsOut.length > 2 ? "several" : "two"} frames (fragments)`,
      "",
    );
  const a = trimmed(oursOut);
  const b = normaliseReference(theirsOut[0], a, input, hops).frame;
  if (a.equals(b)) return c("agree", "agree", "both translate, the same bytes");
  const diffs = fieldDifferences(a, b);
  const fields = [...new Set(diffs.map((d) => d.path))];
  return {
    ...c(
      "differ",
      `${section}: ${fields.join(", ")}`,
      diffs.map((d) => `${d.path} ${d.expected} → ${d.actual}`).join("; "),
      fields,
    ),
    normalised: b,
  };
}

export interface DiffFrame extends FuzzFrame {
  prefix: string;
  batch: number;
  index: number;
}

export interface Disagreement {
  frame: DiffFrame;
  comparison: FrameComparison;
  ours?: Buffer;
  theirs: Buffer[];
  explanation?: Explanation;
}

export interface DiffSummary {
  frames: number;
  seconds: number;
  seed: number;
  reference: string;
  agree: number;
  notApplicable: Record<string, number>;
  errors: number;
  /** Disagreements by class, each with how many an explanation covers and which. */
  classes: Map<
    string,
    { total: number; explained: Map<string, number>; unexplained: Disagreement[]; unexplainedTotal: number }
  >;
  explained: number;
  unexplained: number;
  /** Frames that stopped the reference's kernel (n/a, counted there too), with the kernel's report. */
  crashes: { frame: DiffFrame; trace: string }[];
  /** Every frame's comparison, when asked for (--replay). */
  perFrame?: { comparison: FrameComparison; ours?: Buffer; theirs: Buffer[]; d?: Disagreement }[];
}

/** Unexplained frames kept per class (the rest are counted). */
const KEEP_PER_CLASS = 500;

export interface DifferentialOptions {
  count: number;
  seed: number;
  batch: number;
  ours: TranslatorUnderTest;
  reference: Translator;
  prefixes?: string[];
  goldenDir?: string;
  onProgress?: (message: string) => void;
}

/** The run's frames, batch by batch, as `natlab fuzz` makes them (same seed, same frames). */
export function differentialFrames(
  opts: Pick<DifferentialOptions, "count" | "seed" | "batch" | "prefixes" | "goldenDir">,
): DiffFrame[] {
  const golden = goldenSeeds(opts.goldenDir);
  const prefixes: Prefix[] = opts.prefixes?.length ? opts.prefixes.map(parsePrefix) : runPrefixes(golden);
  const out: DiffFrame[] = [];
  for (let k = 0; out.length < opts.count; k++) {
    const prefix = prefixes[k % prefixes.length];
    const n = Math.min(opts.batch, opts.count - out.length);
    batchFrames(new Rng(opts.seed, k), n, prefix, golden.get(prefix.text) ?? []).forEach((f, index) => {
      out.push({ ...f, prefix: prefix.text, batch: k, index });
    });
  }
  return out;
}

/** A run's frames as frames.json (what each is) beside frames.pcap (the bytes); returns the JSON's path. */
export function writeDiffFrames(path: string, frames: DiffFrame[]): string {
  mkdirSync(dirname(path), { recursive: true });
  writePcap(
    path.replace(/\.json$/, ".pcap"),
    frames.map((f) => f.frame),
  );
  const meta = frames.map((f) => ({
    prefix: f.prefix,
    batch: f.batch,
    index: f.index,
    origin: f.origin,
    mutations: f.mutations,
  }));
  writeFileSync(path, JSON.stringify({ pcap: basename(path.replace(/\.json$/, ".pcap")), frames: meta }));
  return path;
}

export function readDiffFrames(path: string): DiffFrame[] {
  const j = JSON.parse(readFileSync(path, "utf8")) as { pcap: string; frames: Omit<DiffFrame, "frame">[] };
  const bytes = readPcap(join(dirname(path), j.pcap)).frames;
  if (bytes.length !== j.frames.length)
    throw new Error(`${path}: ${j.frames.length} frames, but ${j.pcap} holds ${bytes.length}`);
  return j.frames.map((f, k) => ({ ...f, frame: bytes[k].data }));
}

/** Where a reference's outputs are kept, by a hash of its inputs (frames, sections, prefixes). */
export const REFERENCE_CACHE = join(ROOT, "results", "fuzz", ".reference-cache");

/**
 * The reference's outputs for these inputs: from the cache when the same
 * inputs ran before (a hundred thousand frames through Jool is a long VM
 * run; deciding its differences means judging them again and again), else
 * run and kept. The key covers every byte of every input, so a change in
 * the frames' generator or in the run's options never reads stale outputs.
 */
async function cachedRun(
  reference: Translator,
  inputs: TranslatorInput[],
  onProgress: (m: string) => void,
): Promise<TranslatorOutput[]> {
  const h = createHash("sha256").update(reference.spec.name);
  for (const i of inputs) h.update(`${i.section} ${i.prefix} ${i.frame.length}\n`).update(i.frame);
  const file = join(REFERENCE_CACHE, `${reference.spec.name}-${h.digest("hex").slice(0, 24)}.json`);
  if (existsSync(file)) {
    onProgress(`outputs of these ${inputs.length} frames from the cache (${relative(ROOT, file)})`);
    return readOutputs(file);
  }
  const outputs = await reference.run(inputs, onProgress);
  mkdirSync(REFERENCE_CACHE, { recursive: true });
  writeOutputs(file, outputs);
  return outputs;
}

/** Frames through both translators, compared; see the top of this file. */
export async function differential(
  frames: DiffFrame[],
  opts: Omit<DifferentialOptions, "count" | "batch" | "prefixes" | "goldenDir"> & { perFrame?: boolean },
): Promise<DiffSummary> {
  const started = Date.now();
  const hops = opts.reference.rules.ttlDecrement["6to4"];
  const name = opts.reference.spec.name;
  const na = frames.map((f) => referenceNotApplicable(f.frame, hops) ?? referenceHazard(name, f.frame));
  const inputs: TranslatorInput[] = [];
  const at: number[] = [];
  frames.forEach((f, i) => {
    const section = sectionOf(f.frame);
    if (na[i] !== undefined || !section) return;
    at.push(i);
    inputs.push({ id: `${f.batch}/${f.index}`, frame: f.frame, section, prefix: f.prefix });
  });
  opts.onProgress?.(
    `${inputs.length} of ${frames.length} frames to ${name} (the rest a router never hands to a translator)`,
  );
  // The reference runs (a VM boots) while natlab's program takes its batches; the same
  // inputs again (a re-run after a new explanation) take its outputs from the cache.
  const theirsRun = cachedRun(opts.reference, inputs, (m) => opts.onProgress?.(`${name}: ${m}`));
  theirsRun.catch(() => undefined);
  const ours: FrameOutcome[] = [];
  const byBatch = new Map<string, number[]>();
  frames.forEach((f, i) => {
    const key = `${f.batch}`;
    byBatch.set(key, [...(byBatch.get(key) ?? []), i]);
  });
  for (const idx of byBatch.values()) {
    const r = await opts.ours.translate(
      idx.map((i) => frames[i].frame),
      { prefix: frames[idx[0]].prefix },
    );
    idx.forEach((i, k) => {
      ours[i] = r.outcomes[k];
    });
  }
  opts.onProgress?.(`natlab: ${frames.length} frames through ${opts.ours.name}; waiting for ${name}`);
  const theirsOut = await theirsRun;
  const theirs: TranslatorOutput[] = frames.map((_, i) => ({ verdict: "n/a", frames: [], back: [], reason: na[i] }));
  at.forEach((i, k) => {
    // Judged n/a after the run, not kept from it: the reference's inputs (and their cache) stay the same.
    const mine = ours[i]?.verdict === "ok" ? ours[i]?.outputs[0] : undefined;
    const tooLong =
      linkNotApplicable(frames[i].frame) ??
      (mine && sectionOf(frames[i].frame) === "4to6"
        ? translationTooLong(frames[i].frame, mine.length - ETH)
        : undefined);
    theirs[i] = tooLong ? { verdict: "n/a", frames: [], back: [], reason: tooLong } : theirsOut[k];
  });
  const s: DiffSummary = {
    frames: frames.length,
    seconds: 0,
    seed: opts.seed,
    reference: name,
    agree: 0,
    notApplicable: {},
    errors: 0,
    classes: new Map(),
    explained: 0,
    unexplained: 0,
    crashes: [],
  };
  if (opts.perFrame) s.perFrame = [];
  frames.forEach((f, i) => {
    const cmp = compareFrame(f.frame, ours[i], theirs[i], name, hops);
    const oursOut = ours[i].verdict === "ok" ? ours[i].outputs[0] : undefined;
    const theirsOut = theirs[i].verdict === "ok" ? theirs[i].frames : [];
    s.perFrame?.push({ comparison: cmp, ours: oursOut, theirs: theirsOut });
    const crash = theirs[i].crash;
    if (crash) s.crashes.push({ frame: f, trace: crash });
    if (cmp.status === "agree") s.agree++;
    else if (cmp.status === "n/a") s.notApplicable[cmp.detail] = (s.notApplicable[cmp.detail] ?? 0) + 1;
    else if (cmp.status === "error") s.errors++;
    if (cmp.status !== "differ" && cmp.status !== "error") return;
    const d: Disagreement = { frame: f, comparison: cmp, ours: oursOut, theirs: theirsOut };
    d.explanation = cmp.status === "differ" ? explain(d, name) : undefined;
    if (s.perFrame) s.perFrame[s.perFrame.length - 1].d = d;
    const cls = s.classes.get(cmp.kind) ?? {
      total: 0,
      explained: new Map<string, number>(),
      unexplained: [] as Disagreement[],
      unexplainedTotal: 0,
    };
    s.classes.set(cmp.kind, cls);
    cls.total++;
    if (d.explanation) {
      s.explained++;
      cls.explained.set(d.explanation.id, (cls.explained.get(d.explanation.id) ?? 0) + 1);
    } else {
      s.unexplained++;
      cls.unexplainedTotal++;
      if (cls.unexplained.length < KEEP_PER_CLASS) cls.unexplained.push(d);
    }
  });
  s.seconds = (Date.now() - started) / 1000;
  return s;
}
