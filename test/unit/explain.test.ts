/**
 * The explanations of the differential fuzzer's classes (harness/fuzz/explain/):
 * each holds for a frame of its cause and not for a near miss that differs
 * only in that cause, so an explanation that matched "any frame of the
 * class" would fail here.
 */
import { join } from "node:path";
import test from "ava";
import type { Disagreement } from "../../harness/fuzz/differential.ts";
import { EXPLANATIONS, explain } from "../../harness/fuzz/explain/index.ts";
import { FIXTURES_DIR } from "../../harness/golden/cases.ts";
import { build, type Packet, readPcap } from "../../harness/packet/index.ts";

const P = "64:ff9b:1:fffe::";
const PREFIX = `${P}/96`;

function explanation(id: string) {
  const e = EXPLANATIONS.find((x) => x.id === id);
  if (!e) throw new Error(`no explanation ${id}`);
  return e;
}

/** A disagreement of class `kind` about `frame` (natlab's and the reference's outputs as given). */
function disagreement(frame: Buffer, kind: string, theirs: Buffer[] = []): Disagreement {
  return {
    frame: { frame, origin: "test", mutations: [], prefix: PREFIX, batch: 0, index: 0 },
    comparison: { status: "differ", kind, detail: "", fields: [] },
    theirs,
  };
}

const JOOL_DROPS_4 = "4to6: natlab translates, jool drops it";
const JOOL_DROPS_6 = "6to4: natlab translates, jool drops it";
const NATLAB_DROPS_4 = "4to6: natlab drops it, jool translates";
const NATLAB_DROPS_6 = "6to4: natlab drops it, jool translates";

const udp4 = (fields: Record<string, unknown> = {}) =>
  build([
    { eth: {} },
    { ipv4: { src: "198.51.100.10", dst: "192.0.2.33", ttl: 64, ...fields } },
    { udp: { sport: 53, dport: 40000 } },
    { payload: { text: "hello" } },
  ] as Packet);

/** Port Unreachable about a UDP datagram (or what `quoted` says), ICMPv4. */
const error4 = (
  outer: Record<string, unknown>,
  quoted: Record<string, unknown>,
  l4: Packet = [{ udp: { sport: 40000, dport: 53 } }],
) =>
  build([
    { eth: {} },
    { ipv4: { src: "203.0.113.5", dst: "192.0.2.33", ttl: 64, ...outer } },
    { icmp: { type: 3, code: 3 } },
    { ipv4: { src: "192.0.2.33", dst: "198.51.100.10", ttl: 63, ...quoted } },
    ...l4,
  ] as Packet);

test("jool-ipv4-options-unchecked: an option running past the header, not a well-formed one", (t) => {
  const e = explanation("jool-ipv4-options-unchecked");
  const bad = udp4({ options: [{ type: 7, len: 12, data: "04 00" }] });
  const good = udp4({ options: [{ type: 7, len: 4, data: "04 00" }] });
  const short = udp4({ options: [{ type: 7, len: 1, data: "00 00" }] });
  t.true(e.holds(disagreement(bad, NATLAB_DROPS_4)));
  t.true(e.holds(disagreement(short, NATLAB_DROPS_4)));
  t.false(e.holds(disagreement(good, NATLAB_DROPS_4)), "a well-formed option");
  t.false(e.holds(disagreement(bad, JOOL_DROPS_4)), "the other verdicts");
});

test("jool-copies-one-family-protocol: Mobility Header 6to4 and Fragment 4to6, not UDP or ICMPv6", (t) => {
  const e = explanation("jool-copies-one-family-protocol");
  const v6 = (nh: number) =>
    build([
      { eth: {} },
      { ipv6: { src: `${P}c000:221`, dst: `${P}c633:640a`, hlim: 64, nh } },
      { payload: { hex: "3b00 0000 0000 0000" } },
    ] as Packet);
  t.true(e.holds(disagreement(v6(135), NATLAB_DROPS_6)));
  t.false(e.holds(disagreement(v6(17), NATLAB_DROPS_6)), "UDP");
  t.false(e.holds(disagreement(v6(58), NATLAB_DROPS_6)), "ICMPv6 is translated, not copied");
  const v4 = (proto: number) =>
    build([
      { eth: {} },
      { ipv4: { src: "198.51.100.10", dst: "192.0.2.33", ttl: 64, proto } },
      { payload: { hex: "1100 0000 0000 0000" } },
    ] as Packet);
  t.true(e.holds(disagreement(v4(44), NATLAB_DROPS_4)));
  t.false(e.holds(disagreement(v4(47), NATLAB_DROPS_4)), "GRE means the same in both families");
  t.false(e.holds(disagreement(v4(2), NATLAB_DROPS_4)), "IGMP has its own explanation");
});

