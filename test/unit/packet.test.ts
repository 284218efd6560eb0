import test from "ava";
import {
  badChecksum,
  build,
  checksumProblems,
  decode,
  describe,
  formatIpv6,
  inetChecksum,
  normalizeHex,
  normalizeIp,
  onesSum,
  type Packet,
  parse,
  pcapBytes,
  readPcap,
} from "../../harness/packet/index.ts";

const A4 = "192.0.2.1";
const B4 = "198.51.100.2";
/** Checksum-neutral (64:ff9b:1:fffe::/96) and non-neutral addresses: both, so a missing pseudo-header fix shows. */
const A6 = "64:ff9b:1:fffe::c000:201";
const B6 = "64:ff9b:1:fffe::c633:6402";
const C6 = "2001:db8::1";
const D6 = "2001:db8:1::2";

/** Where `actual` differs from the fields `expected` names (addresses and hex compared canonically); undefined when it does not. */
function partialDiff(actual: unknown, expected: unknown, path: string): string | undefined {
  if (expected === "bad") return undefined;
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length)
      return `${path}: ${JSON.stringify(actual)} vs ${JSON.stringify(expected)}`;
    for (let i = 0; i < expected.length; i++) {
      const d = partialDiff(actual[i], expected[i], `${path}.${i}`);
      if (d) return d;
    }
    return undefined;
  }
  if (expected !== null && typeof expected === "object") {
    for (const [k, v] of Object.entries(expected)) {
      if (path.endsWith("payload") && (k === "size" || k === "fill")) continue;
      const d = partialDiff((actual as Record<string, unknown>)?.[k], v, `${path}.${k}`);
      if (d) return d;
    }
    return undefined;
  }
  const canon = (x: unknown) => {
    if (typeof x !== "string") return x;
    if (/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(x)) return x.toLowerCase();
    if (x.includes(":") && /^[0-9a-f:.]+$/i.test(x)) return normalizeIp(x);
    if (/^([0-9a-f]{2}[ :]?)+$/i.test(x) && !path.endsWith("text") && !path.endsWith("flags")) return normalizeHex(x);
    return x;
  };
  return canon(actual) === canon(expected)
    ? undefined
    : `${path}: got ${JSON.stringify(actual)}, want ${JSON.stringify(expected)}`;
}

/** build, parse, build again: same bytes, and the parsed packet holds every field given. */
function roundTrip(t: import("ava").ExecutionContext, p: Packet): Packet {
  const frame = build(p);
  const d = decode(frame, { linktype: "eth" in p[0] ? 1 : 101 });
  t.deepEqual(d.problems, [], `problems parsing ${describe(p)}`);
  t.deepEqual(build(d.packet).toString("hex"), frame.toString("hex"), `rebuilt bytes of ${describe(p)}`);
  t.is(d.packet.length, p.length, "layer count");
  p.forEach((layer, i) => {
    const [name, fields] = Object.entries(layer)[0];
    const got = (d.packet[i] as Record<string, unknown>)[name];
    t.truthy(got, `layer ${i} is ${name}`);
    const diff = partialDiff(got, fields, `${i}.${name}`);
    t.is(diff, undefined, diff);
  });
  return d.packet;
}

test("RFC 1071 section 3 example: sum ddf2, checksum 220d", (t) => {
  const b = Buffer.from("0001f203f4f5f6f7", "hex");
  t.is(onesSum(b), 0xddf2);
  t.is(inetChecksum(b), 0x220d);
  t.is(
    onesSum(Buffer.from("0001f203f4f5f6", "hex")),
    onesSum(Buffer.from("0001f203f4f5f600", "hex")),
    "odd length pads with zero",
  );
});

test("IPv4 header bytes and checksum match a hand-checked header", (t) => {
  // 4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7: a well-known valid header.
  const frame = build([{ ipv4: { len: 0x73, df: true, proto: 17, src: "192.168.0.1", dst: "192.168.0.199" } }]);
  t.is(frame.toString("hex"), "450000730000400040 11b861c0a80001c0a800c7".replace(/ /g, ""));
});

