/** `natlab bench`: cost per packet and end-to-end throughput, written to results/bench/. */
import { join, resolve } from "node:path";
import { type BenchRunOptions, runBench } from "../bench/bench.ts";
import { ensureBuilt } from "../bpf/fresh.ts";
import { UsageError } from "../errors.ts";
import { ROOT } from "../root.ts";
import type { Command } from "./command.ts";

/** A positive number option, or its default; a usage error otherwise. */
function positive(name: string, v: unknown, dflt: number): number {
  const n = v === undefined ? dflt : Number(v);
  if (!(n > 0)) throw new UsageError(`--${name} must be a positive number, not ${v}`);
  return n;
}

export const bench: Command = {
  name: "bench",
  summary:
    "cost per packet (BPF_PROG_TEST_RUN) and end-to-end throughput beside native forwarding and NAT44; " +
    "results in results/bench/",
  options: [
    { name: "quick", type: "boolean", description: "a smoke run in seconds (figures not meaningful)" },
    {
      name: "only",
      type: "string",
      value: "WHAT",
      description: "micro (BPF_PROG_TEST_RUN) or macro (iperf3 through the labs/bench/ labs)",
    },
    { name: "seconds", type: "string", value: "S", description: "seconds per iperf3 run (default 5)" },
    {
      name: "repeats",
      type: "string",
      value: "N",
      description: "iperf3 runs per measurement (default 3)",
    },
    {
      name: "batches",
      type: "string",
      value: "B",
      description: "micro: times the translator is loaded anew and timed (default 30)",
    },
    {
      name: "object",
      type: "string",
      value: "O.o",
      description: "measure another translator build (default bpf/nat64.o)",
    },
    { name: "out", type: "string", value: "DIR", description: "where to write (default results/bench)" },
  ],
  root: true,
  async run({ values, argv }) {
    if (values.only !== undefined && values.only !== "micro" && values.only !== "macro") {
      throw new UsageError(`--only is micro or macro, not ${values.only}`);
    }
    await ensureBuilt((t) => process.stderr.write(`natlab: ${t}\n`));
    const quick = values.quick === true;
    const started = Date.now();
    const result = await runBench({
      quick,
      only: values.only as BenchRunOptions["only"],
      seconds: positive("seconds", values.seconds, 5),
      repeats: positive("repeats", values.repeats, quick ? 1 : 3),
      batches: positive("batches", values.batches, quick ? 3 : 30),
      object: values.object ? resolve(String(values.object)) : undefined,
      out: resolve((values.out as string | undefined) ?? join(ROOT, "results/bench")),
      root: ROOT,
      log: (line) => console.log(`  ${line}`),
      command: ["natlab", "bench", ...argv].join(" "),
    });
    console.log(`natlab bench: done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    for (const t of result.targets) {
      console.log(`  ${t.met === null ? "·" : t.met ? "✓" : "✗"} ${t.what}: ${t.actual} (target ${t.target})`);
    }
    for (const e of result.errors) process.stderr.write(`natlab bench: ${e}\n`);
    return result.errors.length ? 1 : 0;
  },
};
