/**
 * Micro benchmark of the translator (groundwork for `natlab bench`): the
 * kernel-measured cost of one run on a fresh packet (bench-micro.c), for
 * each case, against the two floor programs of bpf/floor.c, on the same
 * frames. Prints a table; run as root:
 *   tsx harness/bpf/bench.ts [--calls N] [--rounds R]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { run } from "../exec/command.ts";
import { build, type Packet, writePcap } from "../packet/index.ts";
import { BENCH_MICRO, buildBpf, FLOOR_OBJECT, NAT64_OBJECT } from "./build.ts";
import { embedIpv4 } from "./prefix.ts";

export interface BenchCase {
  name: string;
  packet: Packet;
}

/** The cases: TCP SYN, TCP 1400 B, UDP 64 B, ICMP echo, ICMP error, both directions. */
export function benchCases(prefix: string): BenchCase[] {
  const a = embedIpv4(prefix, "192.0.2.1");
  const b = embedIpv4(prefix, "198.51.100.2");
  const v6 = { src: a, dst: b };
  const v4 = { src: "198.51.100.2", dst: "192.0.2.1" };
  return [
    { name: "6to4 TCP SYN", packet: [{ eth: {} }, { ipv6: v6 }, { tcp: { flags: "S", options: "020405b40402080a0000000100000000" } }] },
    { name: "6to4 TCP 1400B", packet: [{ eth: {} }, { ipv6: v6 }, { tcp: { flags: "PA" } }, { payload: { size: 1400 } }] },
    { name: "6to4 UDP 64B", packet: [{ eth: {} }, { ipv6: v6 }, { udp: {} }, { payload: { size: 64 } }] },
    { name: "6to4 ICMP echo", packet: [{ eth: {} }, { ipv6: v6 }, { icmpv6: { type: 128, id: 1, seq: 1 } }, { payload: { size: 56 } }] },
    {
      name: "6to4 ICMP error",
      packet: [{ eth: {} }, { ipv6: v6 }, { icmpv6: { type: 1, code: 4 } }, { ipv6: { src: b, dst: a } }, { udp: {} }, { payload: { size: 64 } }],
    },
    { name: "4to6 TCP SYN", packet: [{ eth: {} }, { ipv4: v4 }, { tcp: { flags: "S", options: "020405b40402080a0000000100000000" } }] },
    { name: "4to6 TCP 1400B", packet: [{ eth: {} }, { ipv4: v4 }, { tcp: { flags: "PA" } }, { payload: { size: 1400 } }] },
    { name: "4to6 UDP 64B", packet: [{ eth: {} }, { ipv4: v4 }, { udp: {} }, { payload: { size: 64 } }] },
    { name: "4to6 ICMP echo", packet: [{ eth: {} }, { ipv4: v4 }, { icmp: { type: 0, id: 1, seq: 1 } }, { payload: { size: 56 } }] },
    {
      name: "4to6 ICMP error",
      packet: [{ eth: {} }, { ipv4: v4 }, { icmp: { type: 3, code: 3 } }, { ipv4: { src: "192.0.2.1", dst: "198.51.100.2" } }, { udp: {} }, { payload: { size: 64 } }],
    },
  ];
}

export interface BenchRow {
  name: string;
  prefix: string;
  /** median ns per run: translator, OK floor, change_proto floor */
  nat64: number;
  floorOk: number;
  floorProto: number;
  /** nat64 - floorOk */
  net: number;
  /** net / (floorProto - floorOk): the translator's net cost in units of change_proto's */
  ratioNet: number;
  /** nat64 / floorProto */
  ratio: number;
  /** the fastest single run of each: less disturbed by other load on the machine */
  min: { nat64: number; floorOk: number; floorProto: number };
  /** min.nat64 - min.floorOk: the net cost from the fastest runs (steadier than the medians' on a busy machine) */
  netMin: number;
  /** netMin / (min.floorProto - min.floorOk) */
  ratioNetMin: number;
}

interface MicroLine {
  index: number;
  median_ns: number;
  min_ns: number;
  retval: number;
}

async function micro(object: string, pcap: string, calls: number, extra: string[]): Promise<MicroLine[]> {
  const r = await run([BENCH_MICRO, object, pcap, "--calls", String(calls), ...extra], { timeoutSec: 900 });
  return r.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as MicroLine);
}

