/**
 * The lab's topology as a Graphviz graph: each namespace a box (a cluster)
 * holding its devices, routes, nftables summary and services; each device a
 * node with its name, MAC, addresses and the BPF programs at its tc hooks
 * (object, section, prefix); each veth pair an edge between its two ends.
 * Graphviz lays it out (harness/report/html/graphviz.ts renders it to SVG).
 */
import type { Lab } from "../../lab/schema.ts";
import { esc } from "./escape.ts";
import { nftLines, summariseNft } from "./nft.ts";

export const DEFAULT_PREFIX = "64:ff9b:1:fffe::/96";

/** A Graphviz node id for "ns:dev". */
const nodeId = (ns: string, dev: string) => JSON.stringify(`${ns}:${dev}`);

const row = (html: string, attrs = "") => `<tr><td align="left" balign="left"${attrs}>${html}</td></tr>`;

/** Each device's lines: MAC, addresses, MTU, BPF at its hooks. */
function deviceLabel(
  lab: Lab,
  ns: string,
  dev: string,
  info: { mac?: string; addresses: string[]; mtu?: number; kind: string },
): string {
  const rows = [row(`<b>${esc(dev)}</b> <font color="#555555">${esc(info.kind)}</font>`)];
  if (info.mac) rows.push(row(`<font face="Courier" point-size="10">${esc(info.mac)}</font>`));
  for (const a of info.addresses) rows.push(row(`<font face="Courier" point-size="10">${esc(a)}</font>`));
  if (info.mtu) rows.push(row(`<font point-size="10">mtu ${info.mtu}</font>`));
  for (const b of lab.bpf.filter((x) => x.dev === `${ns}:${dev}`)) {
    const obj = b.object.split("/").pop() ?? b.object;
    rows.push(
      row(
        `<font point-size="10">tc ${esc(b.hook)}: <b>${esc(obj)} sec ${esc(b.section)}</b><br/>prefix ${esc(b.prefix ?? DEFAULT_PREFIX)}</font>`,
        ' bgcolor="#ede9fe"',
      ),
    );
  }
  return `<<table border="0" cellborder="0" cellspacing="0" cellpadding="2">${rows.join("")}</table>>`;
}

/** A namespace's notes: routes, nftables (from the text the plan loads), services. */
function nsNotes(lab: Lab, ns: string, nft: string | undefined): string[] {
  const spec = lab.namespaces[ns];
  const lines: string[] = [];
  for (const r of spec.routes)
    lines.push(`route ${r.to}${r.via ? ` via ${r.via}` : ""}${r.dev ? ` dev ${r.dev}` : ""}`);
  if (nft) lines.push(...nftLines(summariseNft(nft), 80).map((l) => `nft ${l}`));
  for (const s of lab.services.filter((x) => x.ns === ns)) lines.push(`service ${s.name}: ${s.cmd.join(" ")}`);
  return lines;
}

/**
 * The DOT text. `nft` maps a lab namespace to the ruleset text loaded into it;
 * `real` maps it to the namespace's name on the machine (shown under its name).
 */
export function topologyDot(
  lab: Lab,
  opts: { nft?: Record<string, string>; real?: Record<string, string> } = {},
): string {
  const out = [
    "graph lab {",
    '  graph [rankdir=LR, fontname="Helvetica", fontsize=12, nodesep=0.5, ranksep=1.1, bgcolor="transparent"];',
    '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", color="#64748b", fontname="Helvetica", fontsize=11, margin="0.08,0.04"];',
    '  edge [fontname="Helvetica", fontsize=10, color="#334155", penwidth=2];',
  ];
  for (const ns of Object.keys(lab.namespaces)) {
    const real = opts.real?.[ns];
    out.push(`  subgraph ${JSON.stringify(`cluster_${ns}`)} {`);
    out.push(
      `    label=<<b>${esc(ns)}</b>${real ? `<br/><font point-size="9" color="#64748b">netns ${esc(real)}</font>` : ""}>; labeljust=l; style="rounded,filled"; fillcolor="#f1f5f9"; color="#94a3b8";`,
    );
    for (const link of lab.links) {
      for (const end of [link.a, link.b].filter((e) => e.ns === ns)) {
        const label = deviceLabel(lab, ns, end.dev, {
          mac: end.mac,
          addresses: end.addresses,
          mtu: end.mtu ?? link.mtu,
          kind: "veth",
        });
        out.push(`    ${nodeId(ns, end.dev)} [label=${label}];`);
      }
    }
    for (const d of lab.namespaces[ns].devices) {
      out.push(
        `    ${nodeId(ns, d.name)} [label=${deviceLabel(lab, ns, d.name, { addresses: d.addresses, mtu: d.mtu, kind: d.type })}];`,
      );
    }
    const notes = nsNotes(lab, ns, opts.nft?.[ns]);
    if (notes.length) {
      const rows = notes.map((n) => row(`<font face="Courier" point-size="9">${esc(n)}</font>`)).join("");
      out.push(
        `    ${JSON.stringify(`notes:${ns}`)} [shape=note, fillcolor="#fffbeb", color="#d6a243", label=<<table border="0" cellborder="0" cellspacing="0" cellpadding="1">${rows}</table>>];`,
      );
    }
    out.push("  }");
  }
  for (const link of lab.links) {
    out.push(`  ${nodeId(link.a.ns, link.a.dev)} -- ${nodeId(link.b.ns, link.b.dev)} [label="veth"];`);
  }
  out.push("}");
  return out.join("\n");
}
