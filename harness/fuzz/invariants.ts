/**
 * What must hold for every frame, whatever the frame (issue: natlab fuzz):
 *   - a frame the translator does not take comes out byte-identical, or is
 *     dropped (and counted: see counters.ts); it is never modified;
 *   - a translated frame is of the other family and parses cleanly: lengths
 *     consistent, IPv4 header checksum right, nothing the codec calls
 *     malformed (tshark's opinion is added in batches, tshark.ts);
 *   - an L4 or ICMP checksum that was right stays right, one that was wrong
 *     stays wrong: a translator must not repair a corrupt packet. One's
 *     complement has two zeros, and the codec's verdicts accept both; a UDP
 *     checksum of zero is "none" over IPv4 and wrong over IPv6;
 *   - addresses map by RFC 6052 (the prefix, outer and quoted);
 *   - at most one output per input.
 * A translator reads the outer IP header, its extension headers, the first
 * bytes of the transport header and, in an ICMP error, the quoted IP header:
 * an input malformed there must be dropped, and translating it is a
 * violation. What lies deeper (a UDP length, TCP options, a tunnelled
 * packet, a payload protocol) is the receiver's to judge: the same flaw
 * carried across is noted, not counted. A flaw the translation introduced
 * is always a violation.
 * Pure: bytes in, violations out. A violation's `kind` is the class it is
 * counted and saved under; numbers are taken out of it so that one cause is
 * one class, and `detail` keeps them.
 */

import { checksumVerdictsOf, type Decoded, decode, type Packet, type Span } from "../packet/index.ts";
import { embedIpv4, extractIpv4, type Prefix } from "../packet/prefix.ts";
import type { FrameOutcome } from "./translator.ts";

export interface Violation {
  kind: string;
  detail: string;
}

export interface FrameReport {
  violations: Violation[];
  /** Observations that are not violations (e.g. bytes after the IP packet kept), by kind. */
  notes: string[];
  /** The input was malformed somewhere (codec): tshark's findings on the output are then not the translator's. */
  inputMalformed: boolean;
}

const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;
const EXT = new Set(["hbh", "dstopts", "routing", "frag"]);
/**
 * Protocol numbers that mean something in one family only (RFC 7915 §4.1/§5.1 copy the number; these would
 * change meaning): IPv6's extension headers (RFC 7045: Mobility, HIP and Shim6 too) and ICMPv6 in an IPv4
 * header, ICMP and IGMP in an IPv6 header.
 */
const NOT_IN_IPV4 = new Set([0, 43, 44, 58, 60, 135, 139, 140]);
/** In IPv6, 1 and 2 (ICMP, IGMP) are not upper protocols: ICMPv6 is 58 and IGMP has no IPv6 form. */
const NOT_IN_IPV6 = new Set([0, 1, 2, 43, 44, 60]);
/** Flaws in what the translator does not interpret: carried across, they are the receiver's to judge. */
const OPAQUE = /UDP length|TCP data offset|TCP header of \d+ bytes cut short|bytes after the/;

function familyOf(frame: Buffer): 4 | 6 | undefined {
  if (frame.length < 14) return undefined;
  const t = frame.readUInt16BE(12);
  return t === ETH_P_IP ? 4 : t === ETH_P_IPV6 ? 6 : undefined;
}

/** A codec problem as a class: numbers out, the two families' names made one. */
function problemClass(p: string): string {
  return p
    .replace(/ at byte \d+$/, "")
    .replace(/icmpv6/g, "icmp")
    .replace(/\d+/g, "N");
}

/**
 * The byte ranges a translator must understand: the outer IP header and its
 * extension headers, 8 bytes of the transport header, and in an ICMP error
 * the quoted IP header and its extension headers.
 */
