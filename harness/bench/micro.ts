/**
 * The translator's cost per packet: bpf/bench.h's driver, timed by the
 * runner bpf/tools/bench-proof.c (built by make -C bpf to
 * bpf/build/bench-proof) with in-kernel repetition, every run proven a translation.
 *
 *   ns per translation = (bench/<dir> - bench/floor) + change_proto
 *   change_proto       = (bench/proto_rt - bench/ok) / 2
 *
 * docs/bench.md explains the method and its resolution.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BENCH_PROOF, buildBpf, NAT64_OBJECT } from "../bpf/build.ts";
import { run } from "../exec/command.ts";
import { build, writePcap } from "../packet/index.ts";
import { benchCases } from "./cases.ts";
import { add, type Estimate, pairedDifference, scale } from "./stats.ts";

export const METHOD =
  "BPF_PROG_TEST_RUN with repeat N on bpf/bench.h's driver, which translates, checks and puts the frame back on every run; " +
  "the driver, its floor (change_proto and the same restore), change_proto there and back, and TC_ACT_OK taking turns in a shuffled order every round; " +
  "the objects loaded anew every batch; differences round by round, a trimmed mean per batch, a 95% t interval over the batches";

/** How much to measure: batches × rounds calls per program and case, each call `repeat` runs. */
export interface Sampling {
  batches: number;
  rounds: number;
  repeat: number;
}

export interface MicroRow {
  case: string;
  direction: "6to4" | "4to6";
  prefix: string;
  /** ns per translation, with its 95% interval */
  ns: Estimate;
  /** ns of bpf_skb_change_proto alone (half a round trip) */
  protoNs: Estimate;
  /** ns / protoNs */
  ratio: number;
  /** calls proven: the frame came out as it went in, and the driver counted `repeat` translations */
  proof: { calls: number; runsPerCall: number; failedCalls: 0 };
}

/** One line of the runner's output (see bpf/tools/bench-proof.c). */
export interface RunnerLine {
  index: number;
  section: "6to4" | "4to6";
  in_len: number;
  batches: number;
  rounds: number;
  repeat: number;
  failed: Record<string, number>;
  programs: Record<string, number[]>;
}

/**
 * Times the bench cases of one prefix through the runner: objects[0] gives the
 * reference programs, every object its translator. The lines come back in case
 * order, each with the case it times.
 */
export async function timeCases(
  objects: string[],
  prefix: string,
  sampling: Sampling,
): Promise<{ name: string; line: RunnerLine }[]> {
  // make -C bpf builds it (bpf/tools/bench-proof.c), with everything else, and only when out of date.
  await buildBpf("build/bench-proof");
  const runner = BENCH_PROOF;
  const dir = mkdtempSync(join(tmpdir(), "natlab-bench-"));
  try {
    const cases = benchCases(prefix);
    const pcap = join(dir, "cases.pcap");
    writePcap(
      pcap,
      cases.map((c) => build(c.packet)),
    );
    const argv = [runner, pcap, ...objects, "--prefix", prefix];
    argv.push(
      "--batches",
      String(sampling.batches),
      "--rounds",
      String(sampling.rounds),
      "--repeat",
      String(sampling.repeat),
    );
    const r = await run(argv, { timeoutSec: 1800, allowFail: true });
    if (r.exitCode !== 0)
      throw new Error(`natlab bench: the runner failed:\n  ${r.stderr.trim().split("\n").slice(-12).join("\n  ")}`);
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as RunnerLine);
    return lines.map((line) => ({ name: cases[line.index].name.replace(/^(6to4|4to6) /, ""), line }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** change_proto alone: half of the there-and-back program over the empty one. */
export function protoCost(line: RunnerLine): Estimate {
  return scale(pairedDifference(line.programs.proto_rt, line.programs.ok, line.rounds), 0.5);
}

/** ns per translation of object `i`: what it costs over the floor, plus change_proto. */
export function translationCost(line: RunnerLine, i: number): Estimate {
  return add(pairedDifference(line.programs[`xlat[${i}]`], line.programs.floor, line.rounds), protoCost(line));
}

/** The proof of a case's calls, or an error naming the case when a call did not translate on every run. */
export function proofOf(name: string, prefix: string, line: RunnerLine): MicroRow["proof"] {
  const calls = line.batches * line.rounds;
  if (Object.values(line.failed).some((n) => n > 0)) {
    const which = Object.entries(line.failed)
      .filter(([, n]) => n > 0)
      .map(([p, n]) => `${p} ${n}/${calls}`)
      .join(", ");
    throw new Error(
      `natlab bench: ${line.section} ${name} (prefix ${prefix}): calls whose output was not the input or whose runs did not all ` +
        `translate: ${which}; the timing would not be of a translation (run the runner with BENCH_DEBUG=1 to see them)`,
    );
  }
  return { calls, runsPerCall: line.repeat, failedCalls: 0 };
}

export interface MicroOptions extends Sampling {
  root: string;
  prefixes: string[];
  onProgress: (line: string) => void;
  object?: string;
}

/** Builds bpf/ (the translator unless opts.object names another), then times every case. */
export async function runMicro(opts: MicroOptions): Promise<MicroRow[]> {
  await buildBpf();
  const rows: MicroRow[] = [];
  for (const prefix of opts.prefixes) {
    opts.onProgress(
      `micro: prefix ${prefix}, ${opts.batches} batches × ${opts.rounds} rounds × ${opts.repeat} runs per program and case`,
    );
    for (const { name, line } of await timeCases([opts.object ?? NAT64_OBJECT], prefix, opts)) {
      const ns = translationCost(line, 0);
      const protoNs = protoCost(line);
      const row: MicroRow = {
        case: name,
        direction: line.section,
        prefix,
        ns,
        protoNs,
        ratio: ns.value / protoNs.value,
        proof: proofOf(name, prefix, line),
      };
      rows.push(row);
      const show = (e: Estimate) => `${e.value.toFixed(1)} ± ${((e.hi - e.lo) / 2).toFixed(1)}`;
      opts.onProgress(
        `micro: ${line.section} ${name.padEnd(11)} ${prefix.padEnd(20)} ${show(ns)} ns per translation, change_proto ${show(protoNs)} ns, ratio ${row.ratio.toFixed(2)}`,
      );
    }
  }
  return rows;
}
