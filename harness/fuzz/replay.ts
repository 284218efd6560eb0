/**
 * `natlab fuzz --replay FILE`: the frames of a saved pcap through the
 * translator again, every invariant checked as in the run that found them,
 * one verdict per frame, decoded. What a developer runs after a fix.
 */

import { describe, parse, readPcap } from "../packet/index.ts";
import { parsePrefix } from "../packet/prefix.ts";
import { counterProblems } from "./counters.ts";
import { checkFrame, type Violation } from "./invariants.ts";
import type { TranslateConfig, TranslatorUnderTest } from "./translator.ts";
import { tsharkClass, tsharkErrors } from "./tshark.ts";

export interface ReplayResult {
  frames: number;
  /** Per frame: its violations (empty when it is fine). */
  violations: Violation[][];
  lines: string[];
}

/** A frame in one line for a report: its layers, or its size when it does not parse. */
export function show(b: Buffer | undefined): string {
  if (!b) return "(nothing)";
  try {
    return describe(parse(b));
  } catch {
    return `${b.length} bytes`;
  }
}

export async function replay(
  translator: TranslatorUnderTest,
  file: string,
  config: TranslateConfig,
  useTshark = true,
): Promise<ReplayResult> {
  const frames = readPcap(file).frames.map((f) => f.data);
  const prefix = parsePrefix(config.prefix);
  const r = await translator.translate(frames, config);
  const reports = r.outcomes.map((o, i) => checkFrame(frames[i], o, prefix));
  const found: Violation[][] = reports.map((x) => x.violations);
  const translated = r.outcomes
    .map((o, i) =>
      o.verdict === "ok" && o.outputs[0] && !reports[i].inputMalformed && !reports[i].violations.length ? i : -1,
    )
    .filter((i) => i >= 0);
  if (useTshark && translated.length) {
    const errs = await tsharkErrors([
      ...translated.map((i) => frames[i]),
      ...translated.map((i) => r.outcomes[i].outputs[0]),
    ]);
    translated.forEach((i, k) => {
      if (errs[k].length) return;
      for (const e of errs[translated.length + k]) found[i].push({ kind: `tshark: ${tsharkClass(e)}`, detail: e });
    });
  }
  const lines: string[] = [];
  r.outcomes.forEach((o, i) => {
    const mark = found[i].length ? `✗ ${found[i].map((v) => v.kind).join("; ")}` : "✓";
    lines.push(`${String(i).padStart(4)}  ${o.section ?? ""}  ${o.verdict.padEnd(5)}  ${mark}`);
    lines.push(`        in:  ${show(frames[i])}`);
    if (o.outputs[0] && o.verdict !== "pass") lines.push(`        out: ${show(o.outputs[0])}`);
    for (const v of found[i]) lines.push(`        ${v.kind}: ${v.detail}`);
  });
  if (r.counters) {
    const p = counterProblems(r.outcomes, r.counters);
    lines.push(p.length ? `counters: ✗ ${p.join("; ")}` : "counters: they add up");
    if (p.length) found.push([{ kind: "counters do not add up", detail: p.join("; ") }]);
  }
  return { frames: frames.length, violations: found, lines };
}
