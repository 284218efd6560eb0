/** RFC 6052 embedding (harness/packet/prefix.ts) against the RFC's own examples, and the config-map bytes. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { STAT_ITEMS, STAT_NAMES, statsFromDump } from "../../harness/bpf/stats.ts";
import { configValue, embedIpv4, extractIpv4, ipv6Bytes, ipv6Text, parsePrefix } from "../../harness/packet/prefix.ts";
import { ROOT } from "../../harness/root.ts";

/** RFC 6052 section 2.4, Table 1: 192.0.2.33 under each prefix length. */
const RFC6052_TABLE: [prefix: string, embedded: string][] = [
  ["2001:db8::/32", "2001:db8:c000:221::"],
  ["2001:db8:100::/40", "2001:db8:1c0:2:21::"],
  ["2001:db8:122::/48", "2001:db8:122:c000:2:2100::"],
  ["2001:db8:122:300::/56", "2001:db8:122:3c0:0:221::"],
  ["2001:db8:122:344::/64", "2001:db8:122:344:c0:2:2100:0"],
  ["2001:db8:122:344::/96", "2001:db8:122:344::192.0.2.33"],
  ["64:ff9b::/96", "64:ff9b::192.0.2.33"], // the Well-Known Prefix (section 2.1)
];

for (const [prefix, embedded] of RFC6052_TABLE) {
  test(`RFC 6052 2.4: 192.0.2.33 in ${prefix} is ${embedded}`, (t) => {
    t.is(embedIpv4(prefix, "192.0.2.33"), ipv6Text(ipv6Bytes(embedded)));
    t.is(extractIpv4(prefix, embedded), "192.0.2.33");
  });
}

test("the write-up's prefix: 192.168.2.1 is 64:ff9b:1:fffe::c0a8:201", (t) => {
  t.is(embedIpv4("64:ff9b:1:fffe::/96", "192.168.2.1"), "64:ff9b:1:fffe::c0a8:201");
  t.is(extractIpv4("64:ff9b:1:fffe::/96", "64:ff9b:1:fffe::c0a8:201"), "192.168.2.1");
});

test("extract: outside the prefix, or a non-zero u-octet, is not embedded", (t) => {
  t.is(extractIpv4("64:ff9b:1:fffe::/96", "64:ff9b:1:ffff::c0a8:201"), undefined);
  t.is(extractIpv4("2001:db8::/32", "2001:db9:c000:221::"), undefined);
  // bits 64-71 must be zero (RFC 6052 2.2)
  t.is(extractIpv4("2001:db8:122:344::/64", "2001:db8:122:344:1c0:2:2100:0"), undefined);
  t.is(extractIpv4("2001:db8::/32", "2001:db8:c000:221:100::"), undefined);
});

test("parsePrefix rejects what RFC 6052 does not allow, saying why", (t) => {
  t.throws(() => parsePrefix("2001:db8::/44"), { message: /length 44 is not one of 32, 40, 48, 56, 64, 96/ });
  t.throws(() => parsePrefix("2001:db8::1/96"), { message: /beyond \/96 must be zero/ });
  t.throws(() => parsePrefix("2001:db8::"), { message: /ADDRESS\/LENGTH/ });
  t.throws(() => parsePrefix("2001:db8:0:0:100::/64"), { message: /u-octet|beyond/ });
  t.is(parsePrefix("64:FF9B:1:FFFE:0:0:0:0/96").text, "64:ff9b:1:fffe::/96");
});

test("configValue: 16 prefix bytes, the length, 3 zero bytes (struct nat64_config)", (t) => {
  const v = configValue("2001:db8:64::/96");
  t.is(v.length, 20);
  t.deepEqual([...v.subarray(0, 6)], [0x20, 0x01, 0x0d, 0xb8, 0x00, 0x64]);
  t.is(v[16], 96);
  t.deepEqual([...v.subarray(17)], [0, 0, 0]);
});

test("ipv6Bytes/ipv6Text round trip and reject garbage", (t) => {
  for (const s of ["::", "::1", "2001:db8::", "64:ff9b::c000:221", "1:2:3:4:5:6:7:8", "2001:db8:122:344:c0:2:2100:0"])
    t.is(ipv6Text(ipv6Bytes(s)), s);
  for (const s of ["1:2:3", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "g::"]) t.throws(() => ipv6Bytes(s));
});

test("stats.ts names the counters of bpf/nat64_stats.h in the same order", (t) => {
  const h = readFileSync(join(ROOT, "bpf/nat64_stats.h"), "utf8");
  const names = [...h.matchAll(/X\(\w+, "([^"]+)"\)/g)].map((m) => m[1]);
  t.deepEqual(names, [...STAT_ITEMS]);
});

// A dump entry as `bpftool -j map dump` prints it for a per-CPU array: little-endian key, a value per CPU.
const entry = (key: number, perCpu: number[]) => ({
  key: [key, 0, 0, 0].map((b) => `0x${b.toString(16).padStart(2, "0")}`),
  values: perCpu.map((v, cpu) => ({
    cpu,
    value: [v, 0, 0, 0, 0, 0, 0, 0].map((b) => `0x${b.toString(16).padStart(2, "0")}`),
  })),
});

test("a map dump gives each counter its name, summed over CPUs", (t) => {
  const dump = STAT_NAMES.map((_, i) => entry(i, i === STAT_ITEMS.length + 3 ? [1, 2] : [0, 0]));
  const s = statsFromDump(dump);
  t.is(s["4to6.translated.icmp_error"], 3);
  t.is(s["4to6.translated.icmp"], 0);
});

test("a map from an object built with other counters is refused, not read at shifted names", (t) => {
  const old = STAT_NAMES.slice(2).map((_, i) => entry(i, [1]));
  t.throws(() => statsFromDump(old), {
    message: /nat64_stats map has \d+ counters, natlab knows \d+: .*rebuild it \(natlab build\)/,
  });
});
