/** natlab bench's pure parts: the bench.json shape, the tables and the chart, from a made-up run. */
import test from "ava";
import { esc, tickStep } from "../../harness/bench/chart.ts";
import { cpuShares, median } from "../../harness/bench/macro.ts";
import { benchMarkdown, benchSvg } from "../../harness/bench/report.ts";
import { type Bench, BenchShape } from "../../harness/bench/shape.ts";

const est = (value: number, half: number) => ({ value, lo: value - half, hi: value + half });
const cell = (
  design: "plain-ipv4" | "nat66-nat64" | "nat44-design",
  kind: "tcp1" | "tcp4" | "udp64",
  median: number,
) => ({
  design,
  kind,
  offloads: "on" as const,
  unit: kind === "udp64" ? ("kpps" as const) : ("Gbit/s" as const),
  samples: [{ value: median, seconds: 5, ...(kind === "udp64" ? { sent: 1000, lost: 100 } : { retransmits: 0 }) }],
  median,
});

const bench: Bench = {
  version: 3,
  mode: "full",
  command: "natlab bench",
  startedAt: "2026-01-01T00:00:00.000Z",
  durationMs: 300000,
  kernel: "6.18",
  cpus: 2,
  object: "bpf/nat64.o",
  objectSha256: "0".repeat(64),
  micro: {
    method: "test",
    batches: 3,
    rounds: 10,
    repeat: 100,
    rows: [
      {
        case: "TCP SYN",
        direction: "6to4",
        prefix: "64:ff9b:1:fffe::/96",
        ns: est(100, 2.5),
        protoNs: est(40, 1),
        ratio: 2.5,
        proof: { calls: 30, runsPerCall: 100, failedCalls: 0 },
      },
    ],
  },
  macro: {
    method: "test",
    seconds: 5,
    repeats: 1,
    designs: [
      { id: "plain-ipv4", title: "plain IPv4 forwarding", lab: "labs/bench/plain-ipv4.yaml", target: "203.0.113.1" },
      {
        id: "nat66-nat64",
        title: "NAT66 + BPF NAT64",
        lab: "labs/bench/nat66-nat64.yaml",
        target: "64:ff9b:1:fffe::cb00:7101",
      },
      {
        id: "nat44-design",
        title: "TAYGA + NAT44",
        lab: "labs/bench/nat44-design.yaml",
        target: "2001:db8:64::cb00:7101",
      },
    ],
    cells: [
      cell("plain-ipv4", "tcp1", 20),
      cell("nat66-nat64", "tcp1", 18),
      cell("nat44-design", "tcp1", 0.8),
      cell("plain-ipv4", "udp64", 100),
      cell("nat66-nat64", "udp64", 90),
      cell("nat44-design", "udp64", 40),
    ],
    ratios: [
      { kind: "tcp1", offloads: "on", vsPlainIpv4: 0.9, vsNat44Design: 22.5 },
      { kind: "udp64", offloads: "on", vsPlainIpv4: 0.9, vsNat44Design: 2.25 },
    ],
    features: { "plain-ipv4": { "router:eth1": { "tx-checksumming": "on" } } },
    probes: [
      {
        design: "nat66-nat64",
        offloads: "on",
        where: "server:eth0 in",
        frames: 10,
        maxLen: 64326,
        medianLen: 64326,
        superShare: 1,
      },
    ],
  },
  targets: [{ what: "nat66-nat64 / plain-ipv4", target: "≥ 0.85", actual: "0.90", met: true }],
  errors: [],
};

test("a well-formed run passes the bench.json shape; a broken proof field does not", (t) => {
  t.notThrows(() => BenchShape.parse(bench));
  const bad = structuredClone(bench);
  (bad.micro.rows[0].proof as { failedCalls: number }).failedCalls = 1;
  t.false(BenchShape.safeParse(bad).success);
});

test("bench.md has the tables, with ratios and the proof", (t) => {
  const md = benchMarkdown(bench);
  t.regex(
    md,
    /\| 6to4 \| TCP SYN \| 64:ff9b:1:fffe::\/96 \| 100\.0 \[97\.5, 102\.5\] \| 40\.0 \[39\.0, 41\.0\] \| 2\.50 \|/,
  );
  t.regex(md, /30 calls × 100 translations, 0 failed/);
  t.regex(md, /\| TCP, 1 stream \| on \| 20\.00 Gbit\/s \| 18\.00 Gbit\/s \| 0\.80 Gbit\/s \| 0\.90 \| 22\.5 \|/);
  t.regex(md, /90\.00 kpps \(10% lost\)/);
  t.regex(md, /\| nat66-nat64 \/ plain-ipv4 \| ≥ 0\.85 \| 0\.90 \| yes \|/);
});

test("the chart is one SVG document with a bar per design and group", (t) => {
  const svg = benchSvg(bench);
  t.true(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  t.true(svg.trimEnd().endsWith("</svg>"));
  t.false(/NaN|undefined|Infinity/.test(svg));
  // micro: 2 bars; macro: 2 groups × 3 designs; plus legends (2 + 3) and the background
  t.is((svg.match(/<rect /g) ?? []).length, 2 + 6 + 5 + 1);
});

test("axis ticks are 1, 2 or 5 times a power of ten", (t) => {
  t.is(tickStep(230), 50);
  t.is(tickStep(100), 20);
  t.is(tickStep(0.9), 0.2);
  t.is(tickStep(0), 1);
});

test("text in the chart is escaped; medians of odd and even counts", (t) => {
  t.is(esc('a<b & "c"'), "a&lt;b &amp; &quot;c&quot;");
  t.is(median([3, 1, 2]), 2);
  t.is(median([4, 1, 2, 3]), 2.5);
  t.is(median([]), 0);
});

test("CPU shares from two readings of /proc/stat", (t) => {
  // user nice system idle iowait irq softirq
  const before = [[100, 0, 50, 1000, 0, 0, 10]];
  const after = [[160, 0, 70, 1010, 0, 0, 20]];
  t.deepEqual(cpuShares(before, after), [{ user: 0.6, system: 0.2, softirq: 0.1, idle: 0.1 }]);
});

test("bench.md has the per-byte table when the runs carry their cost, relative to plain-ipv4", (t) => {
  const b = structuredClone(bench);
  const cost = (total: number) => ({
    cpuMsPerGB: { client: total / 2, server: total / 2 - 10, ksoftirqd: 10, total },
    bytesPerPacket: { "router:eth0": 64000, "server:eth0": 63000 },
  });
  b.macro.cells[0].samples[0] = { ...b.macro.cells[0].samples[0], cost: cost(200) };
  b.macro.cells[1].samples[0] = {
    ...b.macro.cells[1].samples[0],
    cost: { ...cost(220), translator: { "6to4.translated.tcp": 5 } },
  };
  t.notThrows(() => BenchShape.parse(b));
  const md = benchMarkdown(b);
  t.regex(
    md,
    /\| plain-ipv4 \| TCP, 1 stream \| on \| 20\.00 \| 200 \(100 \+ 90 \+ 0 \+ 10\) \| 1\.00 \| 64000 \| 63000 \|/,
  );
  t.regex(md, /\| nat66-nat64 \| TCP, 1 stream \| on \| 18\.00 \| 220 \(110 \+ 100 \+ 0 \+ 10\) \| 1\.10 \|/);
  t.false(/## What each design costs per byte/.test(benchMarkdown(bench)));
});
