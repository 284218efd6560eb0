/**
 * Differential fuzzing's judgement (harness/fuzz/differential.ts, explain.ts),
 * without a translator: what agrees under compare's rules, what differs and
 * with which class, which frames Jool is never given, and that every
 * explanation the fuzzer may use is decided in compare-decisions.yaml.
 */
import test from "ava";
import { compareFrame, normaliseReference, referenceNotApplicable } from "../../harness/fuzz/differential.ts";
import { decidedExplanations, EXPLANATIONS, referenceHazard } from "../../harness/fuzz/explain.ts";
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
