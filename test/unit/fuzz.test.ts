/**
 * natlab fuzz without a kernel: the random source is reproducible, batches
 * are the same frames for the same seed, mutations that repair leave right
 * checksums, and each invariant catches what it is about (a translation
 * made by hand with the codec stands in for the translator's output, and a
 * translator that misbehaves on purpose is plugged in through the Translate
 * type).
 */
import test from "ava";
import { counterProblems } from "../../harness/fuzz/counters.ts";
import { batchFrames, goldenSeeds } from "../../harness/fuzz/frames.ts";
import { checkFrame } from "../../harness/fuzz/invariants.ts";
import { MUTATIONS, mutate, seedOf } from "../../harness/fuzz/mutate.ts";
import { repairChecksums } from "../../harness/fuzz/repair.ts";
import { Rng } from "../../harness/fuzz/rng.ts";
import type { FrameOutcome } from "../../harness/fuzz/translator.ts";
import { build, checksumVerdicts, type Packet } from "../../harness/packet/index.ts";
import { embedIpv4, parsePrefix } from "../../harness/packet/prefix.ts";

const PREFIX = parsePrefix("64:ff9b:1:fffe::/96");
const V4 = ["198.51.100.10", "192.0.2.33"];
const v6 = (a: string) => embedIpv4(PREFIX, a);

const udp4: Packet = [
  { eth: {} },
  { ipv4: { src: V4[0], dst: V4[1], ttl: 64 } },
  { udp: { sport: 1000, dport: 53 } },
  { payload: { size: 20 } },
];
const udp6: Packet = [
  { eth: {} },
  { ipv6: { src: v6(V4[0]), dst: v6(V4[1]), hlim: 64 } },
  { udp: { sport: 1000, dport: 53 } },
  { payload: { size: 20 } },
];
const ok = (out: Buffer): FrameOutcome => ({ verdict: "ok", outputs: [out] });
const kinds = (input: Buffer, o: FrameOutcome) => checkFrame(input, o, PREFIX).violations.map((v) => v.kind);

test("the random source is the same for the same seed and stream, and differs between streams", (t) => {
  const seq = (seed: number, stream: number) =>
    Array.from(
      { length: 5 },
      (
        (r) => () =>
          r.u32()
      )(new Rng(seed, stream)),
    );
  t.deepEqual(seq(7, 0), seq(7, 0));
  t.notDeepEqual(seq(7, 0), seq(7, 1));
  t.notDeepEqual(seq(7, 0), seq(8, 0));
});

test("a batch is the same frames for the same seed", (t) => {
  const golden = goldenSeeds().get(PREFIX.text) ?? [];
  t.true(golden.length > 100, "golden inputs of the default prefix");
  const a = batchFrames(new Rng(3, 2), 300, PREFIX, golden);
  const b = batchFrames(new Rng(3, 2), 300, PREFIX, golden);
  t.is(a.length, 300);
  t.true(a.every((f, i) => f.frame.equals(b[i].frame)));
  t.true(a.some((f) => f.mutations.length > 0) && a.some((f) => f.origin === "generated"));
});

test("every mutation applies to some golden input", (t) => {
  const golden = goldenSeeds().get(PREFIX.text) ?? [];
  const rng = new Rng(11);
  for (const [name, m] of Object.entries(MUTATIONS)) {
    let applied = 0;
    for (let k = 0; k < 200 && applied === 0; k++) if (m(rng, rng.pick(golden), PREFIX)) applied++;
    t.true(applied > 0, name);
  }
  const seed = seedOf(build(udp6), "test");
  t.true(mutate(rng, seed, PREFIX).applied.length >= 1);
});

test("repair makes every checksum right again", (t) => {
  const frame = build(udp4);
  frame[14 + 20 + 8] ^= 0xff; // a payload byte: the UDP checksum is now wrong
  t.false(checksumVerdicts(frame).every((v) => v.ok));
  repairChecksums(frame);
  t.true(checksumVerdicts(frame).every((v) => v.ok));
});

test("a right translation violates nothing", (t) => {
  t.deepEqual(kinds(build(udp4), ok(build(udp6))), []);
  t.deepEqual(kinds(build(udp6), ok(build(udp4))), []);
});

