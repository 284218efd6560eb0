/**
 * `natlab matrix`: golden cases and labs on each kernel, as a table; and
 * `natlab matrix-worker`, the part that runs on one kernel (in its VM) and
 * writes that kernel's column.
 */
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { labPaths } from "../lab/names.ts";
import { ROOT } from "../root.ts";
import type { Command } from "./command.ts";
import { runInKernel } from "./in-kernel.ts";

export const matrix: Command = {
  name: "matrix",
  args: "[LAB...]",
  summary: "golden cases and labs (default: labs/article.yaml) on each kernel, as a table",
  options: [
    {
      name: "kernels",
      type: "string",
      value: "LIST",
      default: "host,debian-6.1",
      description: "comma-separated kernels: host, debian-6.1 or Debian kernel packages",
    },
  ],
  root: true,
  async run({ values, positionals }) {
    const { failedColumn, formatMatrix, matrixPath, matrixWorker, readColumn, shown } = await import("../matrix.ts");
    const labs = positionals.length
      ? labPaths(positionals, ROOT).map((f) => resolve(f))
      : [resolve(ROOT, "labs/article.yaml")];
    const { loadLab } = await import("../lab/load.ts");
    for (const f of labs) loadLab(f);
    const started = Date.now();
    const columns = [];
    const kernels = String(values.kernels)
      .split(",")
      .map((k) => k.trim())
      .filter(Boolean);
    for (const kernel of kernels) {
      const out = matrixPath(kernel);
      console.log(`matrix: kernel ${kernel}`);
      // Never show an earlier run's column as this one's.
      rmSync(out, { force: true });
      let code = 0;
      const t0 = Date.now();
      if (kernel === "host") {
        code = await matrixWorker(out, labs);
      } else {
        code = await runInKernel(kernel, ["matrix-worker", "--out", out, ...labs]).catch((err: Error) => {
          console.log(`matrix: ${kernel}: ${err.message}`);
          return 1;
        });
      }
      if (!existsSync(out)) {
        const why = `the natlab worker exited with ${code} before writing its results`;
        columns.push(failedColumn(kernel, why, (Date.now() - t0) / 1000));
        continue;
      }
      columns.push(readColumn(out));
      console.log(`matrix: ${kernel} results in ${shown(out)}`);
    }
    const table = formatMatrix(columns);
    console.log(`\n${table}\n\nmatrix wall time: ${((Date.now() - started) / 1000).toFixed(0)}s`);
    writeFileSync(resolve(matrixPath("host"), "..", "matrix.txt"), `${table}\n`);
    const cells = columns.flatMap((c) => [...Object.values(c.golden), ...Object.values(c.labs)]);
    return cells.some((x) => x.failed > 0 || x.error) ? 1 : 0;
  },
};

export const matrixWorker: Command = {
  name: "matrix-worker",
  args: "LAB...",
  summary: "one kernel's column of natlab matrix: golden cases and the labs, written as JSON",
  options: [
    { name: "out", type: "string", value: "FILE", description: "where to write the column (default: the host's)" },
  ],
  root: true,
  internal: true,
  async run({ values, positionals }) {
    const { matrixWorker, matrixPath } = await import("../matrix.ts");
    return matrixWorker((values.out as string | undefined) ?? matrixPath("host"), positionals);
  },
};
