/**
 * The translator at the packet level, through the xlat runner
 * (BPF_PROG_TEST_RUN, needs root, no namespaces): each case is a packet
 * built from fields, the verdict it must get, and what the output must hold.
 * Checksums are judged independently by tshark, with the default prefix
 * (checksum-neutral) and with ones that are not, so a missing pseudo-header
 * fix cannot hide; the last tests prove that the build without L4 checksum
 * fixes (nat64-nocsum.o) fails them.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test, { type ExecutionContext } from "ava";
import { buildBpf, NAT64_NOCSUM_OBJECT } from "../../harness/bpf/build.ts";
import { readStatsFile, type Stats } from "../../harness/bpf/stats.ts";
import { type XlatResult, xlat } from "../../harness/bpf/xlat.ts";
import {
  build,
  checksumProblems,
  describe,
  type Packet,
  parse,
  readPcap,
  writePcap,
} from "../../harness/packet/index.ts";
import { embedIpv4 } from "../../harness/packet/prefix.ts";

const isRoot = process.getuid?.() === 0;
const rootTest = isRoot ? test : test.skip;
const serial = isRoot ? test.serial : test.serial.skip;

const DEFAULT = "64:ff9b:1:fffe::/96";
const NON_NEUTRAL = ["2001:db8:64::/96", "2001:db8:100::/40", "2001:db8:122:344::/64"];
const V4A = "192.168.2.1";
const V4B = "192.168.2.2";

const dir = mkdtempSync(join(tmpdir(), "natlab-h1-xlat-"));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
test.before(async () => {
  if (isRoot) {
    await buildBpf();
  }
});

interface Run {
  results: XlatResult[];
  /** Output frame per input frame (undefined when not written). */
  out: (Buffer | undefined)[];
  stats: Stats;
  /** tshark's checksum statuses per input frame: field -> values ("1" good, "0" bad, "2" unverified). */
  tshark: (Record<string, string[]> | undefined)[];
}

let seq = 0;
/** Run packets through the translator in one runner call. */
async function run(
  packets: (Packet | Buffer)[],
  opts: { prefix?: string; object?: string; section?: "6to4" | "4to6" } = {},
): Promise<Run> {
  const n = seq++;
  const input = join(dir, `in-${n}.pcap`);
  const output = join(dir, `out-${n}.pcap`);
  const stats = join(dir, `stats-${n}.json`);
  writePcap(
    input,
    packets.map((p) => (Buffer.isBuffer(p) ? p : build(p))),
  );
  const results = await xlat({ input, output, stats, prefix: opts.prefix, object: opts.object, section: opts.section });
  const frames = readPcap(output).frames;
  const marks = tsharkStatuses(output);
  return {
    results,
    out: results.map((r) => (r.out === null ? undefined : frames[r.out].data)),
    stats: readStatsFile(stats),
    tshark: results.map((r) => (r.out === null ? undefined : marks[r.out])),
  };
}

const TSHARK_FIELDS = [
  "ip.checksum.status",
  "tcp.checksum.status",
  "udp.checksum.status",
  "icmp.checksum.status",
  "icmpv6.checksum.status",
];
function tsharkStatuses(pcap: string): Record<string, string[]>[] {
  const args = [
    "-r",
    pcap,
    "-o",
    "ip.check_checksum:TRUE",
    "-o",
    "tcp.check_checksum:TRUE",
    "-o",
    "udp.check_checksum:TRUE",
    "-T",
    "fields",
  ];
  for (const f of TSHARK_FIELDS) args.push("-e", f);
  const r = spawnSync("tshark", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`tshark -r ${pcap} failed: ${r.stderr}`);
  return r.stdout
    .split("\n")
    .filter((l) => l !== "")
    .map((l) =>
      Object.fromEntries(l.split("\t").map((v, i) => [TSHARK_FIELDS[i].split(".")[0], v === "" ? [] : v.split(",")])),
    );
}