test("jool-translates-igmp: IGMP 4to6, not another protocol", (t) => {
  const e = explanation("jool-translates-igmp");
  const v4 = (proto: number) =>
    build([
      { eth: {} },
      { ipv4: { src: "198.51.100.10", dst: "192.0.2.33", ttl: 64, proto } },
      { payload: { hex: "16 00 fa f1 eacb0071" } },
    ] as Packet);
  t.true(e.holds(disagreement(v4(2), NATLAB_DROPS_4)));
  t.false(e.holds(disagreement(v4(47), NATLAB_DROPS_4)));
});

test("jool-subnet-scoped-address: a link-local destination or quoted address; not a global one, nor an error's own source", (t) => {
  const e = explanation("jool-subnet-scoped-address");
  t.true(e.holds(disagreement(udp4({ dst: "169.254.7.1" }), JOOL_DROPS_4)));
  t.false(e.holds(disagreement(udp4(), JOOL_DROPS_4)), "global addresses");
  t.true(e.holds(disagreement(error4({}, { dst: "127.0.0.1" }), JOOL_DROPS_4)), "quoted loopback");
  t.false(
    e.holds(disagreement(error4({ src: "127.0.0.1" }, {}), JOOL_DROPS_4)),
    "an ICMP error's source is not checked",
  );
  const v6 = (dst: string) =>
    build([
      { eth: {} },
      { ipv6: { src: `${P}c000:221`, dst, hlim: 64 } },
      { udp: { sport: 40000, dport: 53 } },
    ] as Packet);
  t.true(e.holds(disagreement(v6(`${P}7f00:1`), JOOL_DROPS_6)), "6to4: 127.0.0.1 embedded");
  t.false(e.holds(disagreement(v6(`${P}c633:640a`), JOOL_DROPS_6)));
});

test("jool-icmp-error-checksum-checked: an error with a wrong checksum, not a right one", (t) => {
  const e = explanation("jool-icmp-error-checksum-checked");
  const right = error4({}, {});
  const wrong = Buffer.from(right);
  wrong[14 + 20 + 2] ^= 0x01;
  t.true(e.holds(disagreement(wrong, JOOL_DROPS_4)));
  t.false(e.holds(disagreement(right, JOOL_DROPS_4)));
  const wrongUdp = Buffer.from(udp4());
  wrongUdp[14 + 20 + 6] ^= 0x01;
  t.false(e.holds(disagreement(wrongUdp, JOOL_DROPS_4)), "not an ICMP error");
});

test("jool-quoted-later-fragment-dropped: a quoted later fragment, not a first one", (t) => {
  const e = explanation("jool-quoted-later-fragment-dropped");
  t.true(e.holds(disagreement(error4({}, { frag: 8, proto: 17 }, [{ payload: { size: 16 } }]), JOOL_DROPS_4)));
  t.false(e.holds(disagreement(error4({}, { mf: true, proto: 17 }), JOOL_DROPS_4)), "a first fragment");
});

test("jool-quoted-transport-header-cut: a quoted TCP header cut after 8 bytes, not a whole one", (t) => {
  const e = explanation("jool-quoted-transport-header-cut");
  const whole = error4({}, {}, [{ tcp: { sport: 40000, dport: 80, seq: 1, flags: "S" } }]);
  const cut = whole.subarray(0, whole.length - 12);
  t.true(e.holds(disagreement(cut, JOOL_DROPS_4)));
  t.false(e.holds(disagreement(whole, JOOL_DROPS_4)));
});

test("jool-ptb-next-hop-mtu: Jool's 1480 for an advertised 9000 or 0, not another MTU", (t) => {
  const e = explanation("jool-ptb-next-hop-mtu");
  const ptb = (mtu: number) =>
    build([
      { eth: {} },
      { ipv6: { src: `${P}cb00:7105`, dst: `${P}c633:640a`, hlim: 64 } },
      { icmpv6: { type: 2, code: 0, mtu } },
      { ipv6: { src: `${P}c633:640a`, dst: `${P}c000:221`, hlim: 63 } },
      { udp: { sport: 53, dport: 40000 } },
    ] as Packet);
  const fragNeeded = (mtu: number) =>
    build([
      { eth: {} },
      { ipv4: { src: "203.0.113.5", dst: "198.51.100.10", ttl: 64 } },
      { icmp: { type: 3, code: 4, mtu } },
      { ipv4: { src: "198.51.100.10", dst: "192.0.2.33", ttl: 63 } },
      { udp: { sport: 53, dport: 40000 } },
    ] as Packet);
  const d = (adv: number, ours: number, theirs: number) => ({
    ...disagreement(ptb(adv), "6to4: icmp.mtu", [fragNeeded(theirs)]),
    ours: fragNeeded(ours),
    comparison: { status: "differ" as const, kind: "6to4: icmp.mtu", detail: "", fields: ["icmp.mtu"] },
  });
  t.true(e.holds(d(9000, 8980, 1480)));
  t.true(e.holds(d(0, 0, 1480)), "under 20: Jool's subtraction wraps");
  t.false(e.holds(d(9000, 8980, 1400)), "not the minimum with Jool's next hops");
  t.false(e.holds(d(1400, 1380, 1380)), "the same MTU");
});

