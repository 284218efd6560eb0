/** `natlab ls` as text: one row per lab that is up or run in progress. Pure: records in, lines out. */
import type { OwnerRecord } from "../exec/owner.ts";

/** "42s", "3m05s", "2h10m": how long ago a lab was built. */
export function age(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** "bpf/nat64.o 64:ff9b:1:fffe::/96": each distinct object and prefix once. */
export function translatorText(r: OwnerRecord): string {
  const seen = [...new Set((r.translators ?? []).map((t) => `${t.object} ${t.prefix}`))];
  return seen.length ? seen.join(", ") : "-";
}

export function formatList(records: OwnerRecord[], now: number): string {
  const rows = records.map((r) => {
    const prefix = `natlab-${r.runId}-`;
    const state = r.kind === "up" ? (r.ready ? "up" : `building (pid ${r.pid})`) : `run (pid ${r.pid})`;
    const ns = r.namespaces.map((n) => (n.startsWith(prefix) ? n.slice(prefix.length) : n)).join(",");
    return [r.lab, r.runId, state, age(now - Date.parse(r.createdAt)), ns, translatorText(r)];
  });
  const head = ["LAB", "RUN", "STATE", "AGE", "NAMESPACES", "TRANSLATOR (object, prefix)"];
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  return [head, ...rows]
    .map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(width[i]))).join("  "))
    .join("\n");
}