function translatorRegions(d: Decoded): [number, number][] {
  const regions: [number, number][] = [];
  let i = d.spans.findIndex((s) => s.name === "ipv4" || s.name === "ipv6");
  for (let pass = 0; pass < 2 && i >= 0; pass++) {
    const ip = d.spans[i];
    let j = i + 1;
    while (j < d.spans.length && EXT.has(d.spans[j].name) && d.spans[j].quoted === ip.quoted) j++;
    const l4: Span | undefined = d.spans[j];
    const transport = l4 && l4.quoted === ip.quoted && ["tcp", "udp", "icmp", "icmpv6"].includes(l4.name);
    const upper = transport ? Math.min(l4.start + 8, l4.end) : (l4?.start ?? ip.end);
    regions.push([ip.start, pass === 0 ? upper : (l4?.start ?? ip.end)]);
    // An ICMP error: the quoted IP header follows.
    i =
      l4 && (l4.name === "icmp" || l4.name === "icmpv6")
        ? d.spans.findIndex((s, k) => k > j && s.quoted && (s.name === "ipv4" || s.name === "ipv6"))
        : -1;
  }
  return regions;
}

function problemOffset(p: string): number | undefined {
  const m = / at byte (\d+)$/.exec(p);
  return m ? Number(m[1]) : undefined;
}

type Verdict = ReturnType<typeof checksumVerdictsOf>[number];

/**
 * "tcp", "udp", "icmp" (ICMP and ICMPv6 are one role across the translation), "ip header";
 * "quoted " in front inside an error.
 */
function roleOf(v: Verdict): string {
  const quoted = v.layer.startsWith("quoted ");
  const name = v.layer.replace(/^quoted /, "");
  const role = name === "ipv4" ? "ip header" : name === "icmpv6" ? "icmp" : name;
  return `${quoted ? "quoted " : ""}${role}`;
}

/** The outer IP layer and the one an ICMP error quotes (not a tunnelled packet): addresses and upper protocol. */
interface IpLayer {
  src: string;
  dst: string;
  v: 4 | 6;
  /** The upper protocol: after the extension headers (a Fragment header the translator adds included). */
  proto: number;
  /** The number in the IP header itself. */
  first: number;
  /** IPv6: the next header of a Fragment header that comes first (-1 without one). */
  afterFrag: number;
  fragment: boolean;
  quoted: boolean;
}

function ipLayers(p: Packet, d: Decoded): IpLayer[] {
  const out: IpLayer[] = [];
  let wanted: boolean | undefined = false;
  p.forEach((l, k) => {
    const s = d.spans[k];
    if (wanted === undefined || s.quoted !== wanted) return;
    if ("ipv4" in l) {
      const proto = l.ipv4.proto ?? -1;
      const fragment = l.ipv4.mf === true || (l.ipv4.frag ?? 0) > 0;
      out.push({
        src: l.ipv4.src ?? "",
        dst: l.ipv4.dst ?? "",
        v: 4,
        proto,
        first: proto,
        afterFrag: -1,
        fragment,
        quoted: s.quoted,
      });
    } else if ("ipv6" in l) {
      const first = l.ipv6.nh ?? -1;
      let nh = first;
      let afterFrag = -1;
      for (let m = k + 1; m < p.length && EXT.has(Object.keys(p[m])[0]); m++) {
        const f = Object.values(p[m])[0] as { nh?: number };
        if ("frag" in p[m] && m === k + 1) afterFrag = f.nh ?? -1;
        nh = f.nh ?? -1;
      }
      out.push({
        src: l.ipv6.src ?? "",
        dst: l.ipv6.dst ?? "",
        v: 6,
        proto: nh,
        first,
        afterFrag,
        fragment: afterFrag !== -1,
        quoted: s.quoted,
      });
    } else return;
    wanted = wanted === false ? true : undefined;
  });
  return out;
}

/** ICMP types a translator may emit, per family (RFC 7915 §4.2, §5.2): echo, and the errors it maps. */
const ICMP4_TYPES = new Set([0, 3, 8, 11, 12]);
const ICMP6_TYPES = new Set([1, 2, 3, 4, 128, 129]);
const ECHO = { 4: new Set([0, 8]), 6: new Set([128, 129]) };