test("jool-quoted-icmp-pseudo-length: the quoted bytes' length in the pseudo-header, not another checksum", (t) => {
  const e = explanation("jool-quoted-icmp-pseudo-length");
  const name = "quoted-echo-request-cut-short-4to6-keeps-the-pseudo-header-length-of-the-whole-echo";
  const input = readPcap(join(FIXTURES_DIR, "icmp-errors", `${name}.in.pcap`)).frames[0].data;
  const ours = readPcap(join(FIXTURES_DIR, "icmp-errors", `${name}.out.pcap`)).frames[0].data;
  // After Ethernet, IPv6 (40), ICMPv6 (8), the quoted IPv6 header (40): the quoted echo's checksum.
  const quotedChecksum = 14 + 40 + 8 + 40 + 2;
  const theirs = (sum: number) => {
    const f = Buffer.from(ours);
    f.writeUInt16BE(sum, quotedChecksum);
    return f;
  };
  const fields = ["icmpv6.chksum", "icmpv6[4].chksum"];
  const d = (sum: number) => ({
    ...disagreement(input, "4to6: icmpv6.chksum, icmpv6[4].chksum", [theirs(sum)]),
    ours,
    comparison: { status: "differ" as const, kind: "4to6: icmpv6.chksum, icmpv6[4].chksum", detail: "", fields },
  });
  t.is(ours.readUInt16BE(quotedChecksum), 0x8702, "the golden case's own value");
  t.true(e.holds(d(0x873a)), "16 bytes quoted of 72");
  t.false(e.holds(d(0x873b)), "a checksum no length explains");
});

test("jool-ipv6-udp-checksum-zero-translated: IPv6 UDP with checksum 0, not with a checksum", (t) => {
  const e = explanation("jool-ipv6-udp-checksum-zero-translated");
  const udp6 = (chksum?: number) =>
    build([
      { eth: {} },
      { ipv6: { src: `${P}c000:221`, dst: `${P}c633:640a`, hlim: 64 } },
      { udp: { sport: 40000, dport: 53, ...(chksum === undefined ? {} : { chksum }) } },
      { payload: { text: "zero" } },
    ] as Packet);
  t.true(e.holds(disagreement(udp6(0), NATLAB_DROPS_6)));
  t.false(e.holds(disagreement(udp6(), NATLAB_DROPS_6)));
});

test("jool-copies-one-family-protocol also covers a quoted packet and a later fragment", (t) => {
  const e = explanation("jool-copies-one-family-protocol");
  t.true(e.holds(disagreement(error4({}, { proto: 60 }, [{ payload: { size: 8 } }]), NATLAB_DROPS_4)), "quoted 60");
  t.false(e.holds(disagreement(error4({}, { proto: 47 }, [{ payload: { size: 8 } }]), NATLAB_DROPS_4)), "quoted GRE");
  t.true(e.holds(disagreement(udp4({ proto: 135, frag: 8 }), NATLAB_DROPS_4)), "a later fragment of Mobility");
});

test("jool-all-zero-echo-reply-translated: an all-zero Echo Reply with 0x0000, not one with data", (t) => {
  const e = explanation("jool-all-zero-echo-reply-translated");
  const echo = (data: string) =>
    build([
      { eth: {} },
      { ipv4: { src: "198.51.100.10", dst: "192.0.2.33", ttl: 64 } },
      { icmp: { type: 0, code: 0, id: 0, seq: 0, chksum: 0 } },
      { payload: { hex: data } },
    ] as Packet);
  t.true(e.holds(disagreement(echo("0000"), NATLAB_DROPS_4)));
  t.false(e.holds(disagreement(echo("0001"), NATLAB_DROPS_4)));
});

test("jool-martian-source-translated: a class E source, not a unicast one", (t) => {
  const e = explanation("jool-martian-source-translated");
  t.true(e.holds(disagreement(udp4({ src: "240.0.0.1" }), NATLAB_DROPS_4)));
  t.false(e.holds(disagreement(udp4({ src: "198.51.100.10" }), NATLAB_DROPS_4)));
});

