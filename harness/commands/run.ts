/**
 * `natlab run [LAB...]`: build each lab in fresh namespaces, run its flows,
 * tear down, report; on this kernel or, with --kernel, in a VM.
 */
import { basename, relative, resolve } from "node:path";
import { UsageError } from "../errors.ts";
import { labPaths } from "../lab/names.ts";
import { ConsoleReporter } from "../report/console.ts";
import { ROOT } from "../root.ts";
import { flowLine, type ProgressSink } from "../run/lab.ts";
import { colorEnabled } from "../text/color.ts";
import type { Command } from "./command.ts";
import { runInKernel } from "./in-kernel.ts";
import { LAB_BUILD_OPTIONS, variantOption } from "./lab-build.ts";

/** The console reporter as the lab runner's progress sink. */
function progressFor(reporter: ConsoleReporter): ProgressSink {
  return {
    labStart: (lab, info) =>
      reporter.labStart({ lab: lab.name, flows: info.flows, kernel: info.kernel, variant: info.variant }),
    setup: (done, total) => reporter.setup(done, total),
    setupFailed: (step, total, message) =>
      reporter.setupFailed(step, total, message.replace(/^setup step \d+\/\d+ failed: /, "")),
    flow: (o) => reporter.flow(flowLine(o)),
    labEnd: (lab, outcomes, ms, dir, error, times) =>
      reporter.summary({
        ...times,
        lab,
        passed: outcomes.filter((o) => o.status === "pass").length,
        failed: outcomes.filter((o) => o.status === "fail").length + (error ? 1 : 0),
        skipped: outcomes.filter((o) => o.status === "skip").length,
        durationMs: ms,
        resultsDir: dir,
      }),
    note: (text) => process.stderr.write(`natlab: ${text}\n`),
  };
}

/** A whole number option of 1 or more (`-j 3`, `--keep 5`), or undefined when absent. */
function count(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string" || !/^\d+$/.test(v) || Number(v) < 1) {
    throw new UsageError(`${name} takes a whole number of 1 or more, not ${JSON.stringify(v)}`);
  }
  return Number(v);
}

/** A lab's console output held back while other labs run beside it, printed whole when it ends. */
class LabBlock {
  private text = "";
  readonly reporter: ConsoleReporter;
  constructor() {
    const env = colorEnabled() ? { ...process.env, FORCE_COLOR: "1" } : { ...process.env, NO_COLOR: "1" };
    this.reporter = new ConsoleReporter({ write: (t: string) => (this.text += t), isTTY: false }, env);
  }
  flush(): void {
    process.stdout.write(this.text);
    this.text = "";
  }
}

/** One line as a lab starts beside others (their lines come when each ends). */
function status(what: string, running: Set<string>, done: number, total: number): void {
  console.log(`natlab: ${what} (${done} of ${total} labs done; running ${[...running].join(", ")})`);
}

/** The pass rate of every flow of a `--repeat N` run: "  20/20  article  ping 6 to 4 and back (offloads on)". */
export function passRates(
  results: { lab: string; outcomes: { name: string; status: string }[]; error?: string }[],
  repeat: number,
): string {
  const rows: [string, string, number, number][] = [];
  for (const r of results) {
    const byFlow = new Map<string, { pass: number; runs: number }>();
    for (const o of r.outcomes) {
      // "NAME [k/N] (offloads on)": the flow is NAME (offloads on), run k of N.
      const flow = o.name.replace(/ \[\d+\/\d+\]/, "");
      const t = byFlow.get(flow) ?? { pass: 0, runs: 0 };
      t.runs++;
      if (o.status !== "fail") t.pass++;
      byFlow.set(flow, t);
    }
    for (const [flow, t] of byFlow) rows.push([r.lab, flow, t.pass, t.runs]);
    if (r.error) rows.push([r.lab, "(setup)", 0, 1]);
  }
  const width = String(repeat).length * 2 + 1;
  const labWidth = Math.max(3, ...rows.map(([lab]) => lab.length));
  const lines = rows.map(
    ([lab, flow, pass, runs]) => `  ${`${pass}/${runs}`.padStart(width)}  ${lab.padEnd(labWidth)}  ${flow}`,
  );
  return [`pass rate of each flow over ${repeat} runs:`, ...lines].join("\n");
}