test("UDP over IPv4 checksum matches the hand computation", (t) => {
  // pseudo c000 0201 c000 0202 0011 0008 + header 0001 0002 0008 0000: sum 8428, checksum 7bd7.
  const frame = build([{ ipv4: { src: "192.0.2.1", dst: "192.0.2.2" } }, { udp: { sport: 1, dport: 2 } }]);
  t.is(frame.subarray(20).toString("hex"), "0001000200087bd7");
});

test("defaults: eth zeros, ttl/hlim 64, tcp 40000>80 S window 8192, udp 40000>9, echo request", (t) => {
  const p = parse(build([{ eth: {} }, { ipv4: {} }, { tcp: {} }]));
  const raw = { linktype: 101 };
  t.deepEqual(p[0], { eth: { dst: "00:00:00:00:00:00", src: "00:00:00:00:00:00", type: 0x0800 } });
  t.like((p[1] as { ipv4: object }).ipv4, { ttl: 64, ihl: 5, len: 40, proto: 6, src: "0.0.0.0", df: false, id: 0 });
  t.like((p[2] as { tcp: object }).tcp, {
    sport: 40000,
    dport: 80,
    flags: "S",
    window: 8192,
    dataofs: 5,
    seq: 0,
    ack: 0,
  });
  const u = parse(build([{ ipv6: {} }, { udp: {} }]), raw);
  t.like((u[0] as { ipv6: object }).ipv6, { hlim: 64, nh: 17, plen: 8, src: "::" });
  t.like((u[1] as { udp: object }).udp, { sport: 40000, dport: 9, len: 8 });
  t.like((parse(build([{ ipv4: {} }, { icmp: {} }]), raw)[1] as { icmp: object }).icmp, {
    type: 8,
    code: 0,
    id: 0,
    seq: 0,
  });
  t.like((parse(build([{ ipv6: {} }, { icmpv6: {} }]), raw)[1] as { icmpv6: object }).icmpv6, { type: 128, code: 0 });
});

test("round trips: Ethernet, IPv4, TCP with options and payload", (t) => {
  roundTrip(t, [
    { eth: { src: "02:00:00:00:00:0a", dst: "02:00:00:00:00:0b" } },
    { ipv4: { src: A4, dst: B4, id: 4321, df: true, ttl: 3, tos: 0x10 } },
    {
      tcp: {
        sport: 40000,
        dport: 80,
        seq: 1,
        ack: 2,
        flags: "PA",
        window: 501,
        urgptr: 0,
        options: "0101080a0000000100000002",
      },
    },
    { payload: { text: "GET / HTTP/1.0\r\n\r\n" } },
  ]);
});

test("round trips: IPv6 with UDP, ICMPv6 echo, ICMP echo, all TCP flags", (t) => {
  roundTrip(t, [
    { eth: {} },
    { ipv6: { src: C6, dst: D6, tc: 0xb8, fl: 0x12345 } },
    { udp: { sport: 53, dport: 5353 } },
    { payload: { size: 100 } },
  ]);
  roundTrip(t, [
    { eth: {} },
    { ipv6: { src: A6, dst: B6 } },
    { icmpv6: { type: 128, id: 7, seq: 9 } },
    { payload: { hex: "de ad be ef" } },
  ]);
  roundTrip(t, [
    { eth: {} },
    { ipv4: { src: A4, dst: B4 } },
    { icmp: { type: 0, id: 7, seq: 9 } },
    { payload: { size: 56, fill: 0xab } },
  ]);
  roundTrip(t, [{ ipv6: { src: C6, dst: D6 } }, { tcp: { flags: "FSRPAUECN", reserved: 5 } }]);
});

