/**
 * The translator's counters (map `nat64_stats`, see bpf/nat64_stats.h):
 * a per-CPU array of u64 packet counts, index = direction * items + item,
 * direction 0 = 6to4, 1 = 4to6. STAT_ITEMS must list the items of
 * NAT64_STAT_ITEMS in the same order (test/unit/bpf-prefix.test.ts checks).
 */
import { readFileSync } from "node:fs";
import { run } from "../exec/command.ts";

export const STAT_ITEMS = [
  "translated.tcp",
  "translated.udp",
  "translated.icmp",
  "translated.icmp_error",
  "translated.other",
  "passed.not_ip",
  "passed.not_prefix",
  "passed.bad_config",
  "dropped.truncated",
  "dropped.bad_header",
  "dropped.source_route",
  "dropped.routing_segleft",
  "dropped.ext_chain",
  "dropped.icmp_type",
  "dropped.icmp_fragment",
  "dropped.udp_zero_csum_fragment",
  "dropped.inner",
  "dropped.helper",
  "dropped.ext_after_fragment",
  "dropped.igmp",
  "dropped.family_protocol",
  "dropped.bad_checksum",
  "dropped.bad_source",
] as const;
export const DIRECTIONS = ["6to4", "4to6"] as const;
/** Every counter name in map order: "6to4.translated.tcp", ... */
export const STAT_NAMES: string[] = DIRECTIONS.flatMap((d) => STAT_ITEMS.map((i) => `${d}.${i}`));

/** Counter name -> packets (summed over CPUs). */
export type Stats = Record<string, number>;

/** Stats from a map dump (`bpftool -j map dump id N`), per-CPU values summed. */
export function statsFromDump(dump: unknown): Stats {
  const out: Stats = Object.fromEntries(STAT_NAMES.map((n) => [n, 0]));
  if (!Array.isArray(dump)) throw new Error("bpftool map dump: expected a JSON array");
  // An object built from another nat64_stats.h counts at other indices: every name would be wrong.
  if (dump.length !== STAT_NAMES.length) {
    throw new Error(
      `the translator's nat64_stats map has ${dump.length} counters, natlab knows ${STAT_NAMES.length}: ` +
        "the object was built from another bpf/nat64_stats.h; rebuild it (natlab build)",
    );
  }
  for (const e of dump as { key: string[]; values: { value: string[] }[] }[]) {
    const key = bytesLE(e.key);
    const name = STAT_NAMES[key];
    if (name === undefined) continue;
    out[name] = e.values.reduce((sum, v) => sum + bytesLE(v.value), 0);
  }
  return out;
}

/** Read the counters of a loaded program's `nat64_stats` map by map id. */
export async function readStats(mapId: number): Promise<Stats> {
  const r = await run(["bpftool", "-j", "map", "dump", "id", String(mapId)]);
  return statsFromDump(JSON.parse(r.stdout));
}

/** Read the counters the xlat runner wrote with --stats. */
export function readStatsFile(path: string): Stats {
  return JSON.parse(readFileSync(path, "utf8")) as Stats;
}

/** a - b, per counter (what happened between two readings). */
export function statsDelta(after: Stats, before: Stats): Stats {
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]));
}

/** One counter per line, non-zero ones only unless `all`; "(all zero)" when nothing counted. */
export function formatStats(s: Stats, opts: { all?: boolean; indent?: string } = {}): string {
  const ind = opts.indent ?? "  ";
  const rows = STAT_NAMES.filter((n) => opts.all || (s[n] ?? 0) !== 0);
  if (rows.length === 0) return `${ind}(all zero)`;
  const w = Math.max(...rows.map((n) => n.length));
  return rows.map((n) => `${ind}${n.padEnd(w)}  ${s[n] ?? 0}`).join("\n");
}

function bytesLE(bytes: string[]): number {
  let v = 0;
  for (let i = bytes.length - 1; i >= 0; i--) v = v * 256 + parseInt(bytes[i], 16);
  return v;
}
