/**
 * natlab: build NAT64 labs in network namespaces, run their flows, report.
 *
 *   natlab run [LAB...] [--filter TEXT] [--variant clsact|literal] [--object O.o] [--prefix P/LEN]
 *   natlab script LAB [--variant clsact|literal]
 *   natlab build
 *   natlab doctor
 *   natlab clean
 *   natlab xlat IN.pcap --out OUT.pcap [--prefix P/LEN] [--report R.jsonl] [--section 6to4|4to6]
 *   natlab stats [LAB...] [--ns NS --dev DEV]
 *   natlab schema            (writes schema/lab.schema.json)
 *   natlab bpf-config --ns NS --dev DEV --hook ingress|egress --prefix P/LEN
 */
import { readdirSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { runCleanups } from "./exec/cleanup.ts";
import { toolEnv } from "./exec/command.ts";
import { cleanAll } from "./exec/netns.ts";
import { LabError } from "./lab/load.ts";
import { ConsoleReporter } from "./report/console.ts";
import { ROOT } from "./root.ts";
import type { ProgressSink } from "./run/lab.ts";
import { UsageError } from "./commands/command.ts";
import { dispatch } from "./commands/dispatch.ts";


const USAGE = `natlab: a regression suite and teaching lab for stateless NAT64 in eBPF

usage:
  natlab run [LAB...]       build each lab in fresh namespaces, run its flows, tear down
                            (default: every labs/*.yaml); results in results/<lab>/
      --filter TEXT         only flows whose name contains TEXT
      --variant V           clsact (default) or literal (the write-up's prio/matchall/act_bpf/act_csum)
      --object FILE         use another translator build for every BPF attachment
      --prefix P/LEN        use another NAT64 prefix for every BPF attachment
      --kernel NAME         run inside a VM booted from NAME: host (default), debian-6.1,
                            or a Debian kernel package (linux-image-...)
  natlab script LAB         print the lab's plan as a shell script (--kernel NAME: for that kernel)
  natlab matrix [--kernels host,debian-6.1] [LAB...]
                            golden cases and labs on each kernel, as a table
  natlab build              build bpf/nat64.o and the xlat runner
  natlab doctor             check tools, kernel features, privileges, bpffs and tracefs
  natlab clean              remove leftover natlab namespaces
  natlab xlat IN.pcap --out OUT.pcap [--prefix P/LEN] [--report R.jsonl] [--section 6to4|4to6]
                            run each frame through the translator (BPF_PROG_TEST_RUN)
  natlab golden build|check|verify [--object O.o] [--filter TEXT]
                            the translator's golden packet cases (fixtures/pcaps/)
  natlab bench [--quick] [--only micro|macro]
                            cost per packet and throughput through labs/bench/; results in results/bench/
  natlab stats [LAB...]     the translator counters of running labs, or of a lab's last run
  natlab schema             write schema/lab.schema.json (for editors)
`;

function labFiles(args: string[]): string[] {
  if (args.length) return args;
  const dir = join(ROOT, "labs");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => relative(process.cwd(), join(dir, f)));
}