/** Every checksum tshark could check is good, and the outermost L4 one was checked. */
function assertChecksumsGood(
  t: ExecutionContext,
  r: Run,
  i: number,
  l4: "tcp" | "udp" | "icmp" | "icmpv6",
  what: string,
) {
  const marks = r.tshark[i];
  if (!marks) return t.fail(`${what}: no output frame (verdict ${r.results[i].verdict})`);
  const bad = Object.entries(marks).filter(([, v]) => v.includes("0"));
  t.deepEqual(bad, [], `${what}: tshark marks bad checksums in ${describe(parse(r.out[i]!))}`);
  t.is(marks[l4][0], "1", `${what}: tshark verified the ${l4} checksum`);
  t.deepEqual(checksumProblems(r.out[i]!, { quotedL4: true }), [], `${what}: the codec agrees`);
}

function layer<T = Record<string, unknown>>(p: Packet, name: string, nth = 0): T {
  const found = p.filter((l) => name in l);
  if (!found[nth]) throw new Error(`no ${name} layer #${nth} in ${describe(p)}`);
  return (found[nth] as unknown as Record<string, T>)[name];
}

/** The basic packets both ways, under a prefix. */
function basics(prefix: string): { name: string; packet: Packet; l4: "tcp" | "udp" | "icmp" | "icmpv6" }[] {
  const a = embedIpv4(prefix, V4A);
  const b = embedIpv4(prefix, V4B);
  const v6 = { src: a, dst: b };
  const v4 = { src: V4B, dst: V4A };
  return [
    {
      name: "6to4 TCP SYN",
      packet: [{ eth: {} }, { ipv6: v6 }, { tcp: { sport: 40000, dport: 80, flags: "S", options: "020405b4" } }],
      l4: "tcp",
    },
    {
      name: "6to4 TCP data",
      packet: [
        { eth: {} },
        { ipv6: v6 },
        { tcp: { sport: 40000, dport: 80, flags: "PA" } },
        { payload: { size: 1000 } },
      ],
      l4: "tcp",
    },
    {
      name: "6to4 UDP",
      packet: [{ eth: {} }, { ipv6: v6 }, { udp: { sport: 40000, dport: 53 } }, { payload: { size: 33 } }],
      l4: "udp",
    },
    {
      name: "6to4 ICMPv6 echo",
      packet: [{ eth: {} }, { ipv6: v6 }, { icmpv6: { type: 128, id: 7, seq: 1 } }, { payload: { size: 56 } }],
      l4: "icmp",
    },
    {
      name: "4to6 TCP SYN-ACK",
      packet: [{ eth: {} }, { ipv4: v4 }, { tcp: { sport: 80, dport: 40000, flags: "SA" } }],
      l4: "tcp",
    },
    {
      name: "4to6 UDP",
      packet: [{ eth: {} }, { ipv4: v4 }, { udp: { sport: 53, dport: 40000 } }, { payload: { size: 77 } }],
      l4: "udp",
    },
    {
      name: "4to6 UDP checksum 0",
      packet: [{ eth: {} }, { ipv4: v4 }, { udp: { sport: 53, dport: 40000, chksum: 0 } }, { payload: { size: 1333 } }],
      l4: "udp",
    },
    {
      name: "4to6 ICMP echo reply",
      packet: [{ eth: {} }, { ipv4: v4 }, { icmp: { type: 0, id: 7, seq: 1 } }, { payload: { size: 56 } }],
      l4: "icmpv6",
    },
    {
      name: "4to6 ICMP port unreachable quoting UDP",
      packet: [
        { eth: {} },
        { ipv4: v4 },
        { icmp: { type: 3, code: 3 } },
        { ipv4: { src: V4A, dst: V4B } },
        { udp: { sport: 40000, dport: 53 } },
        { payload: { size: 20 } },
      ],
      l4: "icmpv6",
    },
    {
      name: "6to4 ICMPv6 time exceeded quoting TCP",
      packet: [
        { eth: {} },
        { ipv6: v6 },
        { icmpv6: { type: 3, code: 0 } },
        { ipv6: { src: b, dst: a, hlim: 1 } },
        { tcp: { sport: 80, dport: 40000, flags: "A" } },
        { payload: { size: 40 } },
      ],
      l4: "icmp",
    },
    {
      name: "4to6 ICMP time exceeded quoting an echo request",
      packet: [
        { eth: {} },
        { ipv4: v4 },
        { icmp: { type: 11, code: 0 } },
        { ipv4: { src: V4A, dst: V4B, ttl: 1 } },
        { icmp: { type: 8, id: 9, seq: 3 } },
        { payload: { size: 24 } },
      ],
      l4: "icmpv6",
    },
    {
      name: "6to4 ICMPv6 packet too big quoting a fragmented echo",
      packet: [
        { eth: {} },
        { ipv6: v6 },
        { icmpv6: { type: 2, mtu: 1300 } },
        { ipv6: { src: b, dst: a } },
        { dstopts: {} },
        { frag: { offset: 0, m: true, id: 0x01020304 } },
        { icmpv6: { type: 128, id: 9, seq: 3 } },
        { payload: { size: 64 } },
      ],
      l4: "icmp",
    },
  ];
}