test("jool-u-octet-ignored: a u-octet set under a /32, not a clean address", (t) => {
  const e = explanation("jool-u-octet-ignored");
  const v6 = (dst: string) =>
    build([
      { eth: {} },
      { ipv6: { src: "2001:db8:c000:221::", dst, hlim: 64 } },
      { udp: { sport: 40000, dport: 53 } },
    ] as Packet);
  const d = (f: Buffer) => ({
    ...disagreement(f, "6to4: natlab passes it, jool translates"),
    frame: { frame: f, origin: "test", mutations: [], prefix: "2001:db8::/32", batch: 0, index: 0 },
  });
  t.true(e.holds(d(v6("2001:db8:c633:640a:ff00::"))));
  t.false(e.holds(d(v6("2001:db8:c633:640a::"))));
});

test("jool-ipv4-source-unroutable: 6to4 to a loopback IPv4 source, not a global one", (t) => {
  const e = explanation("jool-ipv4-source-unroutable");
  const err6 = (src: string) =>
    build([
      { eth: {} },
      { ipv6: { src, dst: `${P}c633:640a`, hlim: 64 } },
      { icmpv6: { type: 1, code: 0 } },
      { ipv6: { src: `${P}c633:640a`, dst: `${P}c000:221`, hlim: 63 } },
      { udp: { sport: 53, dport: 40000 } },
    ] as Packet);
  t.true(e.holds(disagreement(err6(`${P}7f00:1`), JOOL_DROPS_6)));
  t.true(e.holds(disagreement(err6(`${P}ffff:ffff`), JOOL_DROPS_6)));
  t.false(e.holds(disagreement(err6(`${P}cb00:7105`), JOOL_DROPS_6)));
  t.false(e.holds(disagreement(err6(`${P}a9fe:1`), JOOL_DROPS_6)), "a link-local source routes");
});

test("jool-udp-checksum-zero-dropped also covers a quoted datagram without a checksum", (t) => {
  const e = explanation("jool-udp-checksum-zero-dropped");
  t.true(e.holds(disagreement(error4({}, {}, [{ udp: { sport: 40000, dport: 53, chksum: 0 } }]), JOOL_DROPS_4)));
  t.false(e.holds(disagreement(error4({}, {}, [{ udp: { sport: 40000, dport: 53 } }]), JOOL_DROPS_4)));
});

test("jool-icmp-length-past-the-end: a length attribute beyond the message, not one within it", (t) => {
  const e = explanation("jool-icmp-length-past-the-end");
  const withLength = (words: number) => {
    const f = Buffer.from(error4({}, {}, [{ udp: { sport: 40000, dport: 53 } }, { payload: { size: 100 } }]));
    f[14 + 20 + 5] = words;
    return f;
  };
  t.true(e.holds(disagreement(withLength(0x40), JOOL_DROPS_4)), "256 bytes of 128");
  t.false(e.holds(disagreement(withLength(0x20), JOOL_DROPS_4)), "128 bytes of 128");
  t.false(e.holds(disagreement(withLength(0), JOOL_DROPS_4)), "no attribute");
});

test("jool-quoted-fragment-header-mixed-up: a quoted Fragment Header under an outer packet without one comes out MF 0", (t) => {
  const e = explanation("jool-quoted-fragment-header-mixed-up");
  const err6 = (outerFrag: boolean) =>
    build([
      { eth: {} },
      { ipv6: { src: `${P}cb00:7105`, dst: `${P}c633:640a`, hlim: 64 } },
      ...(outerFrag ? [{ frag: { id: 7, offset: 0, m: false } }] : []),
      { icmpv6: { type: 1, code: 0 } },
      { ipv6: { src: `${P}c633:640a`, dst: `${P}c000:221`, hlim: 63 } },
      { frag: { id: 0x12345678, offset: 0, m: true } },
      { udp: { sport: 53, dport: 40000 } },
    ] as Packet);
  const out = (mf: boolean, id: number) =>
    build([
      { eth: {} },
      { ipv4: { src: "203.0.113.5", dst: "198.51.100.10", ttl: 64 } },
      { icmp: { type: 3, code: 1 } },
      { ipv4: { src: "198.51.100.10", dst: "192.0.2.33", ttl: 63, id, mf, proto: 17 } },
      { udp: { sport: 53, dport: 40000 } },
    ] as Packet);
  const kind = "6to4: ipv4[3].id, ipv4[3].mf";
  const d = (input: Buffer, theirs: Buffer) => ({
    ...disagreement(input, kind, [theirs]),
    ours: out(true, 0x5678),
    comparison: { status: "differ" as const, kind, detail: "", fields: ["ipv4[3].id", "ipv4[3].mf"] },
  });
  t.true(e.holds(d(err6(false), out(false, 0x0101))));
  t.false(e.holds(d(err6(false), out(true, 0x0101))), "MF kept: not Jool's unfragmented header");
  t.false(e.holds(d(err6(true), out(false, 0x0101))), "both have a Fragment Header");
});