test("IPv4 with options: IHL, padding, record route", (t) => {
  const p = roundTrip(t, [
    { eth: {} },
    { ipv4: { src: A4, dst: B4, options: [{ type: 1 }, { type: 7, data: "04 00 00 00 00 00 00 00" }] } },
    { udp: {} },
  ]);
  const ip = (p[1] as { ipv4: { ihl: number; len: number } }).ipv4;
  t.is(ip.ihl, 8, "20 + 1 + 10 bytes of options, padded to 32");
  t.is(ip.len, 32 + 8);
  t.deepEqual(checksumProblems(build(p)), []);
});

test("IPv6 with Hop-by-Hop, Destination Options, Routing and Fragment headers", (t) => {
  const p = roundTrip(t, [
    { eth: {} },
    { ipv6: { src: C6, dst: D6 } },
    { hbh: { options: [{ type: 5, data: "0000" }] } }, // Router Alert
    { dstopts: { options: [{ type: 0x1e, data: "aabbccdd eeff" }] } },
    { routing: { type: 0, segleft: 1, addresses: ["2001:db8::99"] } },
    { frag: { id: 0x01020304 } },
    { udp: { sport: 1000, dport: 2000 } },
    { payload: { size: 33 } },
  ]);
  t.like((p[1] as { ipv6: object }).ipv6, { nh: 0 });
  t.like((p[2] as { hbh: object }).hbh, { nh: 60, len: 0 });
  t.like((p[3] as { dstopts: object }).dstopts, { nh: 43, len: 1 });
  t.like((p[4] as { routing: object }).routing, { nh: 44, len: 2 });
  t.like((p[5] as { frag: object }).frag, { nh: 17, offset: 0, m: false });
  // Segments left: the pseudo-header uses the final destination (RFC 8200 section 8.1).
  t.deepEqual(checksumProblems(build(p)), []);
  const viaDst = build([
    { ipv6: { src: C6, dst: "2001:db8::99" } },
    { udp: { sport: 1000, dport: 2000 } },
    { payload: { size: 33 } },
  ]);
  t.is(build(p).readUInt16BE(build(p).length - 33 - 2), viaDst.readUInt16BE(viaDst.length - 33 - 2));
});

test("fragments: a later fragment carries payload, not a transport header", (t) => {
  const v6 = parse(
    build([{ ipv6: { src: C6, dst: D6 } }, { frag: { offset: 2, nh: 17, id: 5 } }, { payload: { size: 16 } }]),
    { linktype: 101 },
  );
  t.deepEqual(
    v6.map((l) => Object.keys(l)[0]),
    ["ipv6", "frag", "payload"],
  );
  const v4 = parse(build([{ ipv4: { src: A4, dst: B4, frag: 185, proto: 17 } }, { payload: { size: 16 } }]), {
    linktype: 101,
  });
  t.deepEqual(
    v4.map((l) => Object.keys(l)[0]),
    ["ipv4", "payload"],
  );
  // A first fragment: the checksum covers the whole datagram, so it is not verified; explicit values stay.
  const first = build([
    { ipv4: { src: A4, dst: B4, mf: true } },
    { udp: { len: 3000, chksum: 0x1234 } },
    { payload: { size: 1000 } },
  ]);
  t.like((parse(first, { linktype: 101 })[1] as { udp: object }).udp, { len: 3000, chksum: 0x1234 });
  t.deepEqual(checksumProblems(first, { linktype: 101 }), []);
});

