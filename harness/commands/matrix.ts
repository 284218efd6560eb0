/**
 * `natlab matrix`: every golden case file and lab on each kernel, as a table,
 * a results page and JUnit per column (harness/matrix/); `--merge` joins
 * columns made elsewhere (CI jobs, one per kernel). `natlab matrix-worker` is
 * the part that runs on one kernel (in its VM) and writes that kernel's column.
 */
import { availableParallelism } from "node:os";
import { relative, resolve } from "node:path";
import { UsageError } from "../errors.ts";
import { labPaths } from "../lab/names.ts";
import { ROOT } from "../root.ts";
import type { Command } from "./command.ts";

export const matrix: Command = {
  name: "matrix",
  args: "[LAB...] | --merge DIR...",
  summary:
    "every golden case file and lab (default: all labs) on each kernel: a table, results/matrix/index.html, JUnit per kernel",
  details: `Columns run side by side (--jobs); each VM column boots its kernel under qemu.
Kernels: host, debian-5.10, debian-6.1, debian-6.12, or a Debian kernel package (linux-image-...).
--merge DIR... reads the column directories natlab matrix wrote (results/matrix/<kernel>, e.g. CI
artifacts) and writes one table and one page into --out.`,
  options: [
    {
      name: "kernels",
      type: "string",
      value: "LIST",
      default: "host,debian-5.10,debian-6.1,debian-6.12",
      description: "comma-separated kernels",
    },
    {
      name: "jobs",
      short: "j",
      type: "string",
      value: "N",
      description: "columns at the same time (default: the CPU count, at most the kernels)",
    },
    {
      name: "merge",
      type: "boolean",
      description: "merge the column directories given as arguments instead of running anything",
    },
    {
      name: "out",
      type: "string",
      value: "DIR",
      description: "where the table and the page go (default: results/matrix)",
    },
  ],
  async run({ values, positionals }) {
    const { MATRIX_DIR, mergeMatrix, runMatrix } = await import("../matrix/run.ts");
    const { anyFailed } = await import("../matrix/column.ts");
    const out = values.out ? resolve(String(values.out)) : MATRIX_DIR;
    if (values.merge) {
      if (positionals.length === 0)
        throw new UsageError(
          "natlab matrix --merge: give the directories to merge (results/matrix/<kernel> or CI artifacts)",
        );
      const r = await mergeMatrix(positionals, out).catch((err: Error) => {
        throw new UsageError(`natlab matrix --merge: ${err.message}`);
      });
      console.log(`${r.table}\n\nresults page: ${relative(process.cwd(), resolve(out, "index.html"))}`);
      return anyFailed(r.columns) ? 1 : 0;
    }
    if (process.getuid?.() !== 0)
      throw new UsageError("natlab matrix needs root (network namespaces, tc and BPF): run it as root");
    const { parseKernelName } = await import("../vm/kernels.ts");
    const kernels = String(values.kernels)
      .split(",")
      .map((k) => k.trim())
      .filter(Boolean);
    for (const k of kernels) {
      try {
        parseKernelName(k);
      } catch (err) {
        throw new UsageError(`natlab matrix: ${(err as Error).message}`);
      }
    }
    const jobs = values.jobs === undefined ? Math.min(availableParallelism(), kernels.length) : Number(values.jobs);
    if (!Number.isInteger(jobs) || jobs < 1)
      throw new UsageError(`natlab matrix: --jobs takes a whole number of 1 or more, not ${values.jobs}`);
    const labs = labPaths(positionals, ROOT).map((f) => resolve(f));
    const { loadLab } = await import("../lab/load.ts");
    for (const f of labs) loadLab(f);
    console.log(`matrix: ${labs.length} lab(s) and the golden cases on ${kernels.join(", ")}, ${jobs} at a time`);
    const r = await runMatrix({ kernels, labs, jobs, out });
    console.log(`\n${r.table}\n`);
    console.log(
      `results page: ${relative(process.cwd(), resolve(out, "index.html"))}; JUnit per kernel: ${relative(process.cwd(), out)}/<kernel>/junit.xml`,
    );
    return anyFailed(r.columns) ? 1 : 0;
  },
};

export const matrixWorker: Command = {
  name: "matrix-worker",
  args: "LAB...",
  summary: "one kernel's column of natlab matrix: golden cases and the labs, written as JSON and TAP",
  options: [
    { name: "out", type: "string", value: "DIR", description: "the column's directory (default: results/matrix/host)" },
  ],
  root: true,
  internal: true,
  async run({ values, positionals }) {
    const { matrixWorker } = await import("../matrix/worker.ts");
    const { MATRIX_DIR } = await import("../matrix/run.ts");
    return matrixWorker((values.out as string | undefined) ?? `${MATRIX_DIR}/host`, positionals);
  },
};