test("router-discards-hop-by-hop: a discard-action option or non-zero PadN, not a skip-action option", (t) => {
  const e = explanation("router-discards-hop-by-hop");
  const hbh = (options: { type: number; data: string }[]) =>
    build([
      { eth: {} },
      { ipv6: { src: `${P}c000:221`, dst: `${P}c633:640a`, hlim: 64 } },
      { hbh: { options } },
      { udp: { sport: 40000, dport: 53 } },
    ] as Packet);
  t.true(e.holds(disagreement(hbh([{ type: 0x80, data: "00 00 00 00" }]), JOOL_DROPS_6)), "action 10");
  t.true(e.holds(disagreement(hbh([{ type: 1, data: "00 00 00 20" }]), JOOL_DROPS_6)), "PadN not zero");
  t.false(e.holds(disagreement(hbh([{ type: 0x1e, data: "00 00 00 00" }]), JOOL_DROPS_6)), "action 00: skipped");
  t.false(e.holds(disagreement(hbh([{ type: 1, data: "00 00 00 00" }]), JOOL_DROPS_6)), "PadN of zeros");
  // CALIPSO (RFC 5570), action 00: Linux checks it itself, and with no DOI configured discards it.
  t.true(e.holds(disagreement(hbh([{ type: 7, data: "00 00 00 00" }]), JOOL_DROPS_6)), "CALIPSO");
});

test("jool-checksum-zero-as-0x0000: natlab's 0xffff against Jool's 0x0000 in the checksum word, nothing else", (t) => {
  const e = explanation("jool-checksum-zero-as-0x0000");
  const echo = (chksum: number, seq = 0) =>
    build([
      { eth: {} },
      { ipv4: { src: "192.0.2.33", dst: "198.51.100.10", ttl: 64 } },
      { icmp: { type: 0, code: 0, id: 0, seq, chksum } },
    ] as Packet);
  const input = build([
    { eth: {} },
    { ipv6: { src: `${P}c000:221`, dst: `${P}c633:640a`, hlim: 64 } },
    { icmpv6: { type: 129, code: 0, id: 0, seq: 0 } },
  ] as Packet);
  const d = (ours: Buffer, theirs: Buffer) => ({
    ...disagreement(input, "6to4: bytes", [theirs]),
    ours,
    comparison: { status: "differ" as const, kind: "6to4: bytes", detail: "", fields: ["bytes"], normalised: theirs },
  });
  t.true(e.holds(d(echo(0xffff), echo(0))));
  t.false(e.holds(d(echo(0), echo(0xffff))), "the other way round");
  t.false(e.holds(d(echo(0xffff), echo(0x1234))), "another checksum");
  t.false(e.holds(d(echo(0xffff), echo(0, 1))), "another byte differs too");
});

test("jool-ipv6-chain-unchecked: Hop-by-Hop second or seven headers, not Hop-by-Hop first or six", (t) => {
  const e = explanation("jool-ipv6-chain-unchecked");
  const opts = { options: [{ type: 1, data: "00 00 00 00" }] };
  const chain = (layers: Packet) =>
    build([
      { eth: {} },
      { ipv6: { src: `${P}c000:221`, dst: `${P}c633:640a`, hlim: 64 } },
      ...layers,
      { udp: { sport: 40000, dport: 53 } },
    ] as Packet);
  t.true(e.holds(disagreement(chain([{ dstopts: opts }, { hbh: opts }] as Packet), NATLAB_DROPS_6)));
  t.false(e.holds(disagreement(chain([{ hbh: opts }, { dstopts: opts }] as Packet), NATLAB_DROPS_6)));
  const dst = (n: number) => Array.from({ length: n }, () => ({ dstopts: opts })) as Packet;
  t.true(e.holds(disagreement(chain(dst(7)), NATLAB_DROPS_6)), "seven headers");
  t.false(e.holds(disagreement(chain(dst(6)), NATLAB_DROPS_6)), "six: natlab walks them");
});