test('chksum "bad" is the right one plus one, never another zero', (t) => {
  t.is(badChecksum(0x1234), 0x1235);
  t.is(badChecksum(0xfffe), 0xffff);
  t.is(badChecksum(0xffff), 1, "0x0000 would equal 0xffff in one's complement (and mean 'none' for UDP)");
  t.is(badChecksum(0), 1);
  for (const l4 of [{ tcp: { chksum: "bad" as const } }, { udp: { chksum: "bad" as const } }]) {
    for (const ip of [{ ipv4: { src: A4, dst: B4 } }, { ipv6: { src: C6, dst: D6 } }]) {
      const good = build([ip, { [Object.keys(l4)[0]]: {} } as Packet[number]]);
      const bad = build([ip, l4]);
      const probs = checksumProblems(bad, { linktype: 101 });
      t.is(probs.length, 1, describe([ip, l4]));
      const off = good.length - (Object.keys(l4)[0] === "tcp" ? 4 : 2);
      t.is(probs[0].expected, good.readUInt16BE(off));
      t.is(probs[0].actual, badChecksum(good.readUInt16BE(off)));
    }
  }
  const ipBad = build([{ ipv4: { src: A4, dst: B4, chksum: "bad" } }, { icmp: { chksum: "bad" } }]);
  t.deepEqual(
    checksumProblems(ipBad, { linktype: 101 }).map((p) => p.layer),
    ["ipv4", "icmp"],
  );
  const v6Bad = build([{ ipv6: { src: C6, dst: D6 } }, { icmpv6: { chksum: "bad" } }]);
  t.deepEqual(
    checksumProblems(v6Bad, { linktype: 101 }).map((p) => p.layer),
    ["icmpv6"],
  );
});

/** A 2-byte payload that makes the UDP/TCP sum come out to zero: the checksum computed with a zero payload. */
function zeroingPayload(ip: Packet[number], l4: "udp" | "tcp"): string {
  const f = build([ip, { [l4]: { sport: 1, dport: 2 } } as Packet[number], { payload: { hex: "0000" } }]);
  const c = f.readUInt16BE(f.length - 2 - (l4 === "udp" ? 2 : 4));
  return c.toString(16).padStart(4, "0");
}

test("UDP: a computed 0 is sent as 0xffff; 0 is 'none' over IPv4 and wrong over IPv6", (t) => {
  for (const ip of [{ ipv4: { src: A4, dst: B4 } }, { ipv6: { src: C6, dst: D6 } }] as Packet) {
    const hex = zeroingPayload(ip, "udp");
    const f = build([ip, { udp: { sport: 1, dport: 2 } }, { payload: { hex } }]);
    t.is(f.readUInt16BE(f.length - 4), 0xffff, `${Object.keys(ip)[0]}: RFC 768 all ones`);
    t.deepEqual(checksumProblems(f, { linktype: 101 }), []);
  }
  const none4 = build([{ ipv4: { src: A4, dst: B4 } }, { udp: { chksum: 0 } }, { payload: { size: 4 } }]);
  t.deepEqual(checksumProblems(none4, { linktype: 101 }), [], "IPv4: zero means no checksum");
  const none6 = build([{ ipv6: { src: C6, dst: D6 } }, { udp: { chksum: 0 } }, { payload: { size: 4 } }]);
  const right6 = build([{ ipv6: { src: C6, dst: D6 } }, { udp: {} }, { payload: { size: 4 } }]);
  t.deepEqual(checksumProblems(none6, { linktype: 101 }), [
    { layer: "udp", field: "chksum", expected: right6.readUInt16BE(46), actual: 0, index: 1 },
  ]);
});

test("TCP: 0xffff where 0x0000 is computed verifies (one's complement zero)", (t) => {
  const ip = { ipv6: { src: C6, dst: D6 } };
  const hex = zeroingPayload(ip, "tcp");
  const computed = build([ip, { tcp: { sport: 1, dport: 2 } }, { payload: { hex } }]);
  t.is(computed.readUInt16BE(40 + 16), 0);
  const ffff = build([ip, { tcp: { sport: 1, dport: 2, chksum: 0xffff } }, { payload: { hex } }]);
  t.deepEqual(checksumProblems(computed, { linktype: 101 }), []);
  t.deepEqual(checksumProblems(ffff, { linktype: 101 }), []);
});

