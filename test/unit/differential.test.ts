/**
 * Differential fuzzing's judgement (harness/fuzz/differential.ts, explain/),
 * without a translator: what agrees under compare's rules, what differs and
 * with which class, which frames Jool is never given, and that every
 * explanation the fuzzer may use is decided in compare-decisions.yaml.
 */
import test from "ava";
import {
  compareFrame,
  linkNotApplicable,
  normaliseReference,
  referenceNotApplicable,
} from "../../harness/fuzz/differential.ts";
import { decidedExplanations, EXPLANATIONS, referenceHazard } from "../../harness/fuzz/explain/index.ts";
import type { FrameOutcome } from "../../harness/fuzz/translator.ts";
import { build, checksumProblems, type Packet } from "../../harness/packet/index.ts";
import type { TranslatorOutput } from "../../harness/translators/types.ts";

const P = "64:ff9b:1:fffe::";
const in6 = build([
  { eth: {} },
  { ipv6: { src: `${P}c000:221`, dst: `${P}c633:640a`, hlim: 64 } },
  { udp: { sport: 4000, dport: 53 } },
  { payload: { text: "hello" } },
] as Packet);
const out4 = (ttl: number, id: number, tos = 0) =>
  build([
    { eth: { src: "02:00:00:00:00:01", dst: "02:00:00:00:00:02" } },
    { ipv4: { src: "192.0.2.33", dst: "198.51.100.10", ttl, id, tos, df: false } },
    { udp: { sport: 4000, dport: 53 } },
    { payload: { text: "hello" } },
  ] as Packet);
const ours = (f: Buffer): FrameOutcome => ({ verdict: "ok", outputs: [f] });
const theirs = (f: Buffer[]): TranslatorOutput => ({ verdict: f.length ? "ok" : "shot", frames: f, back: [] });

test("the reference's hop, IPv4 ID and Ethernet addresses are undone; the checksums stay right", (t) => {
  const a = out4(64, 0x1111);
  const b = build([
    { eth: {} },
    { ipv4: { src: "192.0.2.33", dst: "198.51.100.10", ttl: 63, id: 0x2222, df: false } },
    { udp: { sport: 4000, dport: 53 } },
    { payload: { text: "hello" } },
  ] as Packet);
  const n = normaliseReference(b, a, in6, 1).frame;
  t.deepEqual(n, a);
  t.deepEqual(checksumProblems(n), []);
  t.is(compareFrame(in6, ours(a), theirs([b]), "jool", 1).status, "agree");
});

test("a field that differs is a class with the field named; a different verdict names both", (t) => {
  const c = compareFrame(in6, ours(out4(64, 1)), theirs([out4(63, 1, 0x18)]), "jool", 1);
  t.is(c.status, "differ");
  t.is(c.kind, "6to4: ipv4.tos");
  const d = compareFrame(in6, ours(out4(64, 1)), theirs([]), "jool", 1);
  t.is(d.kind, "6to4: natlab translates, jool drops it");
  const e = compareFrame(in6, { verdict: "shot", outputs: [] }, theirs([]), "jool", 1);
  t.is(e.status, "agree", "neither translates: agree");
  const f = compareFrame(in6, ours(out4(64, 1)), theirs([out4(63, 1), out4(63, 1)]), "jool", 1);
  t.regex(f.kind, /two frames/);
});

test("frames a router never hands to a translator are n/a with the reason", (t) => {
  t.regex(referenceNotApplicable(Buffer.alloc(60), 1) ?? "", /not IP/);
  const hlim1 = Buffer.from(in6);
  hlim1[14 + 7] = 1;
  t.regex(referenceNotApplicable(hlim1, 1) ?? "", /hop limit 1/);
  t.is(referenceNotApplicable(in6, 1), undefined);
});

test("an IPv4 option of length 0 is not given to Jool (its option walk never ends); one of length 2 is", (t) => {
  const withOption = (bytes: number[]) => {
    const f = build([
      { eth: {} },
      { ipv4: { src: "198.51.100.10", dst: "192.0.2.33", ttl: 64 } },
      { udp: { sport: 53, dport: 4000 } },
    ] as Packet);
    // IHL 6: four option bytes after the 20-byte header.
    const g = Buffer.concat([f.subarray(0, 34), Buffer.from(bytes), f.subarray(34)]);
    g[14] = 0x46;
    return g;
  };
  t.regex(referenceHazard("jool", withOption([0x07, 0x00, 0x00, 0x00])) ?? "", /length 0/);
  t.is(referenceHazard("jool", withOption([0x01, 0x07, 0x02, 0x00])), undefined);
  t.is(referenceHazard("jool", withOption([0x00, 0x07, 0x00, 0x00])), undefined, "End of options first");
  t.is(referenceHazard("tayga", withOption([0x07, 0x00, 0x00, 0x00])), undefined);
});