for (const prefix of [DEFAULT, ...NON_NEUTRAL]) {
  rootTest(`checksums right both ways, prefix ${prefix}`, async (t) => {
    const cases = basics(prefix);
    const r = await run(
      cases.map((c) => c.packet),
      { prefix: prefix === DEFAULT ? undefined : prefix },
    );
    cases.forEach((c, i) => {
      t.is(r.results[i].verdict, "ok", `${c.name}: verdict`);
      assertChecksumsGood(t, r, i, c.l4, c.name);
    });
    // addresses: IPv6 in the prefix <-> the IPv4 they embed
    const tcp4 = parse(r.out[0]!);
    t.like(layer(tcp4, "ipv4"), { src: V4A, dst: V4B, proto: 6 });
    const tcp6 = parse(r.out[4]!);
    t.like(layer(tcp6, "ipv6"), { src: embedIpv4(prefix, V4B), dst: embedIpv4(prefix, V4A), nh: 6 });
    t.is(r.stats["6to4.translated.tcp"], 2);
    t.is(r.stats["4to6.translated.udp"], 2);
    t.is(r.stats["4to6.translated.icmp_error"], 2);
    t.is(r.stats["6to4.translated.icmp_error"], 2);
  });
}

rootTest(
  "header fields: TOS <-> traffic class, flow label 0, TTL <-> hop limit copied, DF by size (RFC 7915 5.1)",
  async (t) => {
    const a = embedIpv4(DEFAULT, V4A);
    const b = embedIpv4(DEFAULT, V4B);
    const r = await run([
      [
        { eth: {} },
        { ipv6: { src: a, dst: b, tc: 0xb9, fl: 0x12345, hlim: 17 } },
        { udp: { sport: 1, dport: 2 } },
        { payload: { size: 10 } },
      ],
      [{ eth: {} }, { ipv6: { src: a, dst: b } }, { udp: { sport: 1, dport: 2 } }, { payload: { size: 1300 } }],
      [
        { eth: {} },
        { ipv4: { src: V4B, dst: V4A, tos: 0x2e, ttl: 33, df: true, id: 99 } },
        { udp: { sport: 1, dport: 2 } },
        { payload: { size: 10 } },
      ],
    ]);
    t.like(layer(parse(r.out[0]!), "ipv4"), { tos: 0xb9, ttl: 17, df: false, mf: false, frag: 0 });
    t.like(layer(parse(r.out[1]!), "ipv4"), { df: true, len: 20 + 8 + 1300 });
    t.like(layer(parse(r.out[2]!), "ipv6"), { tc: 0x2e, fl: 0, hlim: 33, plen: 18 });
  },
);

rootTest("outside the prefix, or not IP: passed untouched", async (t) => {
  const r = await run([
    [
      { eth: {} },
      { ipv6: { src: "2001:db8::1", dst: embedIpv4(DEFAULT, V4B) } },
      { udp: {} },
      { payload: { size: 10 } },
    ],
    [
      { eth: {} },
      { ipv6: { src: embedIpv4(DEFAULT, V4A), dst: "2001:db8::2" } },
      { udp: {} },
      { payload: { size: 10 } },
    ],
    [{ eth: { type: 0x0806 } }, { payload: { size: 46 } }],
  ]);
  t.deepEqual(
    r.results.map((x) => x.verdict),
    ["pass", "pass", "pass"],
  );
  t.is(r.stats["6to4.passed.not_prefix"], 2);
  t.is(r.stats["6to4.passed.not_ip"], 1);
});

