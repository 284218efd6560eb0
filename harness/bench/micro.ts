/**
 * The translator's cost per packet under BPF_PROG_TEST_RUN, beside the two
 * floor programs of bpf/floor.c, with proof that every timed run measured
 * a translation (bpf/tools/bench-proof.c, built by make -C bpf to
 * bpf/build/bench-proof).
 *
 * The three programs take turns call by call in one process, so drift on a
 * busy machine lands in all three alike instead of in the net figures; each
 * case is repeated and the median of the repeats kept.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../exec/command.ts";
import { benchCases } from "./cases.ts";
import { BENCH_PROOF, buildBpf, FLOOR_OBJECT, NAT64_OBJECT } from "../bpf/build.ts";
import { build, writePcap } from "../packet/index.ts";
import { median } from "./macro.ts";

export const METHOD =
  "BPF_PROG_TEST_RUN with repeat 1 and a fresh copy of the frame every call (repeat N would rerun the program on the skb it already translated); " +
  "the kernel's own per-run duration; the three programs taking turns call by call on the same frame; median of the calls in a repeat, median of the repeats";

export interface ProgramTiming {
  /** median ns of each repeat */
  mediansNs: number[];
  /** median of mediansNs */
  ns: number;
  minNs: number;
}

/** What the sampled timed calls returned: the proof that they translated. */
export interface Proof {
  /** timed calls whose output was checked (every `sample`-th and the last of each repeat) */
  checked: number;
  /** of those, how many returned TC_ACT_OK with the other family's EtherType, IP version and length */
  translated: number;
  retval: number;
  inLen: number;
  outLen: number;
  /** e.g. "0x0800" */
  outEtherType: string;
  outIpVersion: number;
}

export interface MicroRow {
  case: string;
  direction: "6to4" | "4to6";
  prefix: string;
  nat64: ProgramTiming;
  floorOk: ProgramTiming;
  floorProto: ProgramTiming;
  /** nat64 - floorOk (ns) */
  net: number;
  /** floorProto - floorOk (ns): what bpf_skb_change_proto alone costs */
  protoNet: number;
  /** net / protoNet */
  ratio: number;
  proof: Proof;
  /** the floors' outputs were checked too (floor_ok unchanged, floor_proto resized) */
  floorsProven: boolean;
}

export interface MicroOptions {
  root: string;
  prefixes: string[];
  calls: number;
  repeats: number;
  sample: number;
  onProgress: (line: string) => void;
  object?: string;
}

interface RunnerTally {
  medians_ns: number[];
  min_ns: number;
  checked: number;
  proven: number;
  retval: number;
  out_len: number;
  out_ethertype: number;
  out_version: number;
}
interface RunnerLine {
  index: number;
  section: "6to4" | "4to6";
  in_len: number;
  nat64: RunnerTally;
  floor_ok: RunnerTally;
  floor_proto: RunnerTally;
}

/** Builds bpf/ (floor.o, bench-proof; the translator too unless opts.object names another), then times every case. */
export async function runMicro(opts: MicroOptions): Promise<MicroRow[]> {
  await buildBpf();
  const runner = BENCH_PROOF;
  const dir = mkdtempSync(join(tmpdir(), "natlab-bench-"));
  const rows: MicroRow[] = [];
  try {
    for (const prefix of opts.prefixes) {
      const cases = benchCases(prefix);
      const pcap = join(dir, "cases.pcap");
      writePcap(
        pcap,
        cases.map((c) => build(c.packet)),
      );
      opts.onProgress(`micro: ${cases.length} cases with prefix ${prefix}, ${opts.repeats} × ${opts.calls} calls per program`);
      const argv = [runner, opts.object ?? NAT64_OBJECT, FLOOR_OBJECT, pcap, "--prefix", prefix, "--calls", String(opts.calls), "--repeats", String(opts.repeats), "--sample", String(opts.sample)];
      const r = await run(argv, { timeoutSec: 900 });
      const lines = r.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as RunnerLine);
      for (const l of lines) {
        const c = cases[l.index];
        const t = (x: RunnerTally): ProgramTiming => ({ mediansNs: x.medians_ns, ns: median(x.medians_ns), minNs: x.min_ns });
        const nat64 = t(l.nat64);
        const floorOk = t(l.floor_ok);
        const floorProto = t(l.floor_proto);
        const net = nat64.ns - floorOk.ns;
        const protoNet = floorProto.ns - floorOk.ns;
        const row: MicroRow = {
          case: c.name.replace(/^(6to4|4to6) /, ""),
          direction: l.section,
          prefix,
          nat64,
          floorOk,
          floorProto,
          net,
          protoNet,
          ratio: net / Math.max(1, protoNet),
          proof: {
            checked: l.nat64.checked,
            translated: l.nat64.proven,
            retval: l.nat64.retval,
            inLen: l.in_len,
            outLen: l.nat64.out_len,
            outEtherType: `0x${l.nat64.out_ethertype.toString(16).padStart(4, "0")}`,
            outIpVersion: l.nat64.out_version,
          },
          floorsProven: l.floor_ok.proven === l.floor_ok.checked && l.floor_proto.proven === l.floor_proto.checked,
        };
        if (row.proof.translated !== row.proof.checked) {
          throw new Error(
            `micro: ${c.name} (prefix ${prefix}): only ${row.proof.translated} of ${row.proof.checked} sampled timed calls translated ` +
              `(last: retval ${row.proof.retval}, EtherType ${row.proof.outEtherType}, ${row.proof.inLen} -> ${row.proof.outLen} bytes); the timing would not be of a translation`,
          );
        }
        rows.push(row);
        opts.onProgress(`micro: ${l.section} ${row.case.padEnd(11)} ${prefix.padEnd(20)} net ${String(net).padStart(4)} ns, change_proto net ${String(protoNet).padStart(3)} ns, ratio ${row.ratio.toFixed(1)}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
