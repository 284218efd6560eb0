/**
 * What the lab file says about its devices, indexed for the flows: each
 * device's MAC and its veth peer, so an injected packet's Ethernet addresses
 * can be derived from the topology.
 */
import type { Lab } from "../lab/schema.ts";

export interface DeviceInfo {
  ns: string;
  dev: string;
  mac?: string;
  peer?: { ns: string; dev: string; mac?: string };
}

/** "ns:dev" -> what the lab declares about it. */
export function devices(lab: Lab): Map<string, DeviceInfo> {
  const out = new Map<string, DeviceInfo>();
  for (const link of lab.links) {
    const a = { ns: link.a.ns, dev: link.a.dev, mac: link.a.mac?.toLowerCase() };
    const b = { ns: link.b.ns, dev: link.b.dev, mac: link.b.mac?.toLowerCase() };
    out.set(`${a.ns}:${a.dev}`, { ...a, peer: b });
    out.set(`${b.ns}:${b.dev}`, { ...b, peer: a });
  }
  for (const [ns, spec] of Object.entries(lab.namespaces)) {
    for (const d of spec.devices) out.set(`${ns}:${d.name}`, { ns, dev: d.name });
  }
  return out;
}

/** Splits "ns:dev". */
export function splitNsDev(nsDev: string): { ns: string; dev: string } {
  const i = nsDev.indexOf(":");
  return { ns: nsDev.slice(0, i), dev: nsDev.slice(i + 1) };
}

/** Every veth end of the lab, for switching offloads per flow. */
export function vethEnds(lab: Lab): { ns: string; dev: string }[] {
  return lab.links.flatMap((l) => [
    { ns: l.a.ns, dev: l.a.dev },
    { ns: l.b.ns, dev: l.b.dev },
  ]);
}
