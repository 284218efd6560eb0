/**
 * natlab's network namespaces: named natlab-<runid>-<lab ns>, so a run only
 * ever removes the names it made (and `natlab clean` only names with our
 * prefix: never anything else on the host).
 */
import { readdirSync } from "node:fs";
import { run } from "./command.ts";

export const NS_PREFIX = "natlab-";

/** Names under /run/netns that natlab made (any run). */
export function natlabNamespaces(): string[] {
  try {
    return readdirSync("/run/netns").filter((n) => n.startsWith(NS_PREFIX));
  } catch {
    return [];
  }
}

/** Processes still running inside a namespace (captures, services). */
export async function namespacePids(ns: string): Promise<number[]> {
  const r = await run(["ip", "netns", "pids", ns], { allowFail: true });
  return r.stdout
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .filter((p) => Number.isInteger(p) && p !== process.pid);
}

/**
 * Kill every process in the namespace, then delete it. A namespace stays
 * alive (with its veths) while a process holds it, so the kill comes first.
 */
export async function removeNamespace(ns: string): Promise<void> {
  if (!natlabNamespaces().includes(ns)) return;
  for (const signal of ["TERM", "KILL"]) {
    const pids = await namespacePids(ns);
    if (pids.length === 0) break;
    await run(["kill", `-${signal}`, ...pids.map(String)], { allowFail: true });
    await new Promise((r) => setTimeout(r, 100));
  }
  await run(["ip", "netns", "del", ns], { allowFail: true });
}

/** `natlab clean`: remove every leftover natlab namespace; returns the names removed. */
export async function cleanAll(): Promise<string[]> {
  const names = natlabNamespaces();
  for (const ns of names) await removeNamespace(ns);
  return names;
}