test("jool-tcp-header-cut: a segment shorter than its data offset, not a whole header", (t) => {
  const e = explanation("jool-tcp-header-cut");
  const tcp = (dataofs: number) =>
    build([
      { eth: {} },
      { ipv4: { src: "198.51.100.10", dst: "192.0.2.33", ttl: 64 } },
      { tcp: { sport: 443, dport: 40000, flags: "S", dataofs } },
    ] as Packet);
  t.true(e.holds(disagreement(tcp(8), JOOL_DROPS_4)));
  t.false(e.holds(disagreement(tcp(5), JOOL_DROPS_4)));
});

test("jool-quoted-echo-code-zeroed: Jool's code 0 for a quoted echo with code 4, not another code", (t) => {
  const e = explanation("jool-quoted-echo-code-zeroed");
  const name = "quoted-echo-request-with-code-4-4to6-keeps-its-code";
  const input = readPcap(join(FIXTURES_DIR, "icmp-errors", `${name}.in.pcap`)).frames[0].data;
  const ours = readPcap(join(FIXTURES_DIR, "icmp-errors", `${name}.out.pcap`)).frames[0].data;
  const code = 14 + 40 + 8 + 40 + 1;
  const theirs = (c: number) => {
    const f = Buffer.from(ours);
    f[code] = c;
    return f;
  };
  const fields = ["icmpv6[4].code", "icmpv6[4].chksum"];
  const d = (c: number) => ({
    ...disagreement(input, "4to6: icmpv6[4].code, icmpv6[4].chksum", [theirs(c)]),
    ours,
    comparison: { status: "differ" as const, kind: "4to6: icmpv6[4].code, icmpv6[4].chksum", detail: "", fields },
  });
  t.is(ours[code], 4, "the golden case keeps code 4");
  t.true(e.holds(d(0)));
  t.false(e.holds(d(3)), "a code Jool does not write");
});

test("jool-quoted-ipv6-unchecked: a quoted Routing header with Segments Left or a Payload Length too long, not a plain quote", (t) => {
  const e = explanation("jool-quoted-ipv6-unchecked");
  const golden = (slug: string) => readPcap(join(FIXTURES_DIR, "quoted-edge", `${slug}.in.pcap`)).frames[0].data;
  const d = (f: Buffer) => ({
    ...disagreement(f, NATLAB_DROPS_6),
    frame: { frame: f, origin: "test", mutations: [], prefix: "2001:db8:64::/96", batch: 0, index: 0 },
  });
  t.true(e.holds(d(golden("quoted-routing-header-with-segments-left-6to4-is-dropped"))));
  t.true(e.holds(d(golden("quoted-payload-length-too-long-for-ipv4-6to4-is-dropped"))));
  const plain = build([
    { eth: {} },
    { ipv6: { src: "2001:db8:64::cb00:7105", dst: "2001:db8:64::c633:640a", hlim: 64 } },
    { icmpv6: { type: 1, code: 0 } },
    { ipv6: { src: "2001:db8:64::c633:640a", dst: "2001:db8:64::c000:221", hlim: 63 } },
    { udp: { sport: 40000, dport: 53 } },
  ] as Packet);
  t.false(e.holds(d(plain)));
});

test("jool-quoted-ipv6-udp-checksum-zero-updated: Jool's non-zero quoted checksum for a quoted 0, not a quoted real checksum", (t) => {
  const e = explanation("jool-quoted-ipv6-udp-checksum-zero-updated");
  const slug = "quoted-ipv6-udp-with-checksum-0-6to4-keeps-0";
  const input = readPcap(join(FIXTURES_DIR, "quoted-edge", `${slug}.in.pcap`)).frames[0].data;
  const ours = readPcap(join(FIXTURES_DIR, "quoted-edge", `${slug}.out.pcap`)).frames[0].data;
  const at = 14 + 20 + 8 + 20 + 6;
  const theirs = Buffer.from(ours);
  theirs.writeUInt16BE(0x5c3a, at);
  const fields = ["udp[4].chksum", "icmp.chksum"];
  const d = (f: Buffer) => ({
    ...disagreement(f, "6to4: icmp.chksum, udp[4].chksum", [theirs]),
    ours,
    comparison: { status: "differ" as const, kind: "6to4: icmp.chksum, udp[4].chksum", detail: "", fields },
  });
  t.is(ours.readUInt16BE(at), 0, "the golden case copies the 0");
  t.true(e.holds(d(input)));
  const withSum = Buffer.from(input);
  withSum.writeUInt16BE(0x1234, 14 + 40 + 8 + 40 + 6);
  t.false(e.holds(d(withSum)), "a quoted datagram with a checksum");
});