/** Per frame, the lowest median and the lowest minimum over several runs (each run: `calls` calls). */
function lowest(runs: MicroLine[][]): MicroLine[] {
  return runs[0].map((first, i) => ({
    ...first,
    median_ns: Math.min(...runs.map((r) => r[i].median_ns)),
    min_ns: Math.min(...runs.map((r) => r[i].min_ns)),
  }));
}

/**
 * `rounds` (default 1): run the translator and both floors that many times,
 * interleaved, and keep each frame's lowest median and minimum: on a shared
 * machine a burst of other load then spoils one round, not the comparison.
 */
export async function benchMicro(opts: { prefixes?: string[]; calls?: number; rounds?: number } = {}): Promise<BenchRow[]> {
  await buildBpf();
  const calls = opts.calls ?? 20000;
  const rounds = Math.max(1, opts.rounds ?? 1);
  const dir = mkdtempSync(join(tmpdir(), "natlab-bench-"));
  const rows: BenchRow[] = [];
  try {
    for (const prefix of opts.prefixes ?? ["64:ff9b:1:fffe::/96", "2001:db8:64::/96"]) {
      const cases = benchCases(prefix);
      const pcap = join(dir, "cases.pcap");
      writePcap(
        pcap,
        cases.map((c) => build(c.packet)),
      );
      const runs: { nat: MicroLine[][]; ok: MicroLine[][]; proto: MicroLine[][] } = { nat: [], ok: [], proto: [] };
      for (let round = 0; round < rounds; round++) {
        runs.ok.push(await micro(FLOOR_OBJECT, pcap, calls, ["--section", "floor_ok"]));
        runs.proto.push(await micro(FLOOR_OBJECT, pcap, calls, ["--section", "floor_proto"]));
        runs.nat.push(await micro(NAT64_OBJECT, pcap, calls, ["--prefix", prefix]));
      }
      const [nat, ok, proto] = [lowest(runs.nat), lowest(runs.ok), lowest(runs.proto)];
      cases.forEach((c, i) => {
        if (nat[i].retval !== 0) throw new Error(`bench case ${c.name}: the translator returned ${nat[i].retval}, not TC_ACT_OK`);
        const net = nat[i].median_ns - ok[i].median_ns;
        const protoNet = Math.max(1, proto[i].median_ns - ok[i].median_ns);
        rows.push({
          name: c.name,
          prefix,
          nat64: nat[i].median_ns,
          floorOk: ok[i].median_ns,
          floorProto: proto[i].median_ns,
          net,
          ratioNet: net / protoNet,
          ratio: nat[i].median_ns / proto[i].median_ns,
          min: { nat64: nat[i].min_ns, floorOk: ok[i].min_ns, floorProto: proto[i].min_ns },
          netMin: nat[i].min_ns - ok[i].min_ns,
          ratioNetMin: (nat[i].min_ns - ok[i].min_ns) / Math.max(1, proto[i].min_ns - ok[i].min_ns),
        });
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

export function formatBench(rows: BenchRow[]): string {
  const head = "case                 prefix                 nat64  ok-floor  proto-floor   net  nat64/proto   min: nat64  ok  proto  net  net/proto-net";
  const lines = rows.map(
    (r) =>
      `${r.name.padEnd(20)} ${r.prefix.padEnd(22)} ${String(r.nat64).padStart(5)}  ${String(r.floorOk).padStart(8)}  ${String(r.floorProto).padStart(11)}  ${String(r.net).padStart(4)}  ${r.ratio.toFixed(2).padStart(11)}   ${String(r.min.nat64).padStart(10)}  ${String(r.min.floorOk).padStart(2)}  ${String(r.min.floorProto).padStart(5)}  ${String(r.netMin).padStart(3)}  ${r.ratioNetMin.toFixed(2).padStart(13)}`,
  );
  return [head, ...lines, "(ns per run, a fresh packet per call: median, and the fastest run; net = nat64 - ok-floor, of the medians, then of the fastest runs; net/proto-net = the translator's net cost in units of change_proto's)"].join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { calls: { type: "string" }, rounds: { type: "string" } } });
  console.log(
    formatBench(await benchMicro({ calls: values.calls ? Number(values.calls) : undefined, rounds: values.rounds ? Number(values.rounds) : undefined })),
  );
}