rootTest("malformed input is shot and counted, never emitted", async (t) => {
  const a = embedIpv4(DEFAULT, V4A);
  const b = embedIpv4(DEFAULT, V4B);
  const longV4 = build([
    { eth: {} },
    { ipv4: { src: V4B, dst: V4A, len: 200 } },
    { udp: {} },
    { payload: { size: 10 } },
  ]);
  const badIhl = build([{ eth: {} }, { ipv4: { src: V4B, dst: V4A, ihl: 4 } }, { udp: {} }, { payload: { size: 10 } }]);
  const badHdrSum = build([
    { eth: {} },
    { ipv4: { src: V4B, dst: V4A, chksum: "bad" } },
    { udp: {} },
    { payload: { size: 10 } },
  ]);
  const longV6 = build([{ eth: {} }, { ipv6: { src: a, dst: b, plen: 500 } }, { udp: {} }, { payload: { size: 10 } }]);
  const cutTcp = build([{ eth: {} }, { ipv6: { src: a, dst: b } }, { payload: { size: 8 } }]);
  cutTcp[20] = 6; // next header TCP, but only 8 bytes follow
  const tiny = Buffer.alloc(20); // IPv4 but shorter than Ethernet + IP: the kernel refuses it
  tiny.writeUInt16BE(0x0800, 12);
  const r = await run([longV4, badIhl, badHdrSum, longV6, cutTcp, tiny]);
  t.deepEqual(
    r.results.map((x) => x.verdict),
    ["shot", "shot", "shot", "shot", "shot", "error"],
  );
  t.true(r.results.slice(0, 5).every((x) => x.out === null));
  t.regex(r.results[5].reason ?? "", /Ethernet/);
  t.like(r.stats, {
    "4to6.dropped.truncated": 1,
    "4to6.dropped.bad_header": 2,
    "6to4.dropped.truncated": 2,
  });
});

rootTest("IPv4 options dropped from the header; source route shot (RFC 7915 4.1)", async (t) => {
  const r = await run([
    [
      { eth: {} },
      { ipv4: { src: V4B, dst: V4A, options: [{ type: 7, data: "04 00 00 00 00" }] } },
      { tcp: { flags: "S" } },
    ],
    [
      { eth: {} },
      { ipv4: { src: V4B, dst: V4A, options: [{ type: 131, data: "04 c0 00 02 05" }] } },
      { tcp: { flags: "S" } },
    ],
  ]);
  t.is(r.results[0].verdict, "ok");
  assertChecksumsGood(t, r, 0, "tcp", "record route");
  t.is(r.results[1].verdict, "shot");
  t.is(r.stats["4to6.dropped.source_route"], 1);
});

rootTest(
  "IPv6 extension headers: skipped; routing with segments left shot; too long a chain shot (RFC 7915 5.1)",
  async (t) => {
    const v6 = { src: embedIpv4(DEFAULT, V4A), dst: embedIpv4(DEFAULT, V4B) };
    const tail: Packet = [{ udp: { sport: 1, dport: 2 } }, { payload: { size: 10 } }];
    const r = await run([
      [
        { eth: {} },
        { ipv6: v6 },
        { hbh: {} },
        { dstopts: {} },
        { routing: { type: 4, segleft: 0, addresses: ["2001:db8::9"] } },
        ...tail,
      ],
      [{ eth: {} }, { ipv6: v6 }, { routing: { type: 4, segleft: 1, addresses: ["2001:db8::9"] } }, ...tail],
      [{ eth: {} }, { ipv6: v6 }, ...Array.from({ length: 7 }, () => ({ dstopts: {} })), ...tail],
    ]);
    t.deepEqual(
      r.results.map((x) => x.verdict),
      ["ok", "shot", "shot"],
    );
    t.like(layer(parse(r.out[0]!), "ipv4"), { proto: 17, len: 20 + 8 + 10 });
    t.like(r.stats, { "6to4.dropped.routing_segleft": 1, "6to4.dropped.ext_chain": 1 });
  },
);