test("jool-ipv6-chain-unchecked: Segments Left in a second Routing header, not in none", (t) => {
  const e = explanation("jool-ipv6-chain-unchecked");
  const slug = "a-second-routing-header-with-segments-left-is-dropped";
  const input = readPcap(join(FIXTURES_DIR, "ext-headers", `${slug}.in.pcap`)).frames[0].data;
  t.true(e.holds(disagreement(input, NATLAB_DROPS_6)));
  const none = Buffer.from(input);
  // The second Routing header's Segments Left: after the IPv6 header and the first Routing header (24 bytes).
  none[14 + 40 + 24 + 3] = 0;
  t.false(e.holds(disagreement(none, NATLAB_DROPS_6)));
});

test("jool-quoted-past-its-length: Jool's bytes past a quoted Payload Length of 0, not a quote its header covers", (t) => {
  const e = explanation("jool-quoted-past-its-length");
  const slug = "bytes-past-the-length-of-the-quoted-packet-6to4-are-copied";
  const input = readPcap(join(FIXTURES_DIR, "quoted-edge", `${slug}.in.pcap`)).frames[0].data;
  const ours = readPcap(join(FIXTURES_DIR, "quoted-edge", `${slug}.out.pcap`)).frames[0].data;
  // The bytes after the quoted IPv4 header that look like a UDP checksum: Jool updates them.
  const at = 14 + 20 + 8 + 20 + 6;
  const theirs = Buffer.from(ours);
  theirs.writeUInt16BE(0x7777, at);
  const fields = ["icmp.chksum", "payload[4].hex"];
  const d = (f: Buffer, mine = ours) => ({
    ...disagreement(f, `6to4: ${fields.join(", ")}`, [theirs]),
    ours: mine,
    comparison: { status: "differ" as const, kind: `6to4: ${fields.join(", ")}`, detail: "", fields },
  });
  t.is(ours.readUInt16BE(at), 0x1234, "the golden case copies the bytes");
  t.true(e.holds(d(input)));
  const whole = Buffer.from(input);
  whole.writeUInt16BE(12, 14 + 40 + 8 + 4); // the quoted Payload Length covers the UDP header
  t.false(e.holds(d(whole)), "the quoted header says the bytes are its own");
  t.false(e.holds(d(input, theirs)), "natlab did not copy them");
  // Both cut the error to its size bound: the bytes compared are those both outputs still carry.
  const cut = (b: Buffer) => b.subarray(0, b.length - 2);
  t.true(e.holds({ ...d(input, cut(ours)), theirs: [cut(theirs)] }), "a quote both cut short of the input's");
});

test("jool-ipv4-ah-unchecked: IPv4 AH of 8 bytes, not a whole one", (t) => {
  const e = explanation("jool-ipv4-ah-unchecked");
  const frame = (slug: string) => readPcap(join(FIXTURES_DIR, "upper-layers", `${slug}.in.pcap`)).frames[0].data;
  t.true(e.holds(disagreement(frame("ah-cut-before-its-sequence-number-4to6-is-dropped"), NATLAB_DROPS_4)));
  t.false(e.holds(disagreement(frame("ah-carrying-icmp-4to6-is-dropped"), NATLAB_DROPS_4)), "12 bytes and more");
  t.false(e.holds(disagreement(frame("ah-cut-before-its-sequence-number-6to4-is-dropped"), NATLAB_DROPS_6)));
});

test("explain: two causes in one frame together, each on its own fields; not a field neither covers", (t) => {
  // A Packet Too Big with MTU 0 quoting UDP with checksum 0: Jool lowers the MTU to 1480 and updates the 0.
  const ptb = build([
    { eth: {} },
    { ipv6: { src: `${P}cb00:7105`, dst: `${P}c633:640a`, hlim: 64 } },
    { icmpv6: { type: 2, code: 0, mtu: 0 } },
    { ipv6: { src: `${P}c633:640a`, dst: `${P}c000:221`, hlim: 63 } },
    { udp: { sport: 53, dport: 40000, chksum: 0 } },
  ] as Packet);
  const fragNeeded = (mtu: number, chksum: number, ttl = 63) =>
    build([
      { eth: {} },
      { ipv4: { src: "203.0.113.5", dst: "198.51.100.10", ttl: 64 } },
      { icmp: { type: 3, code: 4, mtu } },
      { ipv4: { src: "198.51.100.10", dst: "192.0.2.33", ttl } },
      { udp: { sport: 53, dport: 40000, chksum } },
    ] as Packet);
  const d = (theirs: Buffer, fields: string[]) => ({
    ...disagreement(ptb, `6to4: ${fields.join(", ")}`, [theirs]),
    ours: fragNeeded(0, 0),
    comparison: { status: "differ" as const, kind: `6to4: ${fields.join(", ")}`, detail: "", fields },
  });
  const both = explain(d(fragNeeded(1480, 0x5c3a), ["icmp.chksum", "icmp.mtu", "udp[4].chksum"]), "jool");
  t.is(both?.id, "jool-ptb-next-hop-mtu + jool-quoted-ipv6-udp-checksum-zero-updated");
  const third = ["icmp.chksum", "icmp.mtu", "udp[4].chksum", "ipv4[3].ttl"];
  t.is(explain(d(fragNeeded(1480, 0x5c3a, 9), third), "jool"), undefined, "a TTL neither explains");
  t.is(explain(d(fragNeeded(1480, 0), ["icmp.chksum", "icmp.mtu"]), "jool")?.id, "jool-ptb-next-hop-mtu", "one cause");
});

