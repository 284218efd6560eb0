/**
 * Two designs, one table: for labs that carry the same flows by different
 * designs (`compareWith` in the lab file), the conntrack entries each flow
 * left on the router, side by side. The NAT66 design shows one IPv6 entry
 * per flow; the NAT44 design shows its NAT44 entry (and TAYGA keeps a state
 * table of its own that conntrack never sees).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { parseConntrack } from "../match/kernel.ts";
import { layoutOf, type ResultsLayout } from "./results.ts";

interface FlowTables {
  /** flow name -> "ns" -> compact entries */
  [flow: string]: Record<string, string[]>;
}

function compact(line: string): string {
  const [e] = parseConntrack(line);
  if (!e) return line;
  return `${e.family} ${e.proto} ${e.orig.src} → ${e.orig.dst}, reply ${e.reply.src} → ${e.reply.dst}`;
}

function tables(layout: ResultsLayout): FlowTables {
  const summaryPath = layout.summary;
  if (!existsSync(summaryPath)) return {};
  const summary = JSON.parse(readFileSync(summaryPath, "utf8")) as { flows: { name: string }[] };
  const out: FlowTables = {};
  for (const f of summary.flows) {
    const dir = layout.flowDir(f.name);
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir).filter((n) => /^conntrack-.*\.txt$/.test(n))) {
      const ns = file.slice("conntrack-".length, -".txt".length);
      const lines = readFileSync(join(dir, file), "utf8").split("\n").filter(Boolean);
      out[f.name] ??= {};
      out[f.name][ns] = lines.map(compact);
    }
  }
  return out;
}

const cell = (lines: string[] | undefined) =>
  lines?.length ? lines.map((l) => `\`${l}\``).join("<br>") : "(no entry)";

/** A run directory (results/<lab>/<run-id>) as a layout. */
export function runLayout(dir: string): ResultsLayout {
  return layoutOf(dirname(dir), basename(dir));
}

/**
 * Writes compare-<b>.md into run `a`'s directory (results/<a>/<run-id>/), from
 * the runs `a` and `b` of the two designs; returns its path, or undefined when
 * the two runs have no flow in common.
 */
export function writeConntrackComparison(
  a: { lab: string; dir: string },
  b: { lab: string; dir: string },
): string | undefined {
  const ta = tables(runLayout(a.dir));
  const tb = tables(runLayout(b.dir));
  const flows = Object.keys(ta).filter((f) => f in tb);
  if (!flows.length) return undefined;
  const rows = flows.map((f) => {
    const nsA = Object.keys(ta[f]).join(", ");
    const nsB = Object.keys(tb[f]).join(", ");
    return `| ${f} | ${cell(Object.values(ta[f]).flat())} (${nsA}) | ${cell(Object.values(tb[f]).flat())} (${nsB}) |`;
  });
  const text = [
    `# conntrack: ${a.lab} beside ${b.lab}`,
    "",
    "The entries each flow left in conntrack on the router, as `conntrack -L` shows them (compacted).",
    "",
    `| flow | ${a.lab} | ${b.lab} |`,
    "| --- | --- | --- |",
    ...rows,
    "",
  ].join("\n");
  const path = join(a.dir, `compare-${b.lab}.md`);
  writeFileSync(path, text);
  return path;
}