rootTest("UDP checksum 0: computed for a whole datagram, a fragment shot (RFC 7915 4.5)", async (t) => {
  const r = await run(
    [
      [{ eth: {} }, { ipv4: { src: V4B, dst: V4A } }, { udp: { chksum: 0 } }, { payload: { size: 3 } }],
      [
        { eth: {} },
        { ipv4: { src: V4B, dst: V4A, mf: true } },
        { udp: { chksum: 0, len: 500 } },
        { payload: { size: 64 } },
      ],
    ],
    { prefix: "2001:db8:64::/96" },
  );
  assertChecksumsGood(t, r, 0, "udp", "odd-length zero-checksum UDP");
  t.is(r.results[1].verdict, "shot");
  t.is(r.stats["4to6.dropped.udp_zero_csum_fragment"], 1);
});

rootTest("a wrong TCP/UDP checksum stays exactly as wrong", async (t) => {
  const v6 = { src: embedIpv4("2001:db8:64::/96", V4A), dst: embedIpv4("2001:db8:64::/96", V4B) };
  const r = await run(
    [
      [{ eth: {} }, { ipv6: v6 }, { tcp: { flags: "S", chksum: "bad" } }],
      [{ eth: {} }, { ipv4: { src: V4B, dst: V4A } }, { udp: { chksum: "bad" } }, { payload: { size: 9 } }],
    ],
    { prefix: "2001:db8:64::/96" },
  );
  for (const i of [0, 1]) {
    t.is(r.results[i].verdict, "ok");
    const [p] = checksumProblems(r.out[i]!);
    t.truthy(p, "still wrong");
    t.is(p.actual, (p.expected + 1) & 0xffff, `${p.layer}: off by the same one as the input`);
  }
});

rootTest(
  "fragments: Fragment header <-> MF/offset/id, first fragment's checksum fixed (RFC 7915 4.1, 5.1.1)",
  async (t) => {
    const prefix = "2001:db8:64::/96";
    const a = embedIpv4(prefix, V4A);
    const b = embedIpv4(prefix, V4B);
    // A whole TCP segment with its right checksum, then cut in two fragments by hand.
    const whole6 = build([
      { eth: {} },
      { ipv6: { src: a, dst: b } },
      { tcp: { sport: 5, dport: 6, flags: "PA" } },
      { payload: { size: 64 } },
    ]);
    const l4 = whole6.subarray(14 + 40);
    const frag6 = (off: number, m: boolean, bytes: Buffer): Packet => [
      { eth: {} },
      { ipv6: { src: a, dst: b } },
      { frag: { nh: 6, offset: off / 8, m, id: 0xabcd1234 } },
      { payload: { hex: bytes.toString("hex") } },
    ];
    const whole4 = build([
      { eth: {} },
      { ipv4: { src: V4B, dst: V4A, id: 777 } },
      { udp: { sport: 5, dport: 6 } },
      { payload: { size: 64 } },
    ]);
    const l4v4 = whole4.subarray(14 + 20);
    const frag4 = (off: number, mf: boolean, bytes: Buffer): Packet => [
      { eth: {} },
      { ipv4: { src: V4B, dst: V4A, id: 777, mf, frag: off / 8, proto: 17 } },
      { payload: { hex: bytes.toString("hex") } },
    ];
    const r = await run(
      [
        frag6(0, true, l4.subarray(0, 40)),
        frag6(40, false, l4.subarray(40)),
        frag4(0, true, l4v4.subarray(0, 32)),
        frag4(32, false, l4v4.subarray(32)),
      ],
      {
        prefix,
      },
    );
    t.deepEqual(
      r.results.map((x) => x.verdict),
      ["ok", "ok", "ok", "ok"],
    );
    t.like(layer(parse(r.out[0]!), "ipv4"), { id: 0x1234, mf: true, frag: 0, df: false, proto: 6 });
    t.like(layer(parse(r.out[1]!), "ipv4"), { id: 0x1234, mf: false, frag: 5 });
    t.like(layer(parse(r.out[2]!), "frag"), { id: 777, m: true, offset: 0, nh: 17 });
    t.like(layer(parse(r.out[3]!), "frag"), { id: 777, m: false, offset: 4 });
    // Reassembled by hand, each translated datagram verifies.
    const v4 = Buffer.concat([r.out[0]!.subarray(14 + 20), r.out[1]!.subarray(14 + 20)]);
    const re4 = build([{ eth: {} }, { ipv4: { src: V4A, dst: V4B } }, { payload: { hex: v4.toString("hex") } }]);
    re4[14 + 9] = 6;
    re4.writeUInt16BE(0, 14 + 10);
    t.deepEqual(checksumProblems(fixIpv4Checksum(re4)), [], "reassembled 6to4 TCP verifies");
    const v6 = Buffer.concat([r.out[2]!.subarray(14 + 48), r.out[3]!.subarray(14 + 48)]);
    const re6 = build([
      { eth: {} },
      { ipv6: { src: embedIpv4(prefix, V4B), dst: embedIpv4(prefix, V4A) } },
      { payload: { hex: v6.toString("hex") } },
    ]);
    re6[14 + 6] = 17;
    t.deepEqual(checksumProblems(re6), [], "reassembled 4to6 UDP verifies");
  },
);