test("jool-fragments-df-clear: a first fragment that its Fragment Header takes past 1280 bytes, not one that fits", (t) => {
  const e = explanation("jool-fragments-df-clear");
  const fragment = (bytes: number) =>
    build([
      { eth: {} },
      { ipv4: { src: "198.51.100.10", dst: "192.0.2.33", ttl: 64, df: false, mf: true, id: 844 } },
      { payload: { hex: "00".repeat(bytes) } },
    ] as Packet);
  const two = [Buffer.alloc(1294), Buffer.alloc(70)];
  // 40 + 8 + 1239 = 1287 bytes of IPv6, though the IPv4 packet (1259) plus 20 is not over 1280.
  t.true(e.holds(disagreement(fragment(1239), "4to6: jool sends two frames (fragments)", two)));
  t.false(e.holds(disagreement(fragment(1232), "4to6: jool sends two frames (fragments)", two)), "1280: fits");
});

test("jool-keeps-the-field-padding: Jool's quote with the field's zeros, not with other bytes", (t) => {
  const e = explanation("jool-keeps-the-field-padding");
  const slug = "a-short-original-datagram-with-an-extension-too-long-to-fit-6to4-loses-the-padding";
  const input = readPcap(join(FIXTURES_DIR, "icmp-extensions", `${slug}.in.pcap`)).frames[0].data;
  const ours = readPcap(join(FIXTURES_DIR, "icmp-extensions", `${slug}.out.pcap`)).frames[0].data;
  const jools = (fill: number) => {
    const f = Buffer.concat([ours, Buffer.alloc(16, fill)]);
    f.writeUInt16BE(f.length - 14, 14 + 2); // the IPv4 Total Length counts them
    return f;
  };
  const d = (theirs: Buffer) => ({
    ...disagreement(input, "6to4: ipv4.len", [theirs]),
    ours,
    comparison: {
      status: "differ" as const,
      kind: "6to4: ipv4.len",
      detail: "",
      fields: ["ipv4.len"],
      normalised: theirs,
    },
  });
  t.true(e.holds(d(jools(0))));
  t.false(e.holds(d(jools(0x55))), "bytes that are not padding");
  const noLength = Buffer.from(input);
  noLength[14 + 40 + 4] = 0; // the ICMPv6 error's RFC 4884 length: without one there was no field to pad
  t.false(e.holds({ ...d(jools(0)), frame: { ...d(jools(0)).frame, frame: noLength } }), "no length attribute");
});

test("jool-tos-route-mask: the outer TOS of IPv4 carrying IPv4 (path ipv4[1]), not another TOS", (t) => {
  const e = explanation("jool-tos-route-mask");
  const input = build([
    { eth: {} },
    { ipv6: { src: `${P}c000:221`, dst: `${P}c633:640a`, hlim: 64, tc: 0x82 } },
    { ipv4: { src: "4.5.6.7", dst: "8.9.10.11", ttl: 9 } },
    { udp: { sport: 1, dport: 2 } },
  ] as Packet);
  const out = (tos: number) =>
    build([
      { eth: {} },
      { ipv4: { src: "192.0.2.33", dst: "198.51.100.10", ttl: 64, tos } },
      { ipv4: { src: "4.5.6.7", dst: "8.9.10.11", ttl: 9 } },
      { udp: { sport: 1, dport: 2 } },
    ] as Packet);
  const fields = ["ipv4[1].tos", "ipv4[1].chksum"];
  const d = (theirs: Buffer) => ({
    ...disagreement(input, `6to4: ${fields.join(", ")}`, [theirs]),
    ours: out(0x82),
    comparison: { status: "differ" as const, kind: `6to4: ${fields.join(", ")}`, detail: "", fields },
  });
  t.true(e.holds(d(out(0x82 & 0x1c))), "0x82 keeps no bit of 0x1c");
  t.false(e.holds(d(out(0x80))), "a TOS Linux's mask does not give");
});
