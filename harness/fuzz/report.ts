/**
 * What a fuzz run prints: a progress line while it runs, and a summary at
 * the end (frames and rate, where they came from, what the translator did,
 * whether the counters add up, tshark's share, and each class of violation
 * with how many, an example and the command that reproduces it).
 */
import { describe, parse } from "../packet/index.ts";
import type { FuzzSummary, Progress } from "./fuzz.ts";

const num = (n: number) => n.toLocaleString("en-US");

export function progressLine(p: Progress): string {
  const pct = p.count ? Math.floor((100 * p.frames) / p.count) : 100;
  const rate = p.seconds > 0 ? Math.round(p.frames / p.seconds) : 0;
  const counts = `${num(p.frames)}/${num(p.count)} frames (${pct}%)`;
  return `fuzz: ${counts}, ${num(p.violations)} violations, ${num(rate)} frames/s`;
}

function safeDescribe(b: Buffer | undefined): string {
  if (!b) return "(nothing)";
  try {
    return describe(parse(b));
  } catch {
    return `${b.length} bytes`;
  }
}

function table(rows: Record<string, number>): string {
  const entries = Object.entries(rows).sort((a, b) => b[1] - a[1]);
  return entries.map(([k, v]) => `${k} ${num(v)}`).join(", ");
}

export interface SavedFile {
  kind: string;
  pcap: string;
  frames: number;
  total: number;
  xlat: string;
  replay: string;
}

export function summaryText(s: FuzzSummary, translator: string, saved: SavedFile[], dir: string | undefined): string {
  const t = s.tally;
  const ran = s.frames - t.refused;
  const rate = s.frames / Math.max(s.seconds, 0.001);
  const lines = [
    `natlab fuzz: ${num(s.frames)} frames through ${translator} in ${s.seconds.toFixed(1)} s ` +
      `(${num(Math.round(rate))} frames/s, ${num(Math.round(60 * rate))} a minute), ` +
      `seed ${s.seed}, ${s.batches} batches`,
    `  frames:     ${table(s.bySource)}`,
    `  mutations:  ${table(s.byMutation)}`,
    `  verdicts:   translated ${num(t.translated)}, passed unchanged ${num(t.passed)}, dropped ${num(t.dropped)}, ` +
      `refused by the kernel ${num(t.refused)} (shorter than Ethernet + IP)${t.other ? `, other ${num(t.other)}` : ""}`,
  ];
  if (s.counters) {
    const c = s.counters;
    const sum = c.translated + c.passed + c.dropped;
    lines.push(
      `  counters:   translated ${num(c.translated)} + passed ${num(c.passed)} + dropped ${num(c.dropped)} ` +
        `= ${num(sum)}; ` +
        `frames the program ran: ${num(ran)} ${sum === ran ? "(they add up)" : "(they do NOT add up)"}`,
    );
  }
  const decoded = `${num(s.tsharkFrames)} frames decoded (translated frames and their inputs)`;
  lines.push(`  tshark:     ${s.tsharkFrames ? decoded : "not run"}`);
  // Flaws carried across from deeper than the translator reads: one line, counted by kind in summary.json.
  const carried = Object.entries(s.notes).filter(([k]) => k.startsWith("malformed upper layer"));
  const carriedN = carried.reduce((n, [, v]) => n + v, 0);
  if (carriedN) {
    const kinds = `${carried.length} kinds`;
    lines.push(`  note:       ${num(carriedN)} frames carried a flaw from deeper than the translator reads (${kinds})`);
  }
  for (const [note, n] of Object.entries(s.notes)) {
    if (!note.startsWith("malformed upper layer")) lines.push(`  note:       ${note}: ${num(n)} frames`);
  }
  const kinds = [...s.violations.byKind.entries()].sort((a, b) => b[1] - a[1]);
  if (!kinds.length) {
    lines.push("  violations: none");
    return lines.join("\n");
  }
  lines.push(`  violations: ${num(s.violations.total)} in ${kinds.length} classes`);
  const examples = new Map(s.violations.examples().map((f) => [f.violation.kind, f]));
  for (const [kind, n] of kinds) {
    const ex = examples.get(kind);
    lines.push(`    ✗ ${kind}: ${num(n)}`);
    if (ex) {
      const how = ex.input.mutations.length ? ` by ${ex.input.mutations.join(", ")}` : "";
      lines.push(`        e.g. ${ex.violation.detail}`);
      lines.push(`        in:  ${safeDescribe(ex.input.frame)}`);
      if (ex.output) lines.push(`        out: ${safeDescribe(ex.output)}`);
      lines.push(`        from ${ex.input.origin}${how}; prefix ${ex.prefix}${ex.section ? `, ${ex.section}` : ""}`);
    }
    const files = saved.filter((f) => f.kind === kind);
    for (const f of files.slice(0, 2)) lines.push(`        ${f.replay}`);
    if (files.length > 2) lines.push(`        (${files.length - 2} more pcaps of this class)`);
  }
  if (dir) lines.push(`  saved under ${dir}: a pcap per class and prefix, violations.jsonl, reproduce.sh`);
  return lines.join("\n");
}

/** The run as data, for results/fuzz/<run>/summary.json. */
export function summaryJson(s: FuzzSummary, translator: string): Record<string, unknown> {
  return {
    translator,
    seed: s.seed,
    frames: s.frames,
    seconds: s.seconds,
    batches: s.batches,
    verdicts: s.tally,
    counters: s.counters,
    tsharkFrames: s.tsharkFrames,
    bySource: s.bySource,
    byMutation: s.byMutation,
    notes: s.notes,
    violations: Object.fromEntries(s.violations.byKind),
  };
}