function fixIpv4Checksum(f: Buffer): Buffer {
  let s = 0;
  for (let i = 14; i < 34; i += 2) s += f.readUInt16BE(i);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  f.writeUInt16BE(~s & 0xffff, 24);
  return f;
}

rootTest("ICMP errors: types, codes, MTU and pointer mapped (RFC 7915 4.2, 5.2)", async (t) => {
  const a = embedIpv4(DEFAULT, V4A);
  const b = embedIpv4(DEFAULT, V4B);
  const q4: Packet = [{ ipv4: { src: V4A, dst: V4B, len: 1500 } }, { tcp: { sport: 1, dport: 2, flags: "A" } }];
  const q6: Packet = [{ ipv6: { src: b, dst: a } }, { udp: { sport: 1, dport: 2 } }, { payload: { size: 8 } }];
  const r = await run([
    [{ eth: {} }, { ipv4: { src: V4B, dst: V4A } }, { icmp: { type: 3, code: 4, mtu: 1380 } }, ...q4],
    [{ eth: {} }, { ipv4: { src: V4B, dst: V4A } }, { icmp: { type: 3, code: 4, mtu: 0 } }, ...q4],
    [{ eth: {} }, { ipv4: { src: V4B, dst: V4A } }, { icmp: { type: 12, code: 0, ptr: 16 } }, ...q4],
    [{ eth: {} }, { ipv4: { src: V4B, dst: V4A } }, { icmp: { type: 3, code: 2 } }, ...q4],
    [{ eth: {} }, { ipv6: { src: a, dst: b } }, { icmpv6: { type: 2, mtu: 1400 } }, ...q6],
    [{ eth: {} }, { ipv6: { src: a, dst: b } }, { icmpv6: { type: 4, code: 0, ptr: 7 } }, ...q6],
    [{ eth: {} }, { ipv6: { src: a, dst: b } }, { icmpv6: { type: 1, code: 1 } }, ...q6],
    [{ eth: {} }, { ipv6: { src: a, dst: b } }, { icmpv6: { type: 135 } }, { payload: { size: 20 } }],
    [{ eth: {} }, { ipv4: { src: V4B, dst: V4A } }, { icmp: { type: 13 } }, { payload: { size: 12 } }],
  ]);
  t.deepEqual(
    r.results.map((x) => x.verdict),
    ["ok", "ok", "ok", "ok", "ok", "ok", "ok", "shot", "shot"],
  );
  const icmp = (i: number, v6: boolean) => layer<Record<string, unknown>>(parse(r.out[i]!), v6 ? "icmpv6" : "icmp");
  t.like(icmp(0, true), { type: 2, code: 0, mtu: 1400 });
  t.like(icmp(1, true), { type: 2, mtu: 1492 + 20 }, "MTU 0: the plateau below the quoted total length 1500");
  t.like(icmp(2, true), { type: 4, code: 0, ptr: 24 });
  t.like(icmp(3, true), { type: 4, code: 1, ptr: 6 });
  t.like(icmp(4, false), { type: 3, code: 4, mtu: 1380 });
  t.like(icmp(5, false), { type: 12, code: 0, ptr: 8 });
  t.like(icmp(6, false), { type: 3, code: 10 });
  for (const i of [0, 1, 2, 3]) assertChecksumsGood(t, r, i, "icmpv6", `4to6 error #${i}`);
  for (const i of [4, 5, 6]) assertChecksumsGood(t, r, i, "icmp", `6to4 error #${i}`);
  t.like(layer(parse(r.out[4]!), "ipv4", 1), { src: V4B, dst: V4A, proto: 17 });
  t.is(r.stats["6to4.dropped.icmp_type"] + r.stats["4to6.dropped.icmp_type"], 2);
});

