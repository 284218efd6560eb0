/**
 * `natlab bench compare OLD.o NEW.o`: is a translator build faster, slower
 * or the same as another? For a change to bpf/nat64.c:
 *
 *   cp bpf/nat64.o /tmp/before.o; (edit); natlab build
 *   natlab bench compare /tmp/before.o bpf/nat64.o --fail-if-slower 5
 */
import { existsSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { runCompare, writeComparison } from "../bench/compare.ts";
import { DEFAULT_PREFIX } from "../bench/report.ts";
import { buildBpf } from "../bpf/build.ts";
import { UsageError } from "../errors.ts";
import { ROOT } from "../root.ts";
import type { Command } from "./command.ts";

function positive(name: string, v: unknown, dflt: number): number {
  const n = v === undefined ? dflt : Number(v);
  if (!(n > 0)) throw new UsageError(`natlab bench compare: --${name} must be a positive number, not ${v}`);
  return n;
}

export const benchCompare: Command = {
  name: "bench compare",
  args: "OLD.o NEW.o",
  summary:
    "two translator builds timed side by side: per case both costs, the difference with its 95% interval, and a verdict",
  details: `Both builds' timing drivers (bpf/bench.h) run on the same frames, taking turns call by call.
A case is slower (or faster) when the whole interval of the difference lies beyond the margin; else the same.
Writes results/bench/compare.json and compare.md. Builds made before the timing driver cannot be compared.`,
  root: true,
  options: [
    {
      name: "batches",
      type: "string",
      value: "B",
      description: "times both builds are loaded anew and timed",
      default: "20",
    },
    {
      name: "rounds",
      type: "string",
      value: "R",
      description: "calls per build and case in each batch",
      default: "10",
    },
    { name: "repeat", type: "string", value: "N", description: "runs per call (in-kernel repetition)", default: "500" },
    {
      name: "margin",
      type: "string",
      value: "PCT",
      description: "differences within ±PCT% count as the same",
      default: "2",
    },
    {
      name: "prefix",
      type: "string",
      value: "P/LEN",
      description: "the NAT64 prefix of the frames and both builds",
      default: DEFAULT_PREFIX,
    },
    {
      name: "fail-if-slower",
      type: "string",
      value: "PCT",
      description: "exit 1 when a case is slower by more than PCT%",
    },
    {
      name: "macro",
      type: "boolean",
      description: "also iperf3 through the NAT66 + BPF NAT64 bench lab with each build",
    },
    { name: "seconds", type: "string", value: "S", description: "with --macro: seconds per iperf3 run", default: "5" },
    {
      name: "out",
      type: "string",
      value: "DIR",
      description: "where to write compare.json and compare.md",
      default: "results/bench",
    },
  ],
  async run({ values, positionals }) {
    if (positionals.length !== 2)
      throw new UsageError("natlab bench compare: give two objects, OLD.o NEW.o (see --help)");
    const [oldObject, newObject] = positionals.map((p) => resolve(p));
    for (const o of [oldObject, newObject])
      if (!existsSync(o)) throw new UsageError(`natlab bench compare: no such object ${o}`);
    const margin = positive("margin", values.margin, 2) / 100;
    const failIfSlower =
      values["fail-if-slower"] === undefined
        ? undefined
        : positive("fail-if-slower", values["fail-if-slower"], 0) / 100;
    await buildBpf();
    const started = Date.now();
    const c = await runCompare({
      root: ROOT,
      oldObject,
      newObject,
      prefixes: [String(values.prefix ?? DEFAULT_PREFIX)],
      batches: positive("batches", values.batches, 20),
      rounds: positive("rounds", values.rounds, 10),
      repeat: positive("repeat", values.repeat, 500),
      margin,
      macro: values.macro ? { seconds: positive("seconds", values.seconds, 5), repeats: 3 } : undefined,
      onProgress: (l) => console.log(`  ${l}`),
    });
    const files = writeComparison(resolve(String(values.out ?? join(ROOT, "results/bench"))), c);
    const count = (v: string) => c.rows.filter((r) => r.verdict === v).length;
    console.log(
      `natlab bench compare: ${count("same")} same, ${count("slower")} slower, ${count("faster")} faster ` +
        `(margin ±${(100 * margin).toFixed(1)}%) in ${((Date.now() - started) / 1000).toFixed(0)} s; ` +
        `wrote ${files.map((f) => relative(process.cwd(), f)).join(", ")}`,
    );
    if (failIfSlower === undefined) return 0;
    const bad = c.rows.filter((r) => r.verdict === "slower" && r.relative.value > failIfSlower);
    for (const r of bad)
      console.log(`  slower by more than ${(100 * failIfSlower).toFixed(1)}%: ${r.direction} ${r.case}`);
    return bad.length ? 1 : 0;
  },
};
