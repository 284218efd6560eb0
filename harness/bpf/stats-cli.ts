/**
 * `natlab stats [--ns NS --dev DEV] [--all]`: the counters of every
 * translator attached in running natlab namespaces (or one device's).
 * `natlab stats LAB...`: the counters a lab's last run left, per device
 * (results/<lab>/latest/stats.json, written just before its teardown).
 */
import { parseArgs } from "node:util";
import { run } from "../exec/command.ts";
import { natlabNamespaces } from "../exec/netns.ts";
import { devicePrograms, programInfo } from "./config.ts";
import { existsSync, readFileSync } from "node:fs";
import { loadLab } from "../lab/load.ts";
import { latestRun } from "../report/results.ts";
import { ROOT } from "../root.ts";
import { formatStats, readStats, type Stats } from "./stats.ts";

export async function statsCommand(argv: string[]): Promise<number> {
  let values: { ns?: string; dev?: string; all?: boolean };
  try {
    const parsed = parseArgs({ args: argv, allowPositionals: true, options: { ns: { type: "string" }, dev: { type: "string" }, all: { type: "boolean" } } });
    values = parsed.values;
    if (parsed.positionals.length) return labStats(parsed.positionals, values.all ?? false);
  } catch (e) {
    process.stderr.write(`natlab stats: ${(e as Error).message}\nusage: natlab stats [--ns NS --dev DEV] [--all]\n`);
    return 2;
  }
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
    if (!found) console.log(values.ns ? `no translator attached in ${values.ns}` : "no translator attached in any natlab namespace");
    return 0;
  } catch (e) {
    process.stderr.write(`natlab stats: ${(e as Error).message}\n`);
    return 1;
  }
}

/** Counters from the last run of each lab (a lab file or a lab name). */
function labStats(labs: string[], all: boolean): number {
  let missing = 0;
  for (const arg of labs) {
    const name = arg.endsWith(".yaml") ? loadLab(arg).name : arg;
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
