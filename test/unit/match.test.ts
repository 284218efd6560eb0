/**
 * harness/match on hand-written parsed packets: field masks, value
 * normalisation, checksum rules, noise, paths of quoted layers.
 */
import test from "ava";
import { isNoise, layerPaths, matchPacket, problemPath } from "../../harness/match/index.ts";
import { build, checksumProblems, parse } from "../../harness/packet/index.ts";
import type { Packet } from "../../harness/packet/layers.ts";

/** A parsed IPv4 TCP SYN as the codec returns it: every field filled. */
function syn4(over: { ttl?: number; flags?: string; chksum?: number } = {}): Packet {
  return [
    { eth: { dst: "02:00:00:00:00:0b", src: "02:00:00:00:00:0a", type: 0x0800 } },
    {
      ipv4: {
        version: 4,
        ihl: 5,
        tos: 0,
        len: 60,
        id: 0x1c2d,
        df: true,
        mf: false,
        rf: false,
        frag: 0,
        ttl: over.ttl ?? 63,
        proto: 6,
        chksum: 0x9c3e,
        src: "192.168.2.1",
        dst: "192.168.2.2",
        options: [],
      },
    },
    {
      tcp: {
        sport: 40000,
        dport: 80,
        seq: 123456,
        ack: 0,
        dataofs: 10,
        reserved: 0,
        flags: over.flags ?? "S",
        window: 64240,
        chksum: over.chksum ?? 0x1c46,
        urgptr: 0,
        options: "020405b40402080a",
      },
    },
  ];
}

function syn6(src = "64:ff9b:1:fffe::c0a8:201"): Packet {
  return [
    { eth: { dst: "02:00:00:00:00:0b", src: "02:00:00:00:00:0a", type: 0x86dd } },
    { ipv6: { version: 6, tc: 0, fl: 0x12345, plen: 40, nh: 6, hlim: 64, src, dst: "64:ff9b:1:fffe::c0a8:202" } },
    {
      tcp: {
        sport: 40000,
        dport: 80,
        seq: 1,
        ack: 0,
        dataofs: 10,
        reserved: 0,
        flags: "S",
        window: 64240,
        chksum: 0,
        urgptr: 0,
        options: "",
      },
    },
  ];
}

test("a wrong ttl fails, and the diff names ipv4.ttl with expected 64 and actual 63", (t) => {
  const m = matchPacket([{ eth: {} }, { ipv4: { ttl: 64, src: "192.168.2.1" } }], syn4({ ttl: 63 }));
  t.false(m.ok);
  t.deepEqual(m.fields, [
    { path: "ipv4.ttl", expected: 64, actual: 63, ok: false },
    { path: "ipv4.src", expected: "192.168.2.1", actual: "192.168.2.1", ok: true },
  ]);
});

test("fields the expectation leaves out are don't-care; trailing layers are ignored", (t) => {
  const m = matchPacket([{ eth: {} }, { ipv4: { ttl: 63 } }], syn4());
  t.true(m.ok);
  t.deepEqual(
    m.fields.map((f) => f.path),
    ["ipv4.ttl"],
  );
});

test("an expectation longer than the packet fails at the missing layer", (t) => {
  const m = matchPacket([{ eth: {} }, { ipv4: {} }, { tcp: {} }, { payload: { text: "x" } }], syn4());
  t.false(m.ok);
  t.deepEqual(m.fields.at(-1), { path: "layers[3]", expected: "payload", actual: "(no more layers)", ok: false });
});

test("layers align by position and name: ipv4 expected where ipv6 arrived stops the comparison", (t) => {
  const m = matchPacket([{ eth: {} }, { ipv4: { ttl: 64 } }, { tcp: { dport: 80 } }], syn6());
  t.false(m.ok);
  t.deepEqual(m.fields, [{ path: "layers[1]", expected: "ipv4", actual: "ipv6", ok: false }]);
});

test("IPv6 addresses compare normalised: dotted, compressed and uppercase spellings are equal", (t) => {
  for (const spelled of ["64:ff9b:1:fffe::192.168.2.1", "64:ff9b:1:fffe::c0a8:201", "64:FF9B:1:FFFE:0:0:C0A8:0201"]) {
    t.true(matchPacket([{ eth: {} }, { ipv6: { src: spelled } }], syn6()).ok, spelled);
  }
  t.false(matchPacket([{ eth: {} }, { ipv6: { src: "64:ff9b:1:fffe::192.168.2.9" } }], syn6()).ok);
});

