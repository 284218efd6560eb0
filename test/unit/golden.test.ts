/**
 * The golden cases without a kernel: every case file loads, every expected
 * output has right checksums (or, for badChecksum: preserved, exactly as
 * wrong as the input), the committed pcaps match the YAML byte for byte, and
 * the comparer's allowances (ignore, the two zeros) work.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { type Case, FIXTURES_DIR, loadCases, slugOf } from "../../harness/golden/cases.ts";
import { groupCases, judge, maskedExpectation, readIfExists, runnerSection } from "../../harness/golden/check.ts";
import { caseFrames, checksumOffset, renderFixtures, staleFixtures } from "../../harness/golden/generate.ts";
import { build, parse } from "../../harness/packet/index.ts";

const cases = loadCases();

test("every case file loads, and each behaviour file has cases", (t) => {
  const files = new Set(cases.map((c) => c.file));
  for (const f of [
    "addresses",
    "ip-header",
    "ext-headers",
    "fragments",
    "tcp-udp",
    "icmp-echo",
    "icmp-errors",
    "pmtu",
    "multicast",
    "other-protocols",
    "malformed",
  ]) {
    t.true(files.has(f), `fixtures/pcaps/cases/${f}.yaml has cases`);
  }
  t.true(cases.length > 150, `${cases.length} cases`);
});

test("every case names an RFC section and says why", (t) => {
  for (const c of cases) {
    t.regex(c.rfc, /RFC \d+/, `${c.file}: ${c.name}`);
    t.true(c.why.length > 10, `${c.file}: ${c.name}`);
  }
});

test("expected outputs have right checksums, or are exactly as wrong as the input (renderFixtures checks)", (t) => {
  t.notThrows(() => renderFixtures(cases));
  t.true(cases.some((c) => c.badChecksum === "preserved"));
});

test("the committed pcaps are up to date with the YAML", (t) => {
  const stale = staleFixtures(cases, FIXTURES_DIR, readIfExists);
  t.deepEqual(stale, [], "run `natlab golden build` and commit fixtures/pcaps");
  const index = JSON.parse(readFileSync(join(FIXTURES_DIR, "index.json"), "utf8")) as { cases: { name: string }[] };
  t.is(index.cases.length, cases.length);
});

test("a preserved wrong checksum that is not as wrong as the input is refused", (t) => {
  const c = cases.find((x) => x.badChecksum === "preserved" && x.file === "tcp-udp") as Case;
  const out = structuredClone(c.out ?? []);
  const udpOrTcp = out.find((l) => "tcp" in l || "udp" in l) as {
    tcp?: { chksum?: number };
    udp?: { chksum?: number };
  };
  const l4 = udpOrTcp.tcp ?? udpOrTcp.udp;
  if (l4) l4.chksum = ((l4.chksum as number) + 2) & 0xffff;
  t.throws(() => renderFixtures([{ ...c, out }]), { message: /as wrong as the input/ });
});

test("checksum offsets treat the two zeros as one", (t) => {
  t.is(checksumOffset({ expected: 0x1234, actual: 0x1234 }), 0);
  t.is(checksumOffset({ expected: 0x0000, actual: 0xffff }), 0);
  t.is(checksumOffset({ expected: 0x1234, actual: 0x1235 }), checksumOffset({ expected: 0x7000, actual: 0x7001 }));
});

test("slugs are file-name safe", (t) => {
  t.is(slugOf("Prefix /32 4to6: embeds both addresses"), "prefix-32-4to6-embeds-both-addresses");
});

test("judge: verdicts and an ignored IPv4 ID", (t) => {
  const c = cases.find((x) => x.file === "addresses" && x.name === "default prefix 6to4 udp") as Case;
  const { input, output } = caseFrames(c);
  const expected = output as Buffer;
  // The translator chose ID 0x7777: the rebuilt expectation follows it (and its header checksum).
  const out = structuredClone(c.out ?? []);
  (out[1] as { ipv4: { id?: number } }).ipv4.id = 0x7777;
  const actual = build(out);
  t.false(expected.equals(actual));
  t.true(maskedExpectation(c, expected, actual).equals(actual));
  const ok = judge(c, input, { index: 0, section: "6to4", retval: 0, verdict: "ok", out: 0 }, actual, expected);
  t.true(ok.ok, ok.failure);
  const shot = judge(
    c,
    input,
    { index: 0, section: "6to4", retval: 2, verdict: "shot", out: null },
    undefined,
    expected,
  );
  t.false(shot.ok);
  t.regex(shot.failure, /dropped/);
});

test("judge: a wrong field fails with a field-level diff naming the case and RFC", (t) => {
  const c = cases.find((x) => x.file === "ip-header" && x.name === "hop limit 1 is copied to ttl 1") as Case;
  const { input, output } = caseFrames(c);
  const out = structuredClone(c.out ?? []);
  (out[1] as { ipv4: { ttl?: number } }).ipv4.ttl = 0;
  const r = judge(
    c,
    input,
    { index: 0, section: "6to4", retval: 0, verdict: "ok", out: 0 },
    build(out),
    output as Buffer,
  );
  t.false(r.ok);
  t.regex(r.failure, /ipv4\.ttl/);
  t.regex(r.failure, /RFC 7915 §5\.1/);
  t.regex(r.failure, /hop limit 1 is copied to ttl 1/);
});

test("judge: 0x0000 and 0xffff are the same TCP checksum, never the same UDP one", (t) => {
  // Find a TCP segment whose checksum computes to 0x0000, then write it as 0xffff.
  const ipv4 = { src: "192.0.2.33", dst: "198.51.100.10", df: false };
  let seq = 0;
  while (parse(build([{ eth: {} }, { ipv4 }, { tcp: { seq } }])).some((l) => "tcp" in l && l.tcp.chksum !== 0)) seq++;
  const out = [{ eth: {} }, { ipv4 }, { tcp: { seq } }];
  const c = {
    file: "unit",
    slug: "zero",
    name: "zero",
    rfc: "RFC 1071",
    why: "two zeros",
    in: out,
    out,
    verdict: "ok",
    prefix: "64:ff9b:1:fffe::/96",
    section: "6to4",
    line: 1,
  } as Case;
  const expected = build(out);
  const other = Buffer.from(expected);
  other.writeUInt16BE(0xffff, 14 + 20 + 16);
  const r = judge(c, expected, { index: 0, section: "6to4", retval: 0, verdict: "ok", out: 0 }, other, expected);
  t.true(r.ok, r.failure);
  t.regex(r.note ?? "", /other zero/);
  const wrong = Buffer.from(expected);
  wrong.writeUInt16BE(0x0001, 14 + 20 + 16);
  t.false(judge(c, expected, { index: 0, section: "6to4", retval: 0, verdict: "ok", out: 0 }, wrong, expected).ok);
});

test("golden cases share a runner per prefix; only a case forcing the other section gets a group of its own", (t) => {
  const inputOf = (c: Case) => caseFrames(c).input;
  const groups = groupCases(cases, inputOf);
  const prefixes = new Set(cases.map((c) => c.prefix));
  const forced = cases.filter((c) => c.section !== runnerSection(inputOf(c)));
  t.true(forced.length > 0, "some case forces a section (else this test proves nothing)");
  t.is(groups.length, prefixes.size + new Set(forced.map((c) => `${c.prefix} ${c.section}`)).size);
  t.is(groups.flatMap((g) => g.cases).length, cases.length, "every case in exactly one group");
  for (const g of groups)
    for (const c of g.cases) {
      t.is(c.prefix, g.prefix);
      // What the runner will run the frame through: the forced section, else by EtherType.
      t.is(g.section ?? runnerSection(inputOf(c)), c.section, `${c.file}: ${c.name}`);
    }
});