test("an ICMP error three ICMP headers deep is not given to Jool (it panicked the kernel in 4to6); two deep is", (t) => {
  // The two frames that crashed Jool's guest in `natlab fuzz --reference jool --seed 21` (frames 0/1606, 0/7459).
  const crashed = [
    "000000000000000000000000080045000070000000004001772698f178ae24dacced0301fcfe00000000450000540000000040017c82cb007105c00002210301fcfe0000000045000038000000003f017d9cc0000221cb0071070303fb3f000000004500001c000040003c1140a8cb007107c000022100359c400008653f",
    "00000000000000000000000008004500007c0000000040011ce1bdd482b41ed4fe430b00f4ff0000000045000060000000004001f9636cd8fb929581834d0b03f4fc00000000450000440000000040017c92cb007105c00002210c00de840200000045000028424240003f110d24c0000221c633640a9c40829a0014d667000102030405060708090a0b",
  ].map((h) => Buffer.from(h, "hex"));
  for (const f of crashed) t.regex(referenceHazard("jool", f) ?? "", /quotes ICMP again/);
  // Two deep: the outer error's quote is the error of the first frame (its own quote is UDP).
  const twoDeep = Buffer.concat([crashed[0].subarray(0, 14 + 20 + 8), crashed[0].subarray(14 + 20 + 8 + 20 + 8)]);
  twoDeep.writeUInt16BE(twoDeep.length - 14, 16);
  t.is(referenceHazard("jool", twoDeep), undefined);
  t.is(referenceHazard("tayga", crashed[0]), undefined);
});

test("every explanation the fuzzer uses is decided in compare-decisions.yaml", (t) => {
  const decided = decidedExplanations("jool");
  for (const e of EXPLANATIONS) t.true(decided.has(e.id), `${e.id} has a decision (fuzz: [${e.id}])`);
});

test("the quoted IPv4 Identification is the translator's choice too: replaced, with the quoted and the ICMP checksums", (t) => {
  const input = build([
    { eth: {} },
    { ipv6: { src: `${P}cb00:7105`, dst: `${P}c000:221`, hlim: 64 } },
    { icmpv6: { type: 1, code: 4 } },
    { ipv6: { src: `${P}c000:221`, dst: `${P}c633:640a`, hlim: 63 } },
    { udp: { sport: 40000, dport: 53 } },
  ] as Packet);
  const err = (id: number, ttl: number) =>
    build([
      { eth: {} },
      { ipv4: { src: "203.0.113.5", dst: "192.0.2.33", ttl, id: 7, df: false } },
      { icmp: { type: 3, code: 3 } },
      { ipv4: { src: "192.0.2.33", dst: "198.51.100.10", ttl: 63, id, df: false } },
      { udp: { sport: 40000, dport: 53 } },
    ] as Packet);
  const ours = err(0x1111, 64);
  const n = normaliseReference(err(0x2222, 63), ours, input, 1).frame;
  t.deepEqual(checksumProblems(n, { quotedL4: true }), [], "every checksum still right");
  t.deepEqual(n, ours);
});

test("a frame of more IP bytes than the reference's link MTU is n/a; one of exactly the MTU is not", (t) => {
  const frame = (ipBytes: number) => {
    const f = Buffer.alloc(14 + ipBytes);
    f.writeUInt16BE(0x86dd, 12);
    return f;
  };
  t.regex(linkNotApplicable(frame(1501)) ?? "", /link MTU \(1500/);
  t.is(linkNotApplicable(frame(1500)), undefined);
});

test("an ICMPv6 error with an RFC 4884 length short of its quote is kept from Jool behind a Fragment Header too", (t) => {
  // The frame that crashed Jool's guest in `natlab fuzz --reference jool --seed 4` (frame 9/8291): an
  // atomic Fragment Header, then Destination Unreachable with length 2 (16 bytes) before a 53-byte quote.
  const crashed = Buffer.from(
    "00000000000000000000000086dd6000000000452c4020010db80064000000000000cb0071052001" +
      "0db80064000000000000c633640a3a0000001234abcd0104c8d70200000060000000000d113f2001" +
      "0db80064000000000000c633640a20010db80064000000000000c00002219c400035000dcadc7175" +
      "657279",
    "hex",
  );
  t.regex(referenceHazard("jool", crashed) ?? "", /RFC 4884 length and an extension/);
  const noLength = Buffer.from(crashed);
  noLength[14 + 40 + 8 + 4] = 0;
  t.is(referenceHazard("jool", noLength), undefined, "no length attribute");
  const later = Buffer.from(crashed);
  later.writeUInt16BE(0x0008, 14 + 40 + 2); // offset 1: a later fragment carries no ICMPv6 header
  t.is(referenceHazard("jool", later), undefined, "a later fragment");
});
