/**
 * The translator attached in a lab: find the program on a device's tc hook
 * (`tc -j filter show dev D ingress|egress` in the lab's namespace), its maps
 * (`bpftool -j prog show id N` -> map_ids), and write the NAT64 prefix into
 * its `nat64_config` map. Each `tc filter add ... obj` loads its own copy of
 * the maps, so the prefix is written per attached program.
 */
import { run } from "../exec/command.ts";
import { configValue, type Prefix } from "../packet/prefix.ts";

export type Hook = "ingress" | "egress";

export interface AttachedProgram {
  id: number;
  name: string;
  /** map name -> map id */
  maps: Record<string, number>;
}

/**
 * The BPF program ids attached to dev's hook, in filter order: cls_bpf
 * filters on clsact (`tc filter show dev D ingress|egress`), and, for the
 * write-up's literal steps, act_bpf actions under the ingress qdisc
 * (`parent ffff:`) or the root qdisc (prio). iproute2 prints a program as
 * `"prog": {"id": N, ...}` in both places, so every such object counts.
 */
export async function attachedPrograms(ns: string, dev: string, hook: Hook): Promise<number[]> {
  const where = hook === "ingress" ? [["ingress"], ["parent", "ffff:"]] : [["egress"], []];
  const ids: number[] = [];
  for (const w of where) {
    const r = await run(["tc", "-j", "filter", "show", "dev", dev, ...w], { ns, allowFail: true });
    if (r.exitCode !== 0) continue;
    for (const id of progIds(JSON.parse(r.stdout || "[]"))) if (!ids.includes(id)) ids.push(id);
  }
  return ids;
}

/**
 * Every BPF program on a device, each once, with the hook tc lists it under
 * first. A program can be listed under both: older tc answers
 * `filter show ... egress` with an ingress qdisc's filters too.
 */
export async function devicePrograms(ns: string, dev: string): Promise<{ id: number; hook: Hook }[]> {
  const out: { id: number; hook: Hook }[] = [];
  for (const hook of ["ingress", "egress"] as Hook[]) {
    for (const id of await attachedPrograms(ns, dev, hook).catch(() => [] as number[])) {
      if (!out.some((p) => p.id === id)) out.push({ id, hook });
    }
  }
  return out;
}

/** Every `prog.id` in tc's JSON, depth first (filters, then their actions). */
export function progIds(json: unknown): number[] {
  if (Array.isArray(json)) return json.flatMap(progIds);
  if (json === null || typeof json !== "object") return [];
  const o = json as Record<string, unknown>;
  const prog = o.prog as { id?: unknown } | undefined;
  const own = prog && typeof prog.id === "number" ? [prog.id] : [];
  return [...own, ...Object.entries(o).flatMap(([k, v]) => (k === "prog" ? [] : progIds(v)))];
}

/** Name and maps of a loaded program. */
export async function programInfo(id: number): Promise<AttachedProgram> {
  const p = JSON.parse((await run(["bpftool", "-j", "prog", "show", "id", String(id)])).stdout) as {
    name?: string;
    map_ids?: number[];
  };
  const maps: Record<string, number> = {};
  for (const m of p.map_ids ?? []) {
    const info = JSON.parse((await run(["bpftool", "-j", "map", "show", "id", String(m)])).stdout) as { name?: string };
    if (info.name) maps[info.name] = m;
  }
  return { id, name: p.name ?? "", maps };
}

/** The translator on dev's hook: the first attached program that has a nat64_config map. */
export async function findTranslator(ns: string, dev: string, hook: Hook): Promise<AttachedProgram> {
  const ids = await attachedPrograms(ns, dev, hook);
  for (const id of ids) {
    const p = await programInfo(id);
    if (p.maps.nat64_config !== undefined) return p;
  }
  throw new Error(
    `no NAT64 translator on ${dev} ${hook} in namespace ${ns} ` +
      (ids.length ? `(programs ${ids.join(", ")} have no nat64_config map)` : "(no BPF filter attached)") +
      `; check with: ip netns exec ${ns} tc filter show dev ${dev} ${hook}`,
  );
}

/** Write the prefix into the translator's nat64_config map on dev's hook. Returns the map id. */
export async function writePrefix(ns: string, dev: string, hook: Hook, prefix: Prefix | string): Promise<number> {
  const p = await findTranslator(ns, dev, hook);
  const mapId = p.maps.nat64_config;
  const value = [...configValue(prefix)].map(String);
  await run(["bpftool", "map", "update", "id", String(mapId), "key", "0", "0", "0", "0", "value", ...value]);
  return mapId;
}
