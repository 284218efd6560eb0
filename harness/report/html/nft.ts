/**
 * An nftables ruleset, summarised for the topology drawing: per table its
 * chains, each with its hook and its rules (shortened). Read from the text
 * the plan loads with `nft -f -`, so the picture shows what ran.
 */

export interface NftChain {
  name: string;
  /** "nat postrouting", "filter forward": type and hook, when the chain is a base chain */
  hook?: string;
  policy?: string;
  rules: string[];
}

export interface NftTable {
  family: string;
  name: string;
  chains: NftChain[];
}

/** Tables and chains of a ruleset in nft's own syntax (the subset labs use: blocks with one statement a line). */
export function summariseNft(text: string): NftTable[] {
  const tables: NftTable[] = [];
  // What each open brace opened: a table, a chain, or anything else (a named counter, a set, a map).
  const open: ("table" | "chain" | "other")[] = [];
  let table: NftTable | undefined;
  let chain: NftChain | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*$/, "").trim();
    if (!line) continue;
    const t = /^table\s+(\w+)\s+(\S+)\s*\{$/.exec(line);
    const c = /^chain\s+(\S+)\s*\{$/.exec(line);
    if (t && open.length === 0) {
      table = { family: t[1], name: t[2], chains: [] };
      tables.push(table);
      open.push("table");
    } else if (c && table && open.length === 1) {
      chain = { name: c[1], rules: [] };
      table.chains.push(chain);
      open.push("chain");
    } else if (line.endsWith("{")) {
      open.push("other");
    } else if (line === "}") {
      const closed = open.pop();
      if (closed === "chain") chain = undefined;
      if (closed === "table") table = undefined;
    } else if (chain && open.at(-1) === "chain") {
      for (const stmt of line
        .split(";")
        .map((s) => s.trim())
        .filter(Boolean)) {
        const type = /^type\s+(\w+)\s+hook\s+(\w+)/.exec(stmt);
        const policy = /^policy\s+(\w+)/.exec(stmt);
        if (type) chain.hook = `${type[1]} ${type[2]}`;
        else if (policy) chain.policy = policy[1];
        else if (!/^priority\s/.test(stmt)) chain.rules.push(shorten(stmt));
      }
    }
  }
  return tables;
}

/** A rule without its anonymous counter (it counts, it does not decide), whitespace collapsed. */
function shorten(rule: string): string {
  const r = rule
    .replace(/(^|\s)counter(\s+packets \d+ bytes \d+)?(?=\s|$)(?!\s+name)/g, "$1")
    .replace(/\s+/g, " ")
    .trim();
  return r || rule;
}

/** A few short lines for a drawing: "table ip6 nat66", "  postrouting (nat postrouting): ip6 daddr … snat to …". */
export function nftLines(tables: NftTable[], width = 64, rulesPerChain = 3): string[] {
  const cut = (s: string) => (s.length > width ? `${s.slice(0, width - 1)}…` : s);
  const out: string[] = [];
  for (const t of tables) {
    out.push(`table ${t.family} ${t.name}`);
    for (const c of t.chains) {
      const head = `chain ${c.name}${c.hook ? ` (${c.hook}${c.policy ? `, policy ${c.policy}` : ""})` : ""}`;
      out.push(cut(`  ${head}: ${c.rules.length} rule${c.rules.length === 1 ? "" : "s"}`));
      for (const r of c.rules.slice(0, rulesPerChain)) out.push(cut(`    ${r}`));
      if (c.rules.length > rulesPerChain) out.push(`    … ${c.rules.length - rulesPerChain} more`);
    }
  }
  return out;
}