test("untaken frames: unchanged is fine, changed is a violation; a drop is fine", (t) => {
  const f = build(udp4);
  t.deepEqual(kinds(f, { verdict: "pass", outputs: [f] }), []);
  const g = Buffer.from(f);
  g[g.length - 1] ^= 1;
  t.deepEqual(kinds(f, { verdict: "pass", outputs: [g] }), ["untaken frame modified"]);
  t.deepEqual(kinds(f, { verdict: "shot", outputs: [] }), []);
  t.deepEqual(kinds(f, ok(g)), ["modified, not translated"]);
  t.deepEqual(kinds(f, { verdict: "ok", outputs: [build(udp6), build(udp6)] }), ["several outputs"]);
});

test("checksums: right must stay right, wrong must stay wrong", (t) => {
  const broken = build([...udp6.slice(0, 2), { udp: { sport: 1000, dport: 53, chksum: 0x1234 } }, udp6[3]] as Packet);
  t.deepEqual(kinds(build(udp4), ok(broken)), ["checksum broken: udp"]);
  const badIn = build([...udp4.slice(0, 2), { udp: { sport: 1000, dport: 53, chksum: 0x1234 } }, udp4[3]] as Packet);
  t.deepEqual(kinds(badIn, ok(build(udp6))), ["checksum repaired: udp"]);
  // An IPv6 UDP checksum of zero is wrong; translated as IPv4's "no checksum" it would be accepted.
  const zero6 = build([...udp6.slice(0, 2), { udp: { sport: 1000, dport: 53, chksum: 0 } }, udp6[3]] as Packet);
  const zero4 = build([...udp4.slice(0, 2), { udp: { sport: 1000, dport: 53, chksum: 0 } }, udp4[3]] as Packet);
  t.deepEqual(kinds(zero6, ok(zero4)), ["checksum repaired: udp"]);
});

test("addresses map by RFC 6052; a protocol of one family is not carried across", (t) => {
  const elsewhere = build([
    udp6[0],
    { ipv6: { src: v6("203.0.113.1"), dst: v6(V4[1]), hlim: 64 } },
    ...udp6.slice(2),
  ] as Packet);
  t.deepEqual(kinds(build(udp4), ok(elsewhere)), ["address not mapped by RFC 6052: outer src"]);
  const in58 = build([udp4[0], { ipv4: { src: V4[0], dst: V4[1], proto: 58 } }, { payload: { size: 8 } }] as Packet);
  const out58 = build([
    udp6[0],
    { ipv6: { src: v6(V4[0]), dst: v6(V4[1]), nh: 58 } },
    { payload: { size: 8 } },
  ] as Packet);
  t.deepEqual(kinds(in58, ok(out58)), ["protocol of one family carried across: IPv4 58 became IPv6 58"]);
});

test("a quoted echo keeps the other family's type: caught even when the quote stops before the checksum", (t) => {
  const input = build([
    { eth: {} },
    { ipv6: { src: v6("203.0.113.5"), dst: v6(V4[0]) } },
    { icmpv6: { type: 3, code: 0, quotelen: 42 } },
    { ipv6: { src: v6(V4[0]), dst: v6(V4[1]), hlim: 1 } },
    { icmpv6: { type: 128, code: 0, id: 1, seq: 1 } },
  ] as Packet);
  const output = build([
    { eth: {} },
    { ipv4: { src: "203.0.113.5", dst: V4[0] } },
    { icmp: { type: 11, code: 0, quotelen: 22 } },
    { ipv4: { src: V4[0], dst: V4[1], ttl: 1, proto: 1 } },
    { payload: { hex: "8000" } },
  ] as Packet);
  t.true(kinds(input, ok(output)).includes("quoted ICMP message not an echo of the family"));
});

test("counters: translated + passed + dropped must be the frames run, kind by kind", (t) => {
  const outcomes: FrameOutcome[] = [
    { verdict: "ok", outputs: [] },
    { verdict: "shot", outputs: [] },
    { verdict: "error", outputs: [] },
  ];
  t.deepEqual(counterProblems(outcomes, { translated: 1, passed: 0, dropped: 1, byName: {} }), []);
  t.true(counterProblems(outcomes, { translated: 1, passed: 0, dropped: 0, byName: {} }).length > 0);
  t.true(
    counterProblems(outcomes, { translated: 0, passed: 1, dropped: 1, byName: {} }).some((p) => p.includes("passed")),
  );
});