rootTest(
  "RFC 4884 length with no extension after the quote: 0 out, every byte quoted (docs/translator.md)",
  async (t) => {
    // A length attribute that covers the whole payload leaves no room for an extension structure (RFC 4884 5.1 and
    // 5.5): natlab reads it as "no extension", sends length 0 and quotes every byte; the cases in
    // fixtures/pcaps/cases/icmp-extensions.yaml pin the messages that do carry an extension.
    const a = embedIpv4(DEFAULT, V4A);
    const b = embedIpv4(DEFAULT, V4B);
    const r = await run([
      [
        { eth: {} },
        { ipv6: { src: a, dst: b } },
        { icmpv6: { type: 1, code: 4, length: 19 } },
        { ipv6: { src: b, dst: a } },
        { udp: {} },
        { payload: { size: 104 } },
      ],
      [
        { eth: {} },
        { ipv4: { src: V4B, dst: V4A } },
        { icmp: { type: 11, length: 33 } },
        { ipv4: { src: V4A, dst: V4B } },
        { udp: {} },
        { payload: { size: 104 } },
      ],
      [
        { eth: {} },
        { ipv4: { src: V4B, dst: V4A } },
        { icmp: { type: 11, length: 32 } },
        { ipv4: { src: V4A, dst: V4B } },
        { udp: {} },
        { payload: { size: 104 } },
      ],
      [
        { eth: {} },
        { ipv6: { src: a, dst: b } },
        { icmpv6: { type: 3, length: 17 } },
        { ipv6: { src: b, dst: a } },
        { udp: {} },
        { payload: { size: 88 } },
      ],
    ]);
    t.like(layer(parse(r.out[0]!), "icmp"), { type: 3, code: 3, length: 0 });
    t.like(layer(parse(r.out[3]!), "icmp"), { type: 11, length: 0 });
    t.like(layer(parse(r.out[1]!), "icmpv6"), { type: 3, length: 0 });
    // 32 words = 128 bytes, then 4 bytes: room for an extension header, so those 4 bytes are the extension,
    // carried after the quote padded from 148 to 152 bytes (19 words of 8, RFC 4884 4.4)
    t.like(layer(parse(r.out[2]!), "icmpv6"), { type: 3, length: 19 });
    for (const [i, l4] of [
      [0, "icmp"],
      [1, "icmpv6"],
      [3, "icmp"],
    ] as const)
      assertChecksumsGood(t, r, i, l4, `RFC 4884 #${i}`);
    // #2's quote ends before its UDP datagram does, so only the outer ICMPv6 checksum can be checked
    t.deepEqual(checksumProblems(r.out[2]!, { quotedL4: false }), [], "RFC 4884 #2: the ICMPv6 checksum");
  },
);