test("MACs compare case-insensitively", (t) => {
  t.true(matchPacket([{ eth: { src: "02:00:00:00:00:0A" } }], syn4()).ok);
  t.false(matchPacket([{ eth: { src: "02:00:00:00:00:0c" } }], syn4()).ok);
});

test("TCP flags compare as sets of letters", (t) => {
  const sa = syn4({ flags: "SA" });
  t.true(matchPacket([{ eth: {} }, { ipv4: {} }, { tcp: { flags: "AS" } }], sa).ok);
  t.false(matchPacket([{ eth: {} }, { ipv4: {} }, { tcp: { flags: "S" } }], sa).ok);
});

test("TCP and ICMP checksums: 0x0000 and 0xffff are both zero; other values compare exactly", (t) => {
  t.true(matchPacket([{ eth: {} }, { ipv4: {} }, { tcp: { chksum: 0xffff } }], syn4({ chksum: 0 })).ok);
  t.true(matchPacket([{ eth: {} }, { ipv4: {} }, { tcp: { chksum: 0 } }], syn4({ chksum: 0xffff })).ok);
  t.false(matchPacket([{ eth: {} }, { ipv4: {} }, { tcp: { chksum: 0x1c47 } }], syn4()).ok);
  // UDP: 0 is "no checksum" (RFC 768), not the same as 0xffff.
  const udp: Packet = [
    { ipv4: { src: "192.0.2.1", dst: "192.0.2.2", proto: 17 } },
    { udp: { sport: 1, dport: 2, len: 8, chksum: 0 } },
  ];
  t.false(matchPacket([{ ipv4: {} }, { udp: { chksum: 0xffff } }], udp).ok);
});

test('chksum "bad" holds only when the frame has that checksum problem', (t) => {
  const want: Packet = [{ eth: {} }, { ipv4: {} }, { tcp: { chksum: "bad" } }];
  const problem = { layer: "tcp", field: "chksum", expected: 0x1c46, actual: 0x9a2e };
  t.true(matchPacket(want, syn4({ chksum: 0x9a2e }), [problem]).ok);
  t.false(matchPacket(want, syn4()).ok);
});

test("payloads compare by bytes, whether written as text or hex", (t) => {
  const pkt: Packet = [...syn4(), { payload: { hex: "68656c6c6f" } }];
  t.true(matchPacket([{ eth: {} }, { ipv4: {} }, { tcp: {} }, { payload: { text: "hello" } }], pkt).ok);
  t.true(
    matchPacket([{ eth: {} }, { ipv4: {} }, { tcp: {} }, { payload: { hex: "68 65 6c 6c 6f", size: 5 } }], pkt).ok,
  );
  const m = matchPacket([{ eth: {} }, { ipv4: {} }, { tcp: {} }, { payload: { text: "hellO", size: 6 } }], pkt);
  t.false(m.ok);
  t.deepEqual(
    m.fields.filter((f) => !f.ok).map((f) => [f.path, f.expected, f.actual]),
    [
      ["payload.text", "hellO", "hello"],
      ["payload.size", 6, 5],
    ],
  );
});

test("layers of a quoted packet carry their index in the path", (t) => {
  const err: Packet = [
    { eth: { dst: "02:00:00:00:00:0a", src: "02:00:00:00:00:0b", type: 0x0800 } },
    { ipv4: { ttl: 64, proto: 1, src: "192.168.2.2", dst: "192.168.2.1" } },
    { icmp: { type: 3, code: 4, chksum: 0x1234, mtu: 1400 } },
    { ipv4: { ttl: 1, proto: 17, src: "192.168.2.1", dst: "192.168.2.2" } },
    { udp: { sport: 5000, dport: 53, len: 20, chksum: 0xabcd } },
  ];
  t.deepEqual(layerPaths(err), ["eth", "ipv4", "icmp", "ipv4[3]", "udp[4]"]);
  const m = matchPacket([{ eth: {} }, { ipv4: {} }, { icmp: { type: 3 } }, { ipv4: { ttl: 2 } }], err);
  t.deepEqual(m.fields.at(-1), { path: "ipv4[3].ttl", expected: 2, actual: 1, ok: false });
  // An echo's payload is not a quoted packet.
  t.deepEqual(layerPaths([{ ipv6: {} }, { icmpv6: { type: 128 } }, { payload: { text: "x" } }]), [
    "ipv6",
    "icmpv6",
    "payload",
  ]);
  t.deepEqual(layerPaths([{ ipv6: {} }, { icmpv6: { type: 1 } }, { ipv6: {} }, { icmpv6: { type: 128 } }]), [
    "ipv6",
    "icmpv6",
    "ipv6[2]",
    "icmpv6[3]",
  ]);
});

