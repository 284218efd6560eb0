/**
 * A bench run: the translator's cost per packet (micro) and end-to-end
 * throughput through three designs (macro); writes bench.json, bench.md and
 * bench.svg to results/bench/ (and the chart to docs/bench.svg after a full,
 * complete run). `natlab bench` (harness/commands/bench.ts) is its command.
 */
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, release } from "node:os";
import { join, relative } from "node:path";
import { buildBpf, NAT64_OBJECT } from "../bpf/build.ts";
import { onCleanup } from "../exec/cleanup.ts";
import { type Cell, DESIGNS, type DesignResult, KINDS, type Kind, measureDesigns, type Offloads } from "./macro.ts";
import { METHOD, type MicroRow, runMicro } from "./micro.ts";
import { benchMarkdown, benchSvg, DEFAULT_PREFIX } from "./report.ts";
import { type Bench, BenchShape } from "./shape.ts";

export interface BenchRunOptions {
  quick: boolean;
  only?: "micro" | "macro";
  seconds: number;
  repeats: number;
  /** micro: times the translator is loaded anew and timed */
  batches: number;
  object?: string;
  out: string;
  root: string;
  log: (line: string) => void;
  /** as typed, for bench.json (default "natlab bench") */
  command?: string;
}

let signalled = false;
/** Whether SIGINT, SIGTERM or SIGHUP arrived during the run (the cleanup registry handles them). */
function interrupted(): boolean {
  return signalled;
}
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
const onSignal = () => {
  signalled = true;
};

/** Runs what the options ask, writes bench.json, bench.md, bench.svg to opts.out; returns the validated Bench. */
export async function runBench(opts: BenchRunOptions): Promise<Bench> {
  // Registering installs the registry's own signal handlers (which clean up and exit); ours only notes the signal.
  const unregister = onCleanup("natlab bench", () => {});
  for (const sig of SIGNALS) process.prependListener(sig, onSignal);
  try {
    return await benchRun(opts);
  } catch (err) {
    // Interrupted: the registry is still tearing the labs down and exits when done; returning now would let
    // the caller exit first and leave namespaces behind.
    if (interrupted()) await new Promise(() => {});
    throw err;
  } finally {
    for (const sig of SIGNALS) process.removeListener(sig, onSignal);
    unregister();
  }
}

async function benchRun(opts: BenchRunOptions): Promise<Bench> {
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const microCfg = { batches: opts.batches, rounds: opts.quick ? 3 : 10, repeat: opts.quick ? 50 : 500 };
  // One translator object for the whole run: a copy, so a rebuild of bpf/ while the run goes on changes nothing.
  await buildBpf();
  const source = opts.object ?? NAT64_OBJECT;
  mkdirSync(join(opts.out, "build"), { recursive: true });
  const object = join(opts.out, "build", "nat64-measured.o");
  copyFileSync(source, object);
  const objectSha256 = createHash("sha256").update(readFileSync(object)).digest("hex");
  const errors: string[] = [];
  let rows: MicroRow[] = [];
  if (opts.only !== "macro") {
    console.log(
      `natlab bench: cost per packet (${microCfg.batches} batches × ${microCfg.rounds} calls × ${microCfg.repeat} runs per program and case)`,
    );
    rows = await runMicro({
      root: opts.root,
      prefixes: [DEFAULT_PREFIX, "2001:db8:64::/96"],
      ...microCfg,
      onProgress: opts.log,
      object,
    });
  }
  const offloads: Offloads[] = opts.quick ? ["on"] : ["on", "off"];
  const kinds: Kind[] = KINDS.map((k) => k.kind);
  const results: DesignResult[] = [];
  if (opts.only !== "micro") {
    console.log(
      `natlab bench: throughput (${opts.quick ? "quick: 16 MB or 20000 datagrams per run" : `${opts.repeats} × ${opts.seconds} s per measurement`}, offloads ${offloads.join(" and ")})`,
    );
    // The diagnostic steps between plain-ipv4 and nat66-nat64 in a full run only: TCP, 1 and 4 streams.
    const plans = DESIGNS.filter((d) => !d.diagnostic || !opts.quick).map((design) => ({
      design,
      kinds: design.diagnostic ? (["tcp1", "tcp4"] as Kind[]) : kinds,
    }));
    results.push(
      ...(await measureDesigns(plans, {
        root: opts.root,
        quick: opts.quick,
        seconds: opts.seconds,
        repeats: opts.repeats,
        offloads,
        probes: !opts.quick,
        onProgress: opts.log,
        object,
        interrupted,
        onError: (d, err) => {
          errors.push(`(${d.id}) ${d.title}: ${err.message}`);
          opts.log(`(${d.id}) ${d.title} could not be measured: ${err.message}`);
        },
      })),
    );
  }
  const cells = results.flatMap((r) => r.cells);
  const durationMs = Date.now() - started;
  const bench: Bench = {
    version: 3,
    mode: opts.quick ? "quick" : "full",
    command: opts.command ?? "natlab bench",
    startedAt,
    durationMs,
    kernel: release(),
    cpus: cpus().length,
    object: relative(opts.root, source),
    objectSha256,
    micro: { method: METHOD, ...microCfg, rows },
    macro: {
      method:
        "iperf3 3.x: the server a lab service in the server namespace (--server --json --bind 203.0.113.1), the client in the client namespace with -J --get-server-output; " +
        "TCP: Gbit/s received; UDP: 64-byte datagrams at -b 0, datagrams received per second as the server counted them; " +
        "offloads off = `ethtool -K DEV tx off` on every veth end, restored after; median of the repeats",
      seconds: opts.quick ? 0 : opts.seconds,
      repeats: opts.repeats,
      designs: DESIGNS.filter((d) => results.some((r) => r.design === d.id)).map((d) => ({ ...d })),
      cells,
      ratios: ratios(cells, kinds, offloads),
      features: Object.fromEntries(results.map((r) => [r.design, r.features])),
      probes: results.flatMap((r) => r.probes),
    },
    targets: [],
    errors,
  };
  bench.targets = targets(bench);
  const checked = BenchShape.parse(bench);
  mkdirSync(opts.out, { recursive: true });
  writeFileSync(join(opts.out, "bench.json"), `${JSON.stringify(checked, null, 2)}\n`);
  writeFileSync(join(opts.out, "bench.md"), benchMarkdown(checked));
  writeFileSync(join(opts.out, "bench.svg"), benchSvg(checked));
  const complete = !opts.quick && opts.only === undefined && opts.object === undefined && errors.length === 0;
  if (complete) copyFileSync(join(opts.out, "bench.svg"), join(opts.root, "docs/bench.svg"));
  console.log(
    `natlab bench: wrote ${["bench.json", "bench.md", "bench.svg"].map((f) => relative(process.cwd(), join(opts.out, f))).join(", ")}${complete ? " and docs/bench.svg" : ""}`,
  );
  return checked;
}