rootTest("multicast: Ethernet destination follows the group both ways", async (t) => {
  const r = await run([
    [{ eth: {} }, { ipv4: { src: V4B, dst: "224.1.2.3" } }, { udp: {} }, { payload: { size: 10 } }],
    [
      { eth: {} },
      { ipv6: { src: embedIpv4(DEFAULT, V4A), dst: embedIpv4(DEFAULT, "239.129.2.3") } },
      { udp: {} },
      { payload: { size: 10 } },
    ],
  ]);
  t.like(layer(parse(r.out[0]!), "eth"), { dst: "33:33:e0:01:02:03" });
  t.like(layer(parse(r.out[0]!), "ipv6"), { dst: embedIpv4(DEFAULT, "224.1.2.3") });
  t.like(layer(parse(r.out[1]!), "eth"), { dst: "01:00:5e:01:02:03" });
});

// Proof the checks above can fail: without the L4 checksum fixes they must.
serial("nat64-nocsum.o: non-neutral TCP/UDP and every ICMP come out wrong", async (t) => {
  await buildBpf("nat64-nocsum.o");
  const bad = (r: Run, i: number) => Object.values(r.tshark[i] ?? {}).some((v) => v.includes("0"));
  for (const prefix of [DEFAULT, "2001:db8:64::/96"]) {
    const cases = basics(prefix);
    const r = await run(
      cases.map((c) => c.packet),
      { prefix: prefix === DEFAULT ? undefined : prefix, object: NAT64_NOCSUM_OBJECT },
    );
    cases.forEach((c, i) => {
      const mustFail = c.l4.startsWith("icmp") || prefix !== DEFAULT;
      if (mustFail)
        t.true(
          bad(r, i) || checksumProblems(r.out[i]!, { quotedL4: true }).length > 0,
          `${prefix} ${c.name} must fail without the fix`,
        );
    });
  }
});

rootTest("an extension header after the Fragment Header is shot and counted (RFC 7915 5.1.1)", async (t) => {
  const v6 = { src: embedIpv4(DEFAULT, V4A), dst: embedIpv4(DEFAULT, V4B) };
  const tail: Packet = [{ udp: { sport: 1, dport: 2 } }, { payload: { size: 10 } }];
  const r = await run([
    [{ eth: {} }, { ipv6: v6 }, { frag: { offset: 0, m: true, id: 7 } }, { dstopts: {} }, ...tail],
    [
      { eth: {} },
      { ipv6: v6 },
      { frag: { offset: 0, m: true, id: 8 } },
      { frag: { offset: 0, m: true, id: 8 } },
      ...tail,
    ],
    [{ eth: {} }, { ipv6: v6 }, { hbh: {} }, { frag: { offset: 0, m: true, id: 9 } }, ...tail],
  ]);
  t.deepEqual(
    r.results.map((x) => x.verdict),
    ["shot", "shot", "ok"],
  );
  t.is(r.stats["6to4.dropped.ext_after_fragment"], 2);
});

rootTest("IGMP is shot and counted, not translated (RFC 7915 4.2)", async (t) => {
  const r = await run([
    [
      { eth: {} },
      { ipv4: { src: V4B, dst: "224.0.0.22", ttl: 1, proto: 2 } },
      { payload: { hex: "2200f9f600000000" } },
    ],
  ]);
  t.is(r.results[0].verdict, "shot");
  t.is(r.stats["4to6.dropped.igmp"], 1);
});

rootTest(
  "6to4 UDP with checksum 0 (invalid in IPv6, RFC 8200 8.1) is shot and counted (docs/translator.md)",
  async (t) => {
    for (const prefix of [DEFAULT, ...NON_NEUTRAL]) {
      const v6 = { src: embedIpv4(prefix, V4A), dst: embedIpv4(prefix, V4B) };
      const r = await run(
        [[{ eth: {} }, { ipv6: v6 }, { udp: { sport: 1, dport: 2, chksum: 0 } }, { payload: { size: 11 } }]],
        { prefix },
      );
      t.is(r.results[0].verdict, "shot", prefix);
      t.is(r.stats["6to4.dropped.bad_checksum"], 1, prefix);
    }
  },
);