test("the checksum-neutral prefix gives the IPv4 TCP checksum; another prefix does not", (t) => {
  const tcp = { tcp: { sport: 40000, dport: 80, seq: 7 } };
  const v4 = build([{ ipv4: { src: A4, dst: B4 } }, tcp]).readUInt16BE(20 + 16);
  const neutral = build([{ ipv6: { src: A6, dst: B6 } }, tcp]).readUInt16BE(40 + 16);
  const other = build([{ ipv6: { src: "2001:db8::c000:201", dst: "2001:db8::c633:6402" } }, tcp]).readUInt16BE(40 + 16);
  t.is(neutral, v4);
  t.not(other, v4);
});

test("ICMPv6 Packet Too Big quoting a UDP packet: lengths as if whole, quotelen cuts", (t) => {
  const quoted: Packet = [
    { ipv6: { src: C6, dst: D6 } },
    { udp: { sport: 5000, dport: 53 } },
    { payload: { size: 1400 } },
  ];
  const whole = build(quoted);
  const p = roundTrip(t, [
    { eth: {} },
    { ipv6: { src: "2001:db8::fe", dst: C6 } },
    { icmpv6: { type: 2, mtu: 1280, quotelen: 1232 } },
    ...quoted,
  ]);
  const f = build(p);
  t.is(f.length, 14 + 40 + 8 + 1232, "IPv6 minimum MTU: the error fits 1280");
  t.deepEqual(f.subarray(14 + 48), whole.subarray(0, 1232), "the quoted bytes are the original's first 1232");
  t.like((p[3] as { ipv6: object }).ipv6, { plen: 1408 });
  t.like((p[4] as { udp: object }).udp, { len: 1408 });
  t.deepEqual(checksumProblems(f), []);
  t.regex(
    describe(p),
    /ICMPv6 packet too big code 0 mtu 1280 quoting \(IPv6 2001:db8::1 > 2001:db8:1::2 UDP 5000 > 53/,
  );
});

test("ICMP fragmentation needed quoting 8 bytes of TCP; quoted IPv4 header checksum is verified", (t) => {
  const frame = build([
    { eth: {} },
    { ipv4: { src: "203.0.113.1", dst: A4 } },
    { icmp: { type: 3, code: 4, mtu: 1400, quotelen: 28 } },
    { ipv4: { src: A4, dst: B4, len: 1500, df: true } },
    { tcp: { sport: 40000, dport: 80, seq: 0x01020304, flags: "PA" } },
  ]);
  t.is(frame.length, 14 + 20 + 8 + 28);
  const p = parse(frame);
  t.deepEqual(p[4], { tcp: { sport: 40000, dport: 80, seq: 0x01020304 } }, "only the fields whose bytes are present");
  t.like((p[2] as { icmp: object }).icmp, { type: 3, code: 4, mtu: 1400, length: 0, quotelen: 28 });
  t.deepEqual(build(p), frame);
  t.deepEqual(checksumProblems(frame), []);
  const badQuote = build([
    { ipv4: { src: "203.0.113.1", dst: A4 } },
    { icmp: { type: 11 } },
    { ipv4: { src: A4, dst: B4, chksum: "bad" } },
    { udp: {} },
  ]);
  t.deepEqual(
    checksumProblems(badQuote, { linktype: 101 }).map((x) => x.layer),
    ["quoted ipv4"],
  );
});

test("ICMP type-specific words: redirect gateway, parameter problem pointer, RFC 4884 length", (t) => {
  roundTrip(t, [
    { ipv4: { src: A4, dst: B4 } },
    { icmp: { type: 5, code: 1, gw: "192.0.2.254" } },
    { ipv4: { src: B4, dst: A4 } },
    { udp: {} },
  ]);
  roundTrip(t, [
    { ipv4: { src: A4, dst: B4 } },
    { icmp: { type: 12, ptr: 9, length: 0 } },
    { ipv4: { src: B4, dst: A4 } },
    { udp: {} },
  ]);
  roundTrip(t, [
    { ipv6: { src: C6, dst: D6 } },
    { icmpv6: { type: 4, code: 0, ptr: 40 } },
    { ipv6: { src: D6, dst: C6 } },
    { udp: {} },
  ]);
  roundTrip(t, [
    { ipv6: { src: C6, dst: D6 } },
    { icmpv6: { type: 1, code: 4, length: 0 } },
    { ipv6: { src: D6, dst: C6 } },
    { tcp: {} },
  ]);
  roundTrip(t, [
    { ipv6: { src: C6, dst: D6 } },
    { icmpv6: { type: 135, rest: 0 } },
    { payload: { hex: "20010db8000000000000000000000002" } },
  ]);
  const f = build([{ ipv4: { src: A4, dst: B4 } }, { icmp: { type: 3, code: 3, rest: 0x00ab0000 } }]);
  t.like((parse(f, { linktype: 101 })[1] as { icmp: object }).icmp, { length: 0xab });
});

test("RFC 4884: a compliant length attribute ends the field even when no extension objects follow", (t) => {
  // 128-byte field (32 words), then an extension header and bytes that do not tile as objects (a length of 0x0102
  // runs past the end): kept raw, never read back into the quote (RFC 4884 §1, §5).
  const ext = { version: 2, chksum: 0x1234, objects: [], data: "01020304050607" };
  const p: Packet = [
    { ipv4: { src: A4, dst: B4 } },
    { icmp: { type: 11, code: 0, length: 32, quotelen: 128, ext } },
    { ipv4: { src: B4, dst: A4 } },
    { udp: {} },
    { payload: { size: 200 } },
  ];
  const f = build(p);
  const back = parse(f, { linktype: 101 });
  t.like((back[1] as { icmp: object }).icmp, { length: 32, quotelen: 128, ext });
  t.deepEqual(build(back), f);
});

test("Ethernet padding goes to the trailer, not the payload", (t) => {
  const f = Buffer.concat([build([{ eth: {} }, { ipv4: { src: A4, dst: B4 } }, { udp: {} }]), Buffer.alloc(18)]);
  const d = decode(f);
  t.is(d.packet.length, 3);
  t.is(d.trailer.length, 18);
  t.deepEqual(d.problems, []);
  t.deepEqual(checksumProblems(f), []);
});

test("describe: one tcpdump-like line", (t) => {
  t.is(
    describe([
      { eth: {} },
      { ipv6: { src: "64:ff9b:1:fffe::c0a8:201", dst: "64:ff9b:1:fffe::c0a8:202" } },
      { tcp: { sport: 40000, dport: 80, flags: "S" } },
    ]),
    "IPv6 64:ff9b:1:fffe::c0a8:201 > 64:ff9b:1:fffe::c0a8:202 TCP 40000 > 80 [S] len 0",
  );
  t.is(
    describe(
      parse(
        build([{ eth: {} }, { ipv4: { src: A4, dst: B4 } }, { icmp: { id: 1, seq: 2 } }, { payload: { size: 56 } }]),
      ),
    ),
    "IPv4 192.0.2.1 > 198.51.100.2 ICMP echo request id 1 seq 2 len 56",
  );
});

test("addresses: RFC 5952 text, normalizeIp", (t) => {
  const cases: [string, string][] = [
    ["2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"], // tie: the first run (4.2.3)
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"], // one zero group stays (4.2.2)
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"], // the longest run (4.2.3)
    ["2001:DB8::AB", "2001:db8::ab"],
    ["::", "::"],
    ["::1", "::1"],
    ["1::", "1::"],
    ["::ffff:192.0.2.1", "::ffff:c000:201"],
    ["64:ff9b:1:fffe::192.168.2.1", "64:ff9b:1:fffe::c0a8:201"],
    ["192.0.2.1", "192.0.2.1"],
  ];
  for (const [input, want] of cases) t.is(normalizeIp(input), want, input);
  t.is(formatIpv6(Buffer.alloc(16)), "::");
  for (const bad of ["1:2:3", "1::2::3", "12345::", "192.0.2", "300.0.0.1", "1:2:3:4:5:6:7:8:9"])
    t.throws(() => normalizeIp(bad), undefined, bad);
});

test("build rejects fields outside the syntax with the field's path", (t) => {
  const e = t.throws(() => build([{ ipv4: { ttl: 300 } }] as unknown as Packet));
  t.regex(e?.message ?? "", /at 0\.ipv4\.ttl/);
});

test("pcap: write, read back; nanosecond and big-endian files; SLL and SLL2 become Ethernet", (t) => {
  const frames = [
    build([{ eth: {} }, { ipv4: { src: A4, dst: B4 } }, { udp: {} }]),
    build([{ eth: {} }, { ipv6: { src: C6, dst: D6 } }, { tcp: {} }]),
  ];
  const r = readPcap(
    pcapBytes([
      { ts: 1700000000.25, data: frames[0] },
      { ts: 1700000001.5, data: frames[1] },
    ]),
  );
  t.is(r.linktype, 1);
  t.is(r.frames.length, 2);
  t.is(r.frames[0].ts, 1700000000.25);
  t.deepEqual(r.frames[1].data, frames[1]);
  // Big-endian, nanoseconds, by hand.
  const h = Buffer.alloc(24 + 16 + 4);
  h.writeUInt32BE(0xa1b23c4d, 0);
  h.writeUInt32BE(101, 20);
  h.writeUInt32BE(5, 24);
  h.writeUInt32BE(500000000, 28);
  h.writeUInt32BE(4, 32);
  h.writeUInt32BE(4, 36);
  const be = readPcap(h);
  t.is(be.linktype, 101);
  t.is(be.frames[0].ts, 5.5);
  // A truncated last record is dropped, not fatal.
  t.is(readPcap(h.subarray(0, 42)).frames.length, 0);
  t.throws(() => readPcap(Buffer.from("0a0d0d0a00000000000000000000000000000000000000000000", "hex")), {
    message: /pcapng/,
  });

  const ip = build([{ ipv6: { src: C6, dst: D6 } }, { udp: {} }]);
  const sll = Buffer.alloc(16);
  sll.writeUInt16BE(4, 0); // outgoing
  sll.writeUInt16BE(1, 2);
  sll.writeUInt16BE(6, 4);
  Buffer.from("020000000001", "hex").copy(sll, 6);
  sll.writeUInt16BE(0x86dd, 14);
  const p1 = parse(Buffer.concat([sll, ip]), { linktype: 113 });
  t.deepEqual(p1[0], { eth: { dst: "00:00:00:00:00:00", src: "02:00:00:00:00:01", type: 0x86dd } });
  t.like((p1[2] as { udp: object }).udp, { sport: 40000 });
  const sll2 = Buffer.alloc(20);
  sll2.writeUInt16BE(0x86dd, 0);
  sll2.writeUInt32BE(3, 4);
  sll2.writeUInt16BE(1, 8);
  sll2[10] = 0;
  sll2[11] = 6;
  Buffer.from("020000000002", "hex").copy(sll2, 12);
  const p2 = decode(Buffer.concat([sll2, ip]), { linktype: 276 });
  t.deepEqual(p2.problems, []);
  t.deepEqual(p2.packet[0], { eth: { dst: "00:00:00:00:00:00", src: "02:00:00:00:00:02", type: 0x86dd } });
  t.deepEqual(checksumProblems(Buffer.concat([sll2, ip]), { linktype: 276 }), []);
});

test("malformed input never throws: every truncation, random byte flips, random frames", (t) => {
  const samples: Packet[] = [
    [
      { eth: {} },
      { ipv4: { src: A4, dst: B4, options: [{ type: 7, data: "0400000000" }] } },
      { tcp: { options: "020405b4" } },
      { payload: { size: 10 } },
    ],
    [
      { eth: {} },
      { ipv6: { src: C6, dst: D6 } },
      { hbh: {} },
      { routing: { addresses: [C6] } },
      { frag: {} },
      { udp: {} },
      { payload: { size: 9 } },
    ],
    [
      { eth: {} },
      { ipv4: { src: A4, dst: B4 } },
      { icmp: { type: 3, code: 1 } },
      { ipv4: { src: B4, dst: A4 } },
      { tcp: {} },
    ],
    [
      { eth: {} },
      { ipv6: { src: C6, dst: D6 } },
      { icmpv6: { type: 1 } },
      { ipv6: { src: D6, dst: C6 } },
      { dstopts: {} },
      { udp: {} },
    ],
  ];
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  let runs = 0;
  const tryAll = (f: Buffer) => {
    for (const linktype of [1, 101, 113, 276]) {
      const d = decode(f, { linktype });
      checksumProblems(f, { linktype });
      describe(d.packet.length > 0 ? d.packet : [{ payload: {} }]);
      runs++;
    }
  };
  for (const s of samples) {
    const f = build(s);
    for (let n = 0; n <= f.length; n++) tryAll(f.subarray(0, n));
    for (let k = 0; k < 300; k++) {
      const g = Buffer.from(f);
      for (let j = 0; j < 3; j++) g[rand() % g.length] = rand() & 0xff;
      tryAll(g);
    }
  }
  for (let k = 0; k < 300; k++) tryAll(Buffer.from(Array.from({ length: rand() % 120 }, () => rand() & 0xff)));
  t.true(runs > 5000);
  const cut = decode(build(samples[0]).subarray(0, 40));
  t.true(cut.problems.length > 0, "a cut-short packet is reported");
});

test("the README's examples build and say what the README says", async (t) => {
  const { readFileSync } = await import("node:fs");
  const YAML = await import("yaml");
  const text = readFileSync(new URL("../../harness/packet/README.md", import.meta.url), "utf8");
  const blocks = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => YAML.parse(m[1]) as Packet);
  t.is(blocks.length, 3);
  const [syn, badUdp, ptb] = blocks.map((b) => build(b));
  t.is(describe(parse(syn)), "IPv6 64:ff9b:1:fffe::c0a8:201 > 64:ff9b:1:fffe::c0a8:202 TCP 40000 > 80 [S] len 0");
  const probs = checksumProblems(badUdp);
  t.is(probs.length, 1);
  t.like(probs[0], { layer: "udp", field: "chksum", index: 2, actual: probs[0].expected + 1 });
  t.is(ptb.length, 14 + 1280);
  t.like((parse(ptb)[3] as { ipv6: object }).ipv6, { plen: 1408 });
  t.deepEqual(checksumProblems(ptb), []);
});