function ratios(cells: Cell[], kinds: Kind[], offloads: Offloads[]): Bench["macro"]["ratios"] {
  const med = (d: string, kind: Kind, o: Offloads) =>
    cells.find((c) => c.design === d && c.kind === kind && c.offloads === o)?.median;
  const div = (x?: number, y?: number) => (x !== undefined && y ? x / y : null);
  const out: Bench["macro"]["ratios"] = [];
  for (const o of offloads)
    for (const kind of kinds)
      if (cells.some((c) => c.kind === kind && c.offloads === o))
        out.push({
          kind,
          offloads: o,
          vsPlainIpv4: div(med("nat66-nat64", kind, o), med("plain-ipv4", kind, o)),
          vsNat44Design: div(med("nat66-nat64", kind, o), med("nat44-design", kind, o)),
        });
  return out;
}

/** The issue's targets, judged only in a full run (quick figures are not measurements). */
function targets(b: Bench): Bench["targets"] {
  const judge = (ok: boolean) => (b.mode === "quick" ? null : ok);
  const out: (Omit<Bench["targets"][number], "met"> & { judged: boolean })[] = [];
  const core = b.micro.rows.filter((r) => r.prefix === DEFAULT_PREFIX && /^(TCP|UDP|ICMP echo)/.test(r.case));
  if (core.length) {
    const worst = core.reduce((w, r) => (r.ratio > w.ratio ? r : w));
    out.push({
      what: "ns per translation / ns of change_proto, TCP, UDP, ICMP echo, each direction (worst case)",
      target: "≤ 2.5",
      actual: `${worst.ratio.toFixed(2)} (${worst.direction} ${worst.case}: ${worst.ns.value.toFixed(1)} ns vs ${worst.protoNs.value.toFixed(1)} ns)`,
      judged: worst.ratio <= 2.5,
    });
  }
  const r = b.macro.ratios.find((x) => x.kind === "tcp1" && x.offloads === "on");
  if (r?.vsPlainIpv4 != null)
    out.push({
      what: "nat66-nat64 / plain-ipv4, TCP 1 stream, default offloads",
      target: "≥ 0.85",
      actual: r.vsPlainIpv4.toFixed(2),
      judged: r.vsPlainIpv4 >= 0.85,
    });
  if (r?.vsNat44Design != null)
    out.push({
      what: "nat66-nat64 / nat44-design, TCP 1 stream, default offloads",
      target: "≥ 10",
      actual: r.vsNat44Design.toFixed(1),
      judged: r.vsNat44Design >= 10,
    });
  return out.map(({ judged, ...t }) => ({ ...t, met: judge(judged) }));
}
