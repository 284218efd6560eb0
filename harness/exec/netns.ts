/**
 * natlab's network namespaces: named natlab-<runid>-<lab ns>, so a run only
 * ever removes the names it made (and `natlab clean` only names with our
 * prefix: never anything else on the host).
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { run } from "./command.ts";

export const NS_PREFIX = "natlab-";
const NETNS_DIR = "/run/netns";

/** Names under /run/netns that natlab made (any run). */
export function natlabNamespaces(): string[] {
  try {
    return readdirSync(NETNS_DIR).filter((n) => n.startsWith(NS_PREFIX));
  } catch {
    return [];
  }
}

/**
 * Processes still running inside a namespace (captures, services), found as
 * `ip netns pids` finds them: every /proc/PID/ns/net that is the same nsfs
 * inode as /run/netns/NAME. Read here rather than run, as teardown asks this
 * for every namespace.
 */
export async function namespacePids(ns: string): Promise<number[]> {
  let target: { dev: number; ino: number };
  try {
    target = statSync(join(NETNS_DIR, ns));
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const st = statSync(`/proc/${name}/ns/net`);
      if (st.ino === target.ino && st.dev === target.dev) pids.push(Number(name));
    } catch {
      // ended while we looked, or a kernel thread without a namespace link
    }
  }
  return pids;
}

/** Stops every process inside a namespace: SIGTERM, then SIGKILL for what is left; returns how many there were. */
export async function killNamespacePids(ns: string): Promise<number> {
  const first = await namespacePids(ns);
  if (first.length === 0) return 0;
  for (const signal of ["SIGTERM", "SIGKILL"] as const) {
    const pids = await namespacePids(ns);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
    // Bounded wait for them to go (a tcpdump flushing its file takes a moment).
    for (let i = 0; i < 40 && (await namespacePids(ns)).length > 0; i++) await new Promise((r) => setTimeout(r, 25));
  }
  return first.length;
}

/**
 * Kill every process in the namespace, then delete it. A namespace stays
 * alive (with its veths) while a process holds it, so the kill comes first.
 */
export async function removeNamespace(ns: string): Promise<void> {
  if (!natlabNamespaces().includes(ns)) return;
  await killNamespacePids(ns);
  await run(["ip", "netns", "del", ns], { allowFail: true });
}
