/**
 * natlab golden build   write fixtures/pcaps/<file>/<case>.{in,out}.pcap and index.json from the YAML
 * natlab golden check   run every case through the translator and compare (needs root)
 *     [--object FILE] [--filter TEXT]
 * natlab golden verify  checksums of the expected outputs (codec and tshark), pcaps up to date
 * natlab golden compare every case through several translators, as one table (results/golden/compare.md)
 *     [--translators bpf,bpf-tc,tayga,jool] [--filter TEXT]
 */

import { relative } from "node:path";
import { parseArgs } from "node:util";
import { FIXTURES_DIR, filterCases, loadCases } from "./cases.ts";
import { checkCases, formatResults, readIfExists } from "./check.ts";
import { compareTranslators, formatSummary, writeCompare } from "./compare.ts";
import { parseTranslator, parseTranslatorList, type Section, type TranslatorSpec } from "../translators/types.ts";
import { staleFixtures, writeFixtures } from "./generate.ts";
import { tsharkChecksumProblems } from "./tshark.ts";

const USAGE = `usage:
  natlab golden build                  write the golden pcaps and index.json from fixtures/pcaps/cases/*.yaml
  natlab golden check [--object O.o] [--filter TEXT] [--translator T]
                                       run the cases through a translator (default bpf: BPF_PROG_TEST_RUN; needs root)
  natlab golden verify                 the expected outputs' checksums (codec and tshark); pcaps up to date
  natlab golden compare [--translators bpf,bpf-tc,tayga,jool] [--filter TEXT]
                                       every case through each translator, one table: results/golden/compare.md, .json;
                                       non-zero exit while a disagreement is undecided (fixtures/pcaps/compare-decisions.yaml)

translators: bpf (BPF_PROG_TEST_RUN), bpf-tc (tc on a router's veth), tayga, jool (in the debian-6.1 VM),
  bpf:PATH (any tc translator object; --section-6to4 NAME, --section-4to6 NAME, --configure CMD run after
  loading with NATLAB_PREFIX and the pinned maps' paths, see docs/translator.md)`;

export async function goldenCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      object: { type: "string" },
      filter: { type: "string" },
      translator: { type: "string" },
      translators: { type: "string" },
      "section-6to4": { type: "string" },
      "section-4to6": { type: "string" },
      configure: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: false,
  });
  if (values.help || !sub) {
    process.stdout.write(`${USAGE}\n`);
    return sub ? 0 : 2;
  }
  switch (sub) {
    case "build": {
      const cases = loadCases();
      const { written } = writeFixtures(cases);
      process.stdout.write(`golden: ${cases.length} cases, ${written} files written under ${relative(process.cwd(), FIXTURES_DIR) || "."}\n`);
      return 0;
    }
    case "check": {
      if (process.getuid?.() !== 0) throw new Error("natlab golden check needs root (BPF_PROG_TEST_RUN): run it as root, or in the Vagrant VM");
      const all = loadCases();
      const stale = staleFixtures(all, FIXTURES_DIR, readIfExists);
      if (stale.length) process.stderr.write(`golden: ${stale.length} pcaps are out of date with the YAML (first: ${stale[0]}): run \`natlab golden build\`\n`);
      const cases = filterCases(all, values.filter);
      if (cases.length === 0) throw new Error(`no golden case matches --filter ${values.filter}`);
      const spec = parseTranslator(values.translator ?? "bpf", translatorOptions(values));
      if (spec.kind !== "bpf") return compareAndReport([spec], cases, false);
      const results = await checkCases(cases, { object: values.object, color: process.stdout.isTTY && !process.env.NO_COLOR });
      process.stdout.write(`${formatResults(results)}\n`);
      return results.every((r) => r.ok) ? 0 : 1;
    }
    case "verify": {
      const cases = loadCases();
      const stale = staleFixtures(cases, FIXTURES_DIR, readIfExists);
      const tshark = await tsharkChecksumProblems(cases);
      for (const s of stale) process.stdout.write(`stale: ${s} (run natlab golden build)\n`);
      for (const t of tshark) process.stdout.write(`${t}\n`);
      process.stdout.write(`golden: ${cases.length} cases; ${stale.length} stale files; ${tshark.length} tshark checksum complaints\n`);
      return stale.length || tshark.length ? 1 : 0;
    }
    case "compare": {
      if (process.getuid?.() !== 0) throw new Error("natlab golden compare needs root (namespaces, tc, BPF): run it as root, or in the Vagrant VM");
      const cases = filterCases(loadCases(), values.filter);
      if (cases.length === 0) throw new Error(`no golden case matches --filter ${values.filter}`);
      const specs = parseTranslatorList(values.translators ?? "bpf,bpf-tc,tayga,jool", translatorOptions(values));
      return compareAndReport(specs, cases, true);
    }
    default:
      process.stderr.write(`natlab golden: unknown subcommand "${sub}"\n${USAGE}\n`);
      return 2;
  }
}

/** The options a bpf:PATH translator takes. */
function translatorOptions(values: { object?: string; configure?: string; "section-6to4"?: string; "section-4to6"?: string }) {
  const sections: Partial<Record<Section, string>> = { "6to4": values["section-6to4"], "4to6": values["section-4to6"] };
  return { object: values.object, configure: values.configure, sections };
}

/** Run, print the summary (and each blocking difference's detail), write the table when asked; exit 1 while anything blocks. */
async function compareAndReport(specs: TranslatorSpec[], cases: ReturnType<typeof loadCases>, write: boolean): Promise<number> {
  const progress = (m: string) => process.stderr.write(`golden: ${m}\n`);
  const r = await compareTranslators(specs, cases, { onProgress: progress });
  if (!write) {
    for (const row of r.rows) {
      const cell = row.cells[specs[0].name];
      if (cell.status === "differ" && !cell.decision) process.stdout.write(`✗ ${row.id}\n${cell.detail || `  ${cell.summary}`}\n\n`);
    }
  }
  process.stdout.write(`${formatSummary(r)}\n`);
  if (write) {
    const { md, json } = writeCompare(r);
    process.stdout.write(`table: ${relative(process.cwd(), md)}, ${relative(process.cwd(), json)}\n`);
  }
  return r.blocking.length ? 1 : 0;
}
