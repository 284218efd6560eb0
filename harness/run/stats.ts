/**
 * Translator counters for flow assertions: for a lab device ("ns:dev"), the
 * nat64_stats maps of every translator attached to it (ingress and egress),
 * summed. Counter names are "6to4.translated", "4to6.drop_truncated"... as
 * `natlab stats` prints them.
 */

import { devicePrograms, programInfo } from "../bpf/config.ts";
import { readStats } from "../bpf/stats.ts";
import type { Lab } from "../lab/schema.ts";
import { splitNsDev } from "../lab/topology.ts";
import type { StatsReader } from "../match/state.ts";

/**
 * The programs on a device stay the same for the whole run, so their stats
 * maps are looked up once per device; a snapshot then reads only the maps
 * (every flow takes two, for the report's counters).
 */
export function bpfStatsReader(_lab: Lab | undefined, nsOf: (ns: string) => string): StatsReader {
  const mapsOf = new Map<string, Promise<number[]>>();
  const statsMaps = async (nsDev: string) => {
    const { ns, dev } = splitNsDev(nsDev);
    const ids: number[] = [];
    for (const { id } of await devicePrograms(nsOf(ns), dev)) {
      const p = await programInfo(id);
      if (p.maps.nat64_stats !== undefined) ids.push(p.maps.nat64_stats);
    }
    return ids;
  };
  return {
    async snapshot(devs: string[]) {
      const out: Record<string, Record<string, number>> = {};
      for (const nsDev of new Set(devs)) {
        if (!mapsOf.has(nsDev)) mapsOf.set(nsDev, statsMaps(nsDev));
        const sum: Record<string, number> = {};
        for (const map of (await mapsOf.get(nsDev)) ?? []) {
          for (const [k, v] of Object.entries(await readStats(map))) sum[k] = (sum[k] ?? 0) + v;
        }
        out[nsDev] = sum;
      }
      return out;
    },
  };
}