test("noise: router and neighbour discovery, MLD behind Hop-by-Hop, ARP, IGMP, LLDP", (t) => {
  const v6 = (type: number, hbh = false): Packet => [
    { eth: { type: 0x86dd } },
    { ipv6: { src: "fe80::1", dst: "ff02::2" } },
    ...(hbh ? [{ hbh: { nh: 58 } }] : []),
    { icmpv6: { type, code: 0 } },
  ];
  for (const type of [133, 134, 135, 136]) t.true(isNoise(v6(type)), `icmpv6 ${type}`);
  for (const type of [130, 131, 132, 143]) t.true(isNoise(v6(type, true)), `mld ${type}`);
  t.true(isNoise([{ eth: { type: 0x0806 } }, { payload: { hex: "0001" } }]), "arp");
  t.true(isNoise([{ eth: { type: 0x88cc } }, { payload: { hex: "0001" } }]), "lldp");
  t.true(isNoise([{ eth: { type: 0x0800 } }, { ipv4: { proto: 2 } }, { payload: { hex: "1600" } }]), "igmp");
  t.false(isNoise(v6(128)), "echo request");
  t.false(isNoise(v6(1)), "destination unreachable");
  t.false(isNoise(syn4()));
  t.false(isNoise(syn6()));
});

test("with the codec: a built packet matches its own layers, and a quoted checksum problem gets its quoted path", (t) => {
  const layers: Packet = [
    { eth: {} },
    { ipv6: { src: "2001:db8::1", dst: "2001:db8::2" } },
    { icmpv6: { type: 1, code: 4 } },
    { ipv6: { src: "2001:db8::2", dst: "2001:db8::9" } },
    { udp: { sport: 1, dport: 2, chksum: "bad" } },
    { payload: { text: "hi" } },
  ];
  const frame = build(layers);
  const problems = checksumProblems(frame, { quotedL4: true });
  const parsed = parse(frame);
  t.true(matchPacket(layers, parsed, problems).ok);
  t.deepEqual(
    problems.map((p) => problemPath(p, parsed)),
    ["udp[4].chksum"],
  );
  const m = matchPacket([{ eth: {} }, { ipv6: {} }, { icmpv6: {} }, { ipv6: {} }, { udp: { dport: 3 } }], parsed);
  t.deepEqual(
    m.fields.filter((f) => !f.ok),
    [{ path: "udp[4].dport", expected: 3, actual: 2, ok: false }],
  );
});

test("an RFC 4884 extension compares by its parts: two parses of the same bytes agree, a changed object differs", (t) => {
  const frame = (data: string) =>
    build([
      { eth: {} },
      { ipv4: { src: "203.0.113.5", dst: "198.51.100.10", ttl: 64 } },
      {
        icmp: {
          type: 11,
          code: 0,
          length: 32,
          ext: { version: 2, objects: [{ class: 1, ctype: 1, data }] },
        },
      },
      { ipv4: { src: "198.51.100.10", dst: "192.0.2.33", ttl: 1 } },
      { udp: { sport: 53, dport: 40000 } },
    ]);
  const a = parse(frame("00010101"));
  t.true(matchPacket(a, parse(frame("00010101"))).ok);
  const changed = matchPacket(a, parse(frame("00010102")))
    .fields.filter((f) => !f.ok)
    .map((f) => f.path);
  t.true(changed.includes("icmp.ext"), changed.join(", "));
});
