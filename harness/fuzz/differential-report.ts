/**
 * What differential fuzzing prints and saves: the summary (frames, what
 * agreed, each class of disagreement with the explanations that cover it),
 * and for every frame no explanation covers, a pcap per (class, prefix) of
 * the inputs, natlab's outputs and the reference's beside them, a JSON line
 * each, and reproduce.sh with the command that runs them through both again.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { slugOf } from "../golden/cases.ts";
import { pcapBytes } from "../packet/index.ts";
import type { DiffSummary, Disagreement } from "./differential.ts";
import { EXPLANATIONS } from "./explain/index.ts";
import { show } from "./replay.ts";

const num = (n: number) => n.toLocaleString("en-US");

/** The command that runs a saved pcap through natlab and the reference again. */
export function replayCommand(pcap: string, prefix: string, reference: string): string {
  return `natlab fuzz --reference ${reference} --replay ${pcap} --prefix ${prefix}`;
}

export interface SavedClass {
  kind: string;
  prefix: string;
  pcap: string;
  frames: number;
  replay: string;
}

/** Unexplained disagreements into `dir`; returns what was written, by (class, prefix). */
export function saveUnexplained(s: DiffSummary, dir: string): SavedClass[] {
  mkdirSync(dir, { recursive: true });
  const buckets = new Map<string, Disagreement[]>();
  for (const [kind, c] of s.classes) {
    for (const d of c.unexplained) {
      const key = `${kind}\u0000${d.frame.prefix}`;
      buckets.set(key, [...(buckets.get(key) ?? []), d]);
    }
  }
  const saved: SavedClass[] = [];
  const lines: string[] = [];
  let n = 0;
  for (const [key, ds] of buckets) {
    const [kind, prefix] = key.split("\u0000");
    const name = `${String(++n).padStart(3, "0")}-${slugOf(kind).slice(0, 60)}-${slugOf(prefix)}`;
    const pcap = join(dir, `${name}.pcap`);
    writeFileSync(pcap, pcapBytes(ds.map((d) => d.frame.frame)));
    const ours = ds.flatMap((d) => (d.ours ? [d.ours] : []));
    if (ours.length) writeFileSync(join(dir, `${name}.natlab.pcap`), pcapBytes(ours));
    const theirs = ds.flatMap((d) => d.theirs);
    if (theirs.length) writeFileSync(join(dir, `${name}.${s.reference}.pcap`), pcapBytes(theirs));
    const shown = relative(process.cwd(), pcap) || pcap;
    saved.push({ kind, prefix, pcap: shown, frames: ds.length, replay: replayCommand(shown, prefix, s.reference) });
    ds.forEach((d, i) => {
      lines.push(
        JSON.stringify({
          kind,
          detail: d.comparison.detail,
          pcap: shown,
          frame: i,
          prefix,
          origin: d.frame.origin,
          mutations: d.frame.mutations,
          batch: d.frame.batch,
          index: d.frame.index,
          in: show(d.frame.frame),
          natlab: show(d.ours),
          [s.reference]: d.theirs.map(show),
        }),
      );
    });
  }
  writeFileSync(join(dir, "differences.jsonl"), lines.length ? `${lines.join("\n")}\n` : "");
  const crashed = saveCrashes(s, dir);
  writeFileSync(
    join(dir, "reproduce.sh"),
    [...saved, ...crashed].map((f) => `# ${f.kind} (${f.frames} frames)\n${f.replay}\n`).join("\n"),
  );
  return [...saved, ...crashed];
}

/** The kind of a saved frame that stopped the reference's kernel. */
export const CRASH_KIND = "crashed the kernel";

/**
 * Each frame that stopped the reference's kernel, in dir/crashes: its pcap
 * (one frame), the kernel's report beside it, and the command that sends
 * it through both translators again.
 */
function saveCrashes(s: DiffSummary, dir: string): SavedClass[] {
  if (!s.crashes.length) return [];
  const at = join(dir, "crashes");
  mkdirSync(at, { recursive: true });
  return s.crashes.map((c, k) => {
    const name = `${String(k + 1).padStart(3, "0")}-${slugOf(c.frame.prefix)}`;
    const pcap = join(at, `${name}.pcap`);
    writeFileSync(pcap, pcapBytes([c.frame.frame]));
    writeFileSync(
      join(at, `${name}.console.txt`),
      `frame ${c.frame.batch}/${c.frame.index} (${c.frame.origin}; ${c.frame.mutations.join(", ") || "no mutation"}), prefix ${c.frame.prefix}\n` +
        `in: ${show(c.frame.frame)}\n\n${c.trace}\n`,
    );
    const shown = relative(process.cwd(), pcap) || pcap;
    return {
      kind: `${s.reference} ${CRASH_KIND}`,
      prefix: c.frame.prefix,
      pcap: shown,
      frames: 1,
      replay: replayCommand(shown, c.frame.prefix, s.reference),
    };
  });
}

