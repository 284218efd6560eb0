/**
 * `natlab stats [--ns NS --dev DEV] [--all]`: the counters of every
 * translator attached in running natlab namespaces (or one device's).
 * `natlab stats LAB...`: the counters a lab's last run left, per device
 * (results/<lab>/latest/stats.json, written just before its teardown).
 */
import { existsSync, readFileSync } from "node:fs";
import { devicePrograms, programInfo } from "../bpf/config.ts";
import { formatStats, readStats, type Stats } from "../bpf/stats.ts";
import { run } from "../exec/command.ts";
import { natlabNamespaces } from "../exec/netns.ts";
import type { OwnerRecord } from "../exec/owner.ts";
import { loadLab } from "../lab/load.ts";
import { labPath } from "../lab/names.ts";
import { latestRun } from "../report/results.ts";
import { ROOT } from "../root.ts";
import { bpfStatsReader } from "../run/stats.ts";
import type { Command } from "./command.ts";

export const stats: Command = {
  name: "stats",
  args: "[LAB...]",
  summary:
    "the translator's counters (translated, passed, dropped by reason) in running labs, " +
    "or as a lab's last run left them (LAB: a file or a name)",
  options: [
    { name: "ns", type: "string", value: "NS", description: "only this namespace (default: every natlab-* namespace)" },
    { name: "dev", type: "string", value: "DEV", description: "only this device (default: every device but lo)" },
    { name: "all", type: "boolean", description: "every counter, also those at zero" },
  ],
  run: ({ values, positionals }) =>
    positionals.length
      ? labStats(positionals, values.all === true)
      : liveStats(values as { ns?: string; dev?: string; all?: boolean }),
};

/** Counters of the translators attached in running namespaces. */
async function liveStats(values: { ns?: string; dev?: string; all?: boolean }): Promise<number> {
  try {
    const namespaces = values.ns ? [values.ns] : natlabNamespaces();
    let found = 0;
    for (const ns of namespaces) {
      const devs = values.dev ? [values.dev] : await devices(ns);
      for (const dev of devs)
        for (const { id, hook } of await devicePrograms(ns, dev)) {
          const p = await programInfo(id);
          if (p.maps.nat64_stats === undefined) continue;
          found++;
          console.log(`${ns} ${dev} ${hook}: program ${id} (${p.name})`);
          console.log(formatStats(await readStats(p.maps.nat64_stats), { all: values.all }));
        }
    }
    if (!found)
      console.log(
        values.ns ? `no translator attached in ${values.ns}` : "no translator attached in any natlab namespace",
      );
    return 0;
  } catch (e) {
    process.stderr.write(`natlab stats: ${(e as Error).message}\n`);
    return 1;
  }
}

/** Counters of each lab (a lab file or a lab name): live when it is up, else as its last run left them. */
async function labStats(labs: string[], all: boolean): Promise<number> {
  let missing = 0;
  for (const arg of labs) {
    const name = arg.endsWith(".yaml") || arg.includes("/") ? loadLab(labPath(arg, ROOT)).name : arg;
    const { upLabs } = await import("../run/up.ts");
    const up = upLabs().find((r) => r.lab === name);
    if (up) {
      await upStats(up, all);
      continue;
    }
    const file = latestRun(ROOT, name)?.stats;
    if (!file || !existsSync(file)) {
      process.stderr.write(`natlab stats: no counters for lab ${name}: run it first (natlab run ${arg})\n`);
      missing++;
      continue;
    }
    const perDev = JSON.parse(readFileSync(file, "utf8")) as Record<string, Stats>;
    for (const [dev, stats] of Object.entries(perDev)) {
      console.log(`${name} ${dev} (ingress and egress, at the end of the last run):`);
      console.log(formatStats(stats, { all }));
    }
  }
  return missing ? 1 : 0;
}

async function devices(ns: string): Promise<string[]> {
  const r = await run(["ip", "-j", "link", "show"], { ns });
  return (JSON.parse(r.stdout || "[]") as { ifname: string }[]).map((l) => l.ifname).filter((n) => n !== "lo");
}

/** The live counters of a lab that is up, per device with a translator, as its owner record names them. */
async function upStats(r: OwnerRecord, all: boolean): Promise<void> {
  const devs = [...new Set((r.translators ?? []).map((t) => t.dev))];
  const nsOf = (ns: string) => `natlab-${r.runId}-${ns}`;
  const snapshot = await bpfStatsReader(undefined, nsOf).snapshot(devs);
  if (!devs.length) console.log(`${r.lab} (up, run ${r.runId}): no translator attached`);
  for (const [dev, stats] of Object.entries(snapshot)) {
    console.log(`${r.lab} ${dev} (ingress and egress, up now, run ${r.runId}):`);
    console.log(formatStats(stats, { all }));
  }
}