/**
 * The output's ICMP types: the outer one must be one the family has, and a
 * quoted ICMP message must be an echo of the output's family (an error
 * quoting an error is dropped, RFC 7915 §4.3/§5.3), even when the quote is
 * cut before the checksum: its type byte is there.
 */
function icmpTypeProblem(out: Buffer, d: Decoded, family: 4 | 6): Violation | undefined {
  // The outer ICMP header is the upper layer of the outer IP header; one inside a tunnelled packet (IP in IP,
  // protocol 4 or 41) is payload the translator copies (RFC 7915 §4.5/§5.5: it forwards all transport protocols).
  const ip = d.spans.findIndex((s) => !s.quoted && (s.name === "ipv4" || s.name === "ipv6"));
  let u = ip + 1;
  while (ip >= 0 && u < d.spans.length && EXT.has(d.spans[u].name)) u++;
  const first = ip >= 0 ? d.spans[u] : undefined;
  const outer = first && !first.quoted && (first.name === "icmp" || first.name === "icmpv6") ? first : undefined;
  const types = family === 4 ? ICMP4_TYPES : ICMP6_TYPES;
  if (outer && outer.start < out.length && !types.has(out[outer.start]))
    return {
      kind: "ICMP type the family does not have",
      detail: `outer ICMPv${family === 4 ? 4 : 6} type ${out[outer.start]}`,
    };
  const q = d.spans.findIndex((s) => s.quoted && (s.name === "ipv4" || s.name === "ipv6"));
  if (q < 0) return undefined;
  let j = q + 1;
  while (j < d.spans.length && EXT.has(d.spans[j].name)) j++;
  // A later fragment quoted holds fragment data, not an ICMP header: there is no type to read (RFC 791, RFC 8200 §4.5).
  if (laterFragment(d.packet.slice(q, j))) return undefined;
  const l4 = d.spans[j];
  const proto = d.packet[j - 1] && (Object.values(d.packet[j - 1])[0] as { proto?: number; nh?: number });
  const upper = d.spans[q].name === "ipv4" ? proto?.proto : proto?.nh;
  if (!l4 || upper !== (family === 4 ? 1 : 58) || l4.start >= out.length) return undefined;
  const t = out[l4.start];
  if (!ECHO[family].has(t))
    return { kind: "quoted ICMP message not an echo of the family", detail: `quoted ICMP type ${t}` };
  return undefined;
}

/** An IP header (and its extension headers) of a fragment other than the first. */
function laterFragment(layers: Packet): boolean {
  return layers.some((l) => ("ipv4" in l && (l.ipv4.frag ?? 0) > 0) || ("frag" in l && (l.frag.offset ?? 0) > 0));
}

/** A quoted UDP checksum of zero: "none" in IPv4, and a translator cannot compute it over a cut quote. */
function quotedUdpZero(frame: Buffer, d: Decoded): boolean {
  return d.spans.some(
    (s) => s.quoted && s.name === "udp" && s.start + 8 <= frame.length && frame.readUInt16BE(s.start + 6) === 0,
  );
}