export const run: Command = {
  name: "run",
  args: "[LAB...]",
  summary:
    "build each lab (a file or a name under labs/; default: every labs/*.yaml) in fresh namespaces, " +
    "run its flows, tear down; results in results/<lab>/<run-id>/ with report.html, non-zero exit on any failure",
  options: [
    { name: "filter", type: "string", value: "TEXT", description: "only flows whose name contains TEXT" },
    {
      name: "repeat",
      type: "string",
      value: "N",
      description: "run each flow N times in the same namespaces and print each flow's pass rate (npm run soak: 20)",
    },
    { name: "jobs", short: "j", type: "string", value: "N", description: "run up to N labs at once (default 1)" },
    {
      name: "keep",
      type: "string",
      value: "N",
      description: "keep the N newest runs of each lab in results/<lab>/ (default NATLAB_KEEP_RUNS, or 10)",
    },
    ...LAB_BUILD_OPTIONS,
    {
      name: "kernel",
      type: "string",
      value: "NAME",
      default: "host",
      description: "run in a VM booted from NAME: debian-6.1 or a Debian kernel package (linux-image-...)",
    },
  ],
  root: true,
  async run({ values, positionals, argv }) {
    const variant = variantOption(values.variant);
    const jobs = count(values.jobs, "--jobs") ?? 1;
    const keep = count(values.keep, "--keep");
    const repeat = count(values.repeat, "--repeat");
    const all = labPaths(positionals, ROOT);
    // Check every lab, flag and file before building any: a typo in the last file should not cost the first lab's run.
    const { preflight } = await import("../run/preflight.ts");
    const filter = values.filter as string | undefined;
    const note = (text: string) => process.stderr.write(`natlab: ${text}\n`);
    const files = await preflight(all, {
      root: ROOT,
      object: values.object as string | undefined,
      prefix: values.prefix as string | undefined,
      filter,
      note,
    });
    for (const f of all.filter((f) => !files.includes(f)))
      note(`${basename(f, ".yaml")}: no flow matches --filter "${filter}", not built`);
    const kernel = String(values.kernel);
    if (kernel !== "host") {
      const passOn = argv.filter(
        (a, i) =>
          !positionals.includes(a) && a !== "--kernel" && argv[i - 1] !== "--kernel" && !a.startsWith("--kernel="),
      );
      return runInKernel(kernel, ["run", ...passOn, ...files.map((f) => resolve(f))]);
    }
    const { runLab } = await import("../run/lab.ts");
    const { mapLimit } = await import("../run/pool.ts");
    const { ownerScope } = await import("../exec/owner.ts");
    const together = Math.min(jobs, files.length);
    const running = new Set<string>();
    let done = 0;
    // One lab at a time prints as it goes; labs side by side each print their block when they end.
    const results = await mapLimit(files, together, async (f) => {
      const block = together > 1 ? new LabBlock() : undefined;
      const name = basename(f, ".yaml");
      running.add(name);
      if (block) status(`started ${name}`, running, done, files.length);
      // Each lab in an owner scope of its own: what it starts is recorded under its run, not a neighbour's.
      const r = await ownerScope(() =>
        runLab(f, {
          root: ROOT,
          variant,
          filter: values.filter as string | undefined,
          object: values.object as string | undefined,
          prefix: values.prefix as string | undefined,
          keep,
          repeat,
          progress: progressFor(block ? block.reporter : new ConsoleReporter()),
        }),
      );
      running.delete(name);
      done++;
      block?.flush();
      return r;
    });
    const failed = results.reduce(
      (n, r) => n + r.outcomes.filter((o) => o.status === "fail").length + (r.error ? 1 : 0),
      0,
    );
    const passed = results.reduce((n, r) => n + r.outcomes.filter((o) => o.status === "pass").length, 0);
    const skipped = results.reduce((n, r) => n + r.outcomes.filter((o) => o.status === "skip").length, 0);
    // Labs that name a design to compare with: both designs' conntrack tables, side by side.
    const { writeConntrackComparison } = await import("../report/compare.ts");
    const { latestRun } = await import("../report/results.ts");
    for (const r of results) {
      if (!r.compareWith) continue;
      // The other design's run from this invocation, or else its latest run.
      const other = results.find((o) => o.lab === r.compareWith)?.resultsDir ?? latestRun(ROOT, r.compareWith)?.dir;
      if (!other) continue;
      const path = writeConntrackComparison({ lab: r.lab, dir: r.resultsDir }, { lab: r.compareWith, dir: other });
      if (path) console.log(`conntrack side by side: ${relative(process.cwd(), path)}`);
    }
    if (repeat && repeat > 1) console.log(`\n${passRates(results, repeat)}`);
    const { writeIndex } = await import("../report/html/index-page.ts");
    const index = writeIndex(
      ROOT,
      results.map((r) => r.resultsDir),
    );
    if (files.length > 1)
      console.log(
        `\nall labs: ${passed} passed, ${failed} failed, ${skipped} skipped; ${relative(process.cwd(), index)}`,
      );
    return failed > 0 ? 1 : 0;
  },
};
