/**
 * `natlab bench compare OLD.o NEW.o`: two translator builds timed on the
 * same frames, their drivers taking turns call by call in one runner, with
 * a verdict per case (faster, slower or the same) from the confidence
 * interval of the difference. `--macro` adds iperf3 through the NAT66 +
 * BPF NAT64 bench lab with each build, taking turns run by run.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DESIGNS, type Kind, measureDesigns, median } from "./macro.ts";
import { proofOf, type Sampling, timeCases, translationCost } from "./micro.ts";
import { type Estimate, formatEstimate, pairedDifference, scale, type Verdict, verdict } from "./stats.ts";

export interface CompareRow {
  case: string;
  direction: "6to4" | "4to6";
  prefix: string;
  /** ns per translation of each build */
  old: Estimate;
  new: Estimate;
  /** new - old, ns, call by call */
  diff: Estimate;
  /** diff / old, a fraction */
  relative: Estimate;
  verdict: Verdict;
}

export interface MacroCompareRow {
  kind: Kind;
  old: number[];
  new: number[];
  /** median(new) / median(old) */
  ratio: number;
}

export interface Comparison {
  old: string;
  new: string;
  sampling: Sampling;
  /** the verdict's margin, a fraction */
  margin: number;
  rows: CompareRow[];
  macro?: MacroCompareRow[];
}

export interface CompareOptions extends Sampling {
  root: string;
  oldObject: string;
  newObject: string;
  prefixes: string[];
  margin: number;
  macro?: { seconds: number; repeats: number };
  onProgress: (line: string) => void;
}

export async function runCompare(opts: CompareOptions): Promise<Comparison> {
  const rows: CompareRow[] = [];
  for (const prefix of opts.prefixes) {
    opts.onProgress(
      `compare: prefix ${prefix}, ${opts.batches} batches × ${opts.rounds} rounds × ${opts.repeat} runs per build and case`,
    );
    for (const { name, line } of await timeCases([opts.oldObject, opts.newObject], prefix, opts)) {
      proofOf(name, prefix, line);
      const old = translationCost(line, 0);
      const diff = pairedDifference(line.programs["xlat[1]"], line.programs["xlat[0]"], line.rounds);
      const relative = scale(diff, 1 / old.value);
      const row: CompareRow = {
        case: name,
        direction: line.section,
        prefix,
        old,
        new: translationCost(line, 1),
        diff,
        relative,
        verdict: verdict(relative, opts.margin),
      };
      rows.push(row);
      opts.onProgress(`compare: ${formatRow(row)}`);
    }
  }
  const out: Comparison = {
    old: opts.oldObject,
    new: opts.newObject,
    sampling: { batches: opts.batches, rounds: opts.rounds, repeat: opts.repeat },
    margin: opts.margin,
    rows,
  };
  if (opts.macro) out.macro = await macroCompare(opts, opts.macro);
  return out;
}

/** iperf3 through the NAT66 + BPF NAT64 bench lab, each build in turn, run by run. */
async function macroCompare(opts: CompareOptions, m: { seconds: number; repeats: number }): Promise<MacroCompareRow[]> {
  const design = DESIGNS.find((d) => d.id === "nat66-nat64")!;
  const kinds: Kind[] = ["tcp1", "tcp4"];
  const samples = { old: new Map<Kind, number[]>(), new: new Map<Kind, number[]>() };
  for (let r = 0; r < m.repeats; r++) {
    for (const [which, object] of [
      ["old", opts.oldObject],
      ["new", opts.newObject],
    ] as const) {
      const [res] = await measureDesigns([{ design, kinds }], {
        root: opts.root,
        quick: false,
        seconds: m.seconds,
        repeats: 1,
        offloads: ["on"],
        probes: false,
        onProgress: (l) => opts.onProgress(`compare --macro, ${which}: ${l}`),
        object,
        interrupted: () => false,
        onError: (_d, err) => {
          throw err; // one build's throughput alone says nothing: the comparison stops
        },
      });
      for (const c of res?.cells ?? []) samples[which].set(c.kind, [...(samples[which].get(c.kind) ?? []), c.median]);
    }
  }
  return kinds.map((kind) => {
    const o = samples.old.get(kind) ?? [];
    const n = samples.new.get(kind) ?? [];
    return { kind, old: o, new: n, ratio: median(n) / median(o) };
  });
}

function pct(e: Estimate): string {
  const p = (x: number) => `${x >= 0 ? "+" : ""}${(100 * x).toFixed(1)}%`;
  return `${p(e.value)} [${p(e.lo)}, ${p(e.hi)}]`;
}

export function formatRow(r: CompareRow): string {
  return `${r.direction} ${r.case.padEnd(11)} ${formatEstimate(r.old)} → ${formatEstimate(r.new)}  ${pct(r.relative)}  ${r.verdict}`;
}

/** compare.md: the table a reviewer reads. */
export function compareMarkdown(c: Comparison): string {
  const out = [
    `# natlab bench compare`,
    "",
    `old: ${c.old}  `,
    `new: ${c.new}`,
    "",
    `${c.sampling.batches} batches × ${c.sampling.rounds} calls × ${c.sampling.repeat} runs per build and case. ` +
      `ns per translation with 95% intervals; the difference is taken call by call. ` +
      `Verdict: slower or faster when the whole interval of the difference lies beyond ±${(100 * c.margin).toFixed(1)}%, else the same.`,
    "",
    "| direction | case | prefix | old ns | new ns | difference | verdict |",
    "|---|---|---|---:|---:|---:|---|",
    ...c.rows.map(
      (r) =>
        `| ${r.direction} | ${r.case} | ${r.prefix} | ${formatEstimate(r.old, "")} | ${formatEstimate(r.new, "")} | ${pct(r.relative)} | ${r.verdict} |`,
    ),
    "",
  ];
  if (c.macro) {
    out.push("## Throughput, NAT66 + BPF NAT64 (iperf3, default offloads)", "");
    out.push(
      "Runs on a shared machine move by tens of percent: read this as a check that nothing broke, not as a verdict.",
      "",
    );
    out.push("| test | old Gbit/s | new Gbit/s | new / old |", "|---|---|---|---:|");
    for (const m of c.macro)
      out.push(
        `| ${m.kind} | ${m.old.map((v) => v.toFixed(2)).join(", ")} | ${m.new.map((v) => v.toFixed(2)).join(", ")} | ${m.ratio.toFixed(2)} |`,
      );
    out.push("");
  }
  return out.join("\n");
}

export function writeComparison(dir: string, c: Comparison): string[] {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, "compare.json");
  const md = join(dir, "compare.md");
  writeFileSync(json, `${JSON.stringify(c, null, 2)}\n`);
  writeFileSync(md, compareMarkdown(c));
  return [json, md];
}