/** The violations of one frame's outcome. `maxOutputs` is 1 unless the translator says it may fragment. */
export function checkFrame(input: Buffer, outcome: FrameOutcome, prefix: Prefix, maxOutputs = 1): FrameReport {
  const violations: Violation[] = [];
  const notes: string[] = [];
  const add = (kind: string, detail: string) => violations.push({ kind, detail });
  const done = (inputMalformed = false): FrameReport => ({ violations, notes, inputMalformed });
  if (outcome.outputs.length > maxOutputs) add("several outputs", `${outcome.outputs.length} frames came out of one`);
  switch (outcome.verdict) {
    case "error":
    case "shot":
      return done();
    case "other":
      add("unexpected return code", outcome.reason ?? "the program returned neither OK nor SHOT");
      return done();
    case "pass":
      if (outcome.outputs[0] && !outcome.outputs[0].equals(input))
        add("untaken frame modified", "verdict pass, yet the bytes changed");
      return done();
  }
  const out = outcome.outputs[0];
  if (!out) {
    add("translated without output", "verdict ok, no frame");
    return done();
  }
  const [fin, fout] = [familyOf(input), familyOf(out)];
  if (fin === undefined || fout === undefined || fin === fout) {
    add(
      "modified, not translated",
      `EtherType 0x${input.readUInt16BE(12).toString(16)} in, 0x${out.readUInt16BE(12).toString(16)} out`,
    );
    return done();
  }
  const [din, dout] = [decode(input), decode(out)];
  const ipOut = dout.spans.find((s) => s.name === "ipv4" || s.name === "ipv6");
  if (!ipOut || ipOut.name !== (fout === 4 ? "ipv4" : "ipv6"))
    add("output is not IP", `EtherType of IPv${fout}, no IPv${fout} header`);

  // Protocol numbers of one family only must not be carried into the other (outer and quoted).
  const [lin, lout] = [ipLayers(din.packet, din), ipLayers(dout.packet, dout)];
  for (let k = 0; k < Math.min(lin.length, lout.length); k++) {
    const [a, b] = [lin[k], lout[k]];
    const where = a.quoted ? "quoted " : "";
    const icmpIn = a.v === 4 ? a.proto === 1 : a.proto === 58;
    const icmpOut = b.v === 4 ? b.proto === 1 : b.proto === 58;
    // In IPv6 the translator's own Fragment header (for an IPv4 fragment, RFC 7915 §4.1) may come first.
    const said = b.v === 6 && a.v === 4 && a.fragment && b.first === 44 ? b.afterFrag : b.first;
    // The upper protocol must mean the same on both sides: one the input's family does not carry, or one the
    // output's family does not carry, changes meaning when the number is copied.
    const notIn = (v: 4 | 6) => (v === 4 ? NOT_IN_IPV4 : NOT_IN_IPV6);
    const oneFamily = !icmpIn && !icmpOut && (notIn(a.v).has(a.proto) || notIn(b.v).has(said));
    if (icmpIn !== icmpOut || oneFamily) {
      add(
        `${where}protocol of one family carried across: IPv${a.v} ${a.proto} became IPv${b.v} ${said}`,
        `${a.proto} -> ${said}`,
      );
      // What follows was not meant as the protocol it now claims to be: checksums and quotes say nothing more.
      return done(din.problems.length > 0);
    }
  }
  const badType = icmpTypeProblem(out, dout, fout);
  if (badType) add(badType.kind, badType.detail);

  // Malformed: introduced by the translation, or carried over from where the translator must look.
  const regions = translatorRegions(din);
  // Inside the headers it reads; an extension or transport header cut short where it should start; a quoted
  // IP header that is not all there (it cannot be translated). A quote may otherwise be cut anywhere.
  // The quoted IP header starts right after the error's 8-byte ICMP header; an IP header deeper in the quote
  // (a tunnelled packet) is payload.
  const error = din.spans.find((s) => !s.quoted && (s.name === "icmp" || s.name === "icmpv6"));
  const quoteStart = error ? error.start + 8 : -1;
  const inside = (p: string) => {
    const at = problemOffset(p);
    if (at === undefined) return false;
    if (/^quoted IPv\d (header needs|version)/.test(p)) return at === quoteStart;
    const [outer] = regions;
    if (outer && at === outer[1] && /^(hbh|dstopts|routing|fragment|icmp|icmpv6|TCP|UDP) header needs/.test(p))
      return true;
    return regions.some(([lo, hi]) => at >= lo && at < hi);
  };
  const inProblems = new Map(din.problems.map((p) => [problemClass(p), p]));
  for (const p of dout.problems) {
    const cls = problemClass(p);
    const had = inProblems.get(cls);
    if (had === undefined) add(`malformed output: ${cls}`, p);
    else if (inside(had) && !OPAQUE.test(had)) add(`malformed input translated: ${cls}`, `in the input: ${had}`);
    else notes.push(`malformed upper layer carried across: ${cls}`);
  }
  // The translated frame ends where its packet ends (docs/translator.md): Ethernet padding is not carried across.
  if (dout.trailer.length)
    add(
      din.trailer.length ? "bytes after the IP packet kept" : "bytes after the IP packet added",
      `${dout.trailer.length} bytes after the packet (${din.trailer.length} in the input)`,
    );

  // Checksums, role by role; not where the input's own lengths make "right" ambiguous.
  const vin = checksumVerdictsOf(input, din, { quotedL4: true });
  const vout = checksumVerdictsOf(out, dout, { quotedL4: true });
  // Only the outer IPv4 header and the quoted one are the translator's: an IPv4 packet tunnelled inside is payload.
  const outerIpv4 = (vs: Verdict[], family: 4 | 6) =>
    family === 4 ? vs.filter((v) => roleOf(v) === "ip header").slice(0, 1) : [];
  // Likewise only the first quoted IPv4 header: one tunnelled inside the quoted packet is the quote's payload.
  const quotedIpv4 = vout.filter((x) => roleOf(x) === "quoted ip header").slice(0, 1);
  for (const v of [...outerIpv4(vout, fout), ...quotedIpv4]) {
    if (roleOf(v) === "ip header" && !v.ok)
      add("ipv4 header checksum wrong", `0x${v.actual.toString(16)}, right 0x${v.expected.toString(16)}`);
    if (roleOf(v) === "quoted ip header" && !v.ok && fout === 4)
      add("quoted ipv4 header checksum wrong", `0x${v.actual.toString(16)}, right 0x${v.expected.toString(16)}`);
  }
  const badIn = outerIpv4(vin, fin).find((v) => !v.ok);
  if (badIn)
    add(
      "corrupt ipv4 header translated",
      `header checksum 0x${badIn.actual.toString(16)}, right 0x${badIn.expected.toString(16)}`,
    );
  const outerFlawed = din.problems.some((p) => !p.startsWith("quoted "));
  const quotedFlawed = din.problems.some((p) => p.startsWith("quoted ")) || quotedUdpZero(input, din);
  for (const role of ["tcp", "udp", "icmp", "quoted tcp", "quoted udp", "quoted icmp"]) {
    if (role.startsWith("quoted") ? quotedFlawed : outerFlawed) continue;
    const a = vin.find((v) => roleOf(v) === role);
    const b = vout.find((v) => roleOf(v) === role);
    if (!a || !b) continue;
    if (a.ok && !b.ok)
      add(
        `checksum broken: ${role}`,
        `right in the input; out 0x${b.actual.toString(16)}, right 0x${b.expected.toString(16)}`,
      );
    if (!a.ok && b.ok)
      add(
        `checksum repaired: ${role}`,
        `wrong in the input (0x${a.actual.toString(16)}, right 0x${a.expected.toString(16)}); right in the output`,
      );
  }

  // Addresses: RFC 6052, outer and quoted.
  for (let k = 0; k < Math.min(lin.length, lout.length); k++) {
    const where = lin[k].quoted ? "quoted" : "outer";
    for (const f of ["src", "dst"] as const) {
      const from = lin[k][f];
      const want = lin[k].v === 6 ? extractIpv4(prefix, from) : embedIpv4(prefix, from);
      if (want !== undefined && want !== lout[k][f])
        add(`address not mapped by RFC 6052: ${where} ${f}`, `${from} became ${lout[k][f]}, expected ${want}`);
      if (want === undefined)
        add(
          `address outside the prefix translated: ${where} ${f}`,
          `${from} is not in ${prefix.text}, became ${lout[k][f]}`,
        );
    }
  }
  return done(din.problems.length > 0);
}