test("real captures (fixtures/codec, from the tshark integration test): decode cleanly, verify, rebuild", (t) => {
  const eth = readPcap(new URL("../../fixtures/codec/veth.pcap", import.meta.url).pathname);
  const any = readPcap(new URL("../../fixtures/codec/any-sll2.pcap", import.meta.url).pathname);
  t.is(eth.linktype, 1);
  t.is(any.linktype, 276);
  const lines = (pcap: typeof eth) =>
    pcap.frames.map((f) => {
      const d = decode(f.data, { linktype: pcap.linktype });
      t.deepEqual(d.problems, [], describe(d.packet));
      t.deepEqual(checksumProblems(f.data, { linktype: pcap.linktype }), [], describe(d.packet));
      if (pcap.linktype === 1) t.deepEqual(Buffer.concat([build(d.packet), d.trailer]), f.data, describe(d.packet));
      return describe(d.packet.slice(1));
    });
  const viaEth = lines(eth);
  t.deepEqual(lines(any).sort(), viaEth.sort(), "the same packets through SLL2 as through Ethernet");
  for (const want of [
    /ICMP unreachable code 3 quoting \(IPv4 .* UDP \d+ > 5000/,
    /ICMPv6 unreachable code 4 quoting \(IPv6 .* UDP \d+ > 5000/,
    /frag id/,
    /TCP \d+ > 8086 \[S\]/,
  ]) {
    t.true(
      viaEth.some((l) => want.test(l)),
      `a frame matches ${want}`,
    );
  }
});
