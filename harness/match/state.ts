/**
 * Flow assertions beyond packets: conntrack entries, kernel SNMP counters
 * and the translator's own counters. Each returns readable failure lines
 * (empty when the check holds).
 */
import type { z } from "zod";
import type { ConntrackExpect, CounterExpect, StatsExpect } from "../lab/schema.ts";
import { normalizeIp } from "../packet/addr.ts";
import { countHolds, parseCount, showCount } from "./capture.ts";
import type { ConntrackEntry } from "./kernel.ts";

const same = (want: string | undefined, got: string | undefined) =>
  want === undefined || (got !== undefined && normalizeIp(want) === normalizeIp(got));

export function checkConntrack(c: z.infer<typeof ConntrackExpect>, entries: ConntrackEntry[]): string[] {
  const hits = entries.filter(
    (e) =>
      (c.family === undefined || e.family === c.family) &&
      (c.proto === undefined || e.proto === c.proto) &&
      same(c.orig?.src, e.orig.src) &&
      same(c.orig?.dst, e.orig.dst) &&
      same(c.reply?.src, e.reply.src) &&
      same(c.reply?.dst, e.reply.dst),
  );
  const want = [
    c.family,
    c.proto,
    c.orig && `orig ${c.orig.src ?? "*"} -> ${c.orig.dst ?? "*"}`,
    c.reply && `reply ${c.reply.src ?? "*"} -> ${c.reply.dst ?? "*"}`,
  ]
    .filter(Boolean)
    .join(", ");
  if (c.present && hits.length === 0) {
    const shown = entries.slice(0, 8).map((e) => `      ${e.line}`);
    return [
      `conntrack in ${c.ns}: no entry with ${want}; the table holds ${entries.length}:\n${shown.join("\n") || "      (empty)"}`,
    ];
  }
  if (!c.present && hits.length > 0)
    return [`conntrack in ${c.ns}: expected no entry with ${want}, found:\n      ${hits[0].line}`];
  return [];
}

/** Counters must have moved by exactly `equals` during the flow (0: the flow caused no such event). */
export function checkCounters(
  k: z.infer<typeof CounterExpect>,
  ns: string,
  before: Record<string, number>,
  after: Record<string, number>,
): string[] {
  const out: string[] = [];
  for (const name of k.counters) {
    if (!(name in after)) {
      out.push(`kernel counter ${name} does not exist in ${ns} (see /proc/net/snmp and /proc/net/snmp6 for the names)`);
      continue;
    }
    const delta = after[name] - (before[name] ?? 0);
    if (delta !== k.equals)
      out.push(`kernel counter ${name} in ${ns} went up by ${delta} during the flow (expected ${k.equals})`);
  }
  return out;
}

/** Reads translator counters: "ns:dev" -> counter name -> value (summed over CPUs and hooks). */
export interface StatsReader {
  snapshot(devs: string[]): Promise<Record<string, Record<string, number>>>;
}

export function checkStats(
  s: z.infer<typeof StatsExpect>,
  before: Record<string, Record<string, number>>,
  after: Record<string, Record<string, number>>,
): string[] {
  const out: string[] = [];
  for (const [name, want] of Object.entries(s.counters)) {
    const a = after[s.dev]?.[name];
    if (a === undefined) {
      out.push(`translator counter ${name} on ${s.dev} does not exist (natlab stats lists them)`);
      continue;
    }
    const delta = a - (before[s.dev]?.[name] ?? 0);
    const c = parseCount(want);
    if (!countHolds(c, delta))
      out.push(`translator counter ${name} on ${s.dev} went up by ${delta} during the flow (wanted ${showCount(c)})`);
  }
  return out;
}