/** summary.json: the same figures as the console, every class with its explanations. */
export function diffSummaryJson(s: DiffSummary, ours: string): unknown {
  return {
    translator: ours,
    reference: s.reference,
    seed: s.seed,
    frames: s.frames,
    seconds: s.seconds,
    agree: s.agree,
    notApplicable: s.notApplicable,
    errors: s.errors,
    explained: s.explained,
    unexplained: s.unexplained,
    crashes: s.crashes.map((c) => ({
      batch: c.frame.batch,
      index: c.frame.index,
      prefix: c.frame.prefix,
      trace: c.trace.split("\n")[0],
    })),
    classes: [...s.classes].map(([kind, c]) => ({
      kind,
      total: c.total,
      explained: Object.fromEntries(c.explained),
      unexplained: c.unexplainedTotal,
    })),
  };
}

export function diffSummaryText(s: DiffSummary, ours: string, saved: SavedClass[], dir: string | undefined): string {
  const differ = s.explained + s.unexplained;
  const na = Object.values(s.notApplicable).reduce((a, b) => a + b, 0);
  const lines = [
    `natlab fuzz --reference ${s.reference}: ${num(s.frames)} frames through ${ours} and ${s.reference} in ${s.seconds.toFixed(1)} s, seed ${s.seed}`,
    `  compared:   ${num(s.frames - na - s.errors)}: ${num(s.agree)} agree, ${num(differ)} differ ` +
      `(${num(s.explained)} explained, ${num(s.unexplained)} unexplained)`,
    `  n/a:        ${num(na)} (${
      Object.entries(s.notApplicable)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k}: ${num(v)}`)
        .join("; ") || "none"
    })`,
  ];
  if (s.crashes.length)
    lines.push(
      `  crashed:    ${num(s.crashes.length)} frames stopped ${s.reference}'s kernel (in n/a: not comparable), each saved with its call trace`,
    );
  if (s.errors)
    lines.push(
      `  errors:     ${num(s.errors)} frames the reference could not run (markers lost three times, or reboots exhausted)`,
    );
  const classes = [...s.classes].sort((a, b) => b[1].total - a[1].total);
  if (classes.length) lines.push("  classes of disagreement:");
  for (const [kind, c] of classes) {
    const by = [...c.explained].map(([id, k]) => `${id} ${num(k)}`).join(", ");
    const un = c.unexplainedTotal ? `${by ? "; " : ""}UNEXPLAINED ${num(c.unexplainedTotal)}` : "";
    lines.push(`    ${num(c.total).padStart(7)}  ${kind}: ${by}${un}`);
  }
  const used = new Set(classes.flatMap(([, c]) => [...c.explained.keys()]));
  const whats = EXPLANATIONS.filter((e) => used.has(e.id));
  if (whats.length) {
    lines.push("  explanations (fixtures/pcaps/compare-decisions.yaml, docs/translator.md):");
    for (const e of whats) lines.push(`    ${e.id}: ${e.what}`);
  }
  if (saved.length) {
    lines.push(`  unexplained and crashes, saved in ${dir}:`);
    for (const f of saved) lines.push(`    ${f.kind} (${f.prefix}, ${num(f.frames)} frames): ${f.replay}`);
  }
  lines.push(
    s.unexplained || s.errors
      ? "differences left unexplained: decide each (a fix, or a decision with its golden case)"
      : "every difference is explained",
  );
  return lines.join("\n");
}

/** --replay: one block per frame, what each did and how they compare. */
export function replayLines(
  ds: {
    index: number;
    d: Disagreement | undefined;
    input: Buffer;
    ours?: Buffer;
    theirs: Buffer[];
    status: string;
    detail: string;
  }[],
  reference: string,
): string[] {
  const lines: string[] = [];
  for (const x of ds) {
    const e = x.d?.explanation;
    const mark = x.status === "differ" ? (e ? `explained: ${e.id}` : "✗ UNEXPLAINED") : x.status;
    lines.push(`${String(x.index).padStart(4)}  ${x.d?.comparison.kind ?? x.status}  ${mark}`);
    lines.push(`        in:      ${show(x.input)}`);
    lines.push(`        natlab:  ${show(x.ours)}`);
    lines.push(
      `        ${reference.padEnd(8)} ${x.theirs.length ? x.theirs.map(show).join(" | ") : "(nothing translated)"}`,
    );
    if (x.detail) lines.push(`        ${x.detail}`);
  }
  return lines;
}