function progressFor(reporter: ConsoleReporter): ProgressSink {
  return {
    labStart: (lab, info) => reporter.labStart({ lab: lab.name, flows: info.flows, kernel: info.kernel, variant: info.variant }),
    setup: (done, total) => reporter.setup(done, total),
    setupFailed: (step, total, message) => reporter.setupFailed(step, total, message.replace(/^setup step \d+\/\d+ failed: /, "")),
    flow: (o) =>
      reporter.flow({ name: o.name, status: o.status, durationMs: o.durationMs, failure: o.failures.join("\n\n") || undefined, skip: o.reason }),
    labEnd: (lab, outcomes, ms, dir, error) =>
      reporter.summary({
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

function needRoot(what: string): void {
  if (process.getuid?.() !== 0) {
    throw new UsageError(`${what} needs root (network namespaces, tc and BPF): run it as root, or in the Vagrant VM (see README)`);
  }
}


async function cmdRun(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      filter: { type: "string" },
      variant: { type: "string" },
      object: { type: "string" },
      prefix: { type: "string" },
      kernel: { type: "string", default: "host" },
    },
  });
  const variant = values.variant as "clsact" | "literal" | undefined;
  if (variant && variant !== "clsact" && variant !== "literal") throw new UsageError(`--variant is clsact or literal, not ${variant}`);
  const files = labFiles(positionals);
  // Validate every lab before building any: a typo in the last file should not cost the first lab's run.
  const { loadLab } = await import("./lab/load.ts");
  for (const f of files) loadLab(f);
  needRoot("natlab run");
  if (values.kernel !== "host") {
    const passOn = argv.filter((a, i) => !positionals.includes(a) && a !== "--kernel" && argv[i - 1] !== "--kernel" && !a.startsWith("--kernel="));
    return runInKernel(values.kernel ?? "host", ["run", ...passOn, ...files.map((f) => resolve(f))]);
  }
  const { runLab } = await import("./run/lab.ts");
  const reporter = new ConsoleReporter();
  let failed = 0;
  let passed = 0;
  let skipped = 0;
  const results = [];
  for (const f of files) {
    const r = await runLab(f, { root: ROOT, variant, filter: values.filter, object: values.object, prefix: values.prefix, progress: progressFor(reporter) });
    failed += r.outcomes.filter((o) => o.status === "fail").length + (r.error ? 1 : 0);
    passed += r.outcomes.filter((o) => o.status === "pass").length;
    skipped += r.outcomes.filter((o) => o.status === "skip").length;
    results.push(r);
  }
  // Labs that name a design to compare with: both designs' conntrack tables, side by side.
  const { writeConntrackComparison } = await import("./report/compare.ts");
  const { latestRun } = await import("./report/results.ts");
  for (const r of results) {
    if (!r.compareWith) continue;
    // The other design's run from this invocation, or else its latest run.
    const other = results.find((o) => o.lab === r.compareWith)?.resultsDir ?? latestRun(ROOT, r.compareWith)?.dir;
    if (!other) continue;
    const path = writeConntrackComparison({ lab: r.lab, dir: r.resultsDir }, { lab: r.compareWith, dir: other });
    if (path) console.log(`conntrack side by side: ${relative(process.cwd(), path)}`);
  }
  if (files.length > 1) console.log(`\nall labs: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  return failed > 0 ? 1 : 0;
}

/** `--kernel NAME`: the same natlab command inside a VM booted from that kernel. */
async function runInKernel(kernel: string, guestArgv: string[]): Promise<number> {
  const { natlabInVm } = await import("./vm/labs.ts");
  const tag = `[${kernel}] `;
  const r = await natlabInVm({
    kernel,
    argv: guestArgv,
    onLine: (line) => console.log(tag + line),
    onProgress: (m) => console.log(`${tag}${m}`),
  });
  console.log(`${tag}kernel ${r.kernel.version}: natlab ${guestArgv[0]} exited with ${r.exitCode} after ${r.seconds.toFixed(0)}s in the VM`);
  return r.exitCode;
}

async function cmdMatrix(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { kernels: { type: "string", default: "host,debian-6.1" } } });
  needRoot("natlab matrix");
  const { failedColumn, formatMatrix, matrixPath, readColumn, shown } = await import("./matrix.ts");
  const { existsSync, rmSync } = await import("node:fs");
  const labs = (positionals.length ? positionals : ["labs/article.yaml"]).map((f) => resolve(f));
  const { loadLab } = await import("./lab/load.ts");
  for (const f of labs) loadLab(f);
  const started = Date.now();
  const columns = [];
  for (const kernel of (values.kernels ?? "host").split(",").map((k) => k.trim()).filter(Boolean)) {
    const out = matrixPath(kernel);
    console.log(`matrix: kernel ${kernel}`);
    // Never show an earlier run's column as this one's.
    rmSync(out, { force: true });
    let code = 0;
    const t0 = Date.now();
    if (kernel === "host") {
      const { matrixWorker } = await import("./matrix.ts");
      code = await matrixWorker(out, labs);
    } else {
      code = await runInKernel(kernel, ["matrix-worker", "--out", out, ...labs]).catch((err: Error) => {
        console.log(`matrix: ${kernel}: ${err.message}`);
        return 1;
      });
    }
    if (!existsSync(out)) {
      columns.push(failedColumn(kernel, `the natlab worker exited with ${code} before writing its results`, (Date.now() - t0) / 1000));
      continue;
    }
    columns.push(readColumn(out));
    console.log(`matrix: ${kernel} results in ${shown(out)}`);
  }
  const table = formatMatrix(columns);
  console.log(`\n${table}\n\nmatrix wall time: ${((Date.now() - started) / 1000).toFixed(0)}s`);
  const { writeFileSync } = await import("node:fs");
  writeFileSync(resolve(matrixPath("host"), "..", "matrix.txt"), `${table}\n`);
  const bad = columns.some((c) => [...Object.values(c.golden), ...Object.values(c.labs)].some((x) => x.failed > 0 || x.error));
  return bad ? 1 : 0;
}

async function cmdScript(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { variant: { type: "string" }, kernel: { type: "string", default: "host" } },
  });
  if (positionals.length !== 1) throw new UsageError("usage: natlab script LAB [--variant clsact|literal] [--kernel NAME]");
  const { loadLab } = await import("./lab/load.ts");
  const { defaultVariant, detectFeatures } = await import("./plan/features.ts");
  const { planLab } = await import("./plan/plan.ts");
  const { planToScript } = await import("./plan/script.ts");
  const lab = loadLab(positionals[0]);
  let features = detectFeatures();
  if (values.kernel && values.kernel !== "host") {
    // The plan for another kernel is made from that kernel's own build configuration.
    const { prepareKernel } = await import("./vm/kernels.ts");
    const { kernelFeatures } = await import("./vm/labs.ts");
    features = kernelFeatures(await prepareKernel(values.kernel, { onProgress: (m) => process.stderr.write(`natlab: ${m}\n`) }));
  }
  const variant = values.variant === "literal" ? "literal" : values.variant === "clsact" ? "clsact" : defaultVariant(features, lab.literal !== undefined);
  const plan = planLab(lab, { runId: "script", features, root: ROOT, variant, labPath: positionals[0] });
  process.stdout.write(planToScript(plan));
  return 0;
}

async function main(argv: string[]): Promise<number> {
  // Commands in the table (harness/commands/) first; the rest below move there one by one.
  const tabled = await dispatch(argv);
  if (tabled !== undefined) return tabled;
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case "run":
      return cmdRun(rest);
    case "script":
      return cmdScript(rest);
    case "build": {
      const { buildBpf } = await import("./bpf/build.ts");
      await buildBpf();
      return 0;
    }
    case "doctor": {
      const { doctor } = await import("./doctor.ts");
      return doctor();
    }
    case "clean": {
      needRoot("natlab clean");
      const removed = await cleanAll();
      console.log(removed.length ? `removed ${removed.length} namespace(s): ${removed.join(" ")}` : "no natlab namespaces left over");
      return 0;
    }
    case "xlat": {
      const { xlatCommand } = await import("./bpf/xlat-cli.ts");
      return xlatCommand(rest);
    }
    case "matrix":
      return cmdMatrix(rest);
    case "bench": {
      const { benchCommand } = await import("./bench/cli.ts");
      return benchCommand(rest);
    }
    case "matrix-worker": {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { out: { type: "string" } } });
      needRoot("natlab matrix");
      const { matrixWorker, matrixPath } = await import("./matrix.ts");
      return matrixWorker(values.out ?? matrixPath("host"), positionals);
    }
    case "golden": {
      const { goldenCommand } = await import("./golden/cli.ts");
      return goldenCommand(rest);
    }
    case "stats": {
      const { statsCommand } = await import("./bpf/stats-cli.ts");
      return statsCommand(rest);
    }
    case "bpf-config": {
      const { bpfConfigCommand } = await import("./bpf/config-cli.ts");
      return bpfConfigCommand(rest);
    }
    case "schema": {
      const { writeLabJsonSchema } = await import("./lab/jsonschema.ts");
      writeLabJsonSchema();
      console.log("wrote schema/lab.schema.json");
      return 0;
    }
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(USAGE);
      return cmd === undefined ? 2 : 0;
    default:
      process.stderr.write(`natlab: unknown command '${cmd}'\n\n${USAGE}`);
      return 2;
  }
}

// Every tool natlab runs comes from the system, never from node_modules/.bin (see toolEnv).
process.env.PATH = toolEnv().PATH;
main(process.argv.slice(2))
  .then(async (code) => {
    await runCleanups();
    process.exit(code);
  })
  .catch(async (err: Error) => {
    await runCleanups((l) => process.stderr.write(`natlab: ${l}\n`));
    if (err instanceof LabError || err instanceof UsageError) process.stderr.write(`${err.message}\n`);
    else process.stderr.write(`natlab: ${err.stack ?? err.message}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  });
