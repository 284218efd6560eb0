/**
 * `natlab golden build|check|verify`: the translator's golden packet cases
 * (fixtures/pcaps/cases/*.yaml and the pcaps made from them).
 */

import { readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ensureBuilt } from "../bpf/fresh.ts";
import { UsageError } from "../errors.ts";
import { FIXTURES_DIR, filterCases, loadCases } from "../golden/cases.ts";
import { checkCases, formatResults, readIfExists } from "../golden/check.ts";
import {
  compareTranslators,
  formatReadmeTables,
  formatSummary,
  replaceReadmeTables,
  writeCompare,
} from "../golden/compare.ts";
import { staleFixtures, writeFixtures } from "../golden/generate.ts";
import { tsharkChecksumProblems } from "../golden/tshark.ts";
import { ROOT } from "../root.ts";
import { parseTranslator, parseTranslatorList, type Section, type TranslatorSpec } from "../translators/types.ts";
import type { Command, OptionSpec } from "./command.ts";

/** The options that choose a translator and set up a bpf:PATH one (docs/translator.md, "Other translators"). */
const TRANSLATOR_OPTIONS: OptionSpec[] = [
  {
    name: "section-6to4",
    type: "string",
    value: "NAME",
    description: "bpf:PATH: the IPv6-to-IPv4 program's section (default 6to4)",
  },
  {
    name: "section-4to6",
    type: "string",
    value: "NAME",
    description: "bpf:PATH: the IPv4-to-IPv6 program's section (default 4to6)",
  },
  {
    name: "configure",
    type: "string",
    value: "CMD",
    description:
      "bpf:PATH: run after loading and each prefix change, with NATLAB_PREFIX and NATLAB_MAP_<SECTION>_<MAP> (pinned maps)",
  },
];

export const goldenBuild: Command = {
  name: "golden build",
  summary: "write the golden pcaps (fixtures/pcaps/<file>/<case>.{in,out}.pcap) and index.json from the cases' YAML",
  options: [],
  async run() {
    const cases = loadCases();
    const { written } = writeFixtures(cases);
    const where = relative(process.cwd(), FIXTURES_DIR) || ".";
    process.stdout.write(`golden: ${cases.length} cases, ${written} files written under ${where}\n`);
    return 0;
  },
};

export const goldenCheck: Command = {
  name: "golden check",
  summary:
    "run every golden case through the translator with BPF_PROG_TEST_RUN and compare byte for byte, " +
    "with a field-level diff on a mismatch",
  options: [
    { name: "object", type: "string", value: "O.o", description: "another translator build (default bpf/nat64.o)" },
    {
      name: "filter",
      type: "string",
      value: "TEXT",
      description: "only cases whose file, name or RFC section contains TEXT",
    },
    {
      name: "translator",
      type: "string",
      value: "T",
      description: "bpf (BPF_PROG_TEST_RUN), bpf-tc, tayga, jool (in the debian-6.1 VM) or bpf:PATH",
      default: "bpf",
    },
    ...TRANSLATOR_OPTIONS,
  ],
  root: true,
  async run({ values }) {
    const filter = values.filter as string | undefined;
    let spec: TranslatorSpec;
    try {
      spec = parseTranslator(values.translator as string, translatorOptions(values));
    } catch (e) {
      throw new UsageError(`natlab golden check: ${(e as Error).message}`);
    }
    const all = loadCases();
    const stale = staleFixtures(all, FIXTURES_DIR, readIfExists);
    if (stale.length) {
      process.stderr.write(
        `golden: ${stale.length} pcaps are out of date with the YAML (first: ${stale[0]}): ` +
          "run `natlab golden build`\n",
      );
    }
    const cases = filterCases(all, filter);
    if (cases.length === 0)
      throw new UsageError(`no golden case matches --filter ${filter}: try a file name such as tcp-udp`);
    if (spec.kind !== "bpf") return compareAndReport([spec], cases, false);
    if (values.object === undefined) await ensureBuilt((t) => process.stderr.write(`natlab: ${t}\n`));
    const color = process.stdout.isTTY && !process.env.NO_COLOR;
    const results = await checkCases(cases, { object: values.object as string | undefined, color });
    process.stdout.write(`${formatResults(results)}\n`);
    return results.every((r) => r.ok) ? 0 : 1;
  },
};

export const goldenVerify: Command = {
  name: "golden verify",
  summary: "check the expected outputs' checksums (natlab's codec and tshark) and that the pcaps are up to date",
  options: [],
  async run() {
    const cases = loadCases();
    const stale = staleFixtures(cases, FIXTURES_DIR, readIfExists);
    const tshark = await tsharkChecksumProblems(cases);
    for (const s of stale) process.stdout.write(`stale: ${s} (run natlab golden build)\n`);
    for (const t of tshark) process.stdout.write(`${t}\n`);
    process.stdout.write(
      `golden: ${cases.length} cases; ${stale.length} stale files; ${tshark.length} tshark checksum complaints\n`,
    );
    return stale.length || tshark.length ? 1 : 0;
  },
};

export const goldenCompare: Command = {
  name: "golden compare",
  summary:
    "every golden case through several translators, one table (results/golden/compare.md, .json); " +
    "non-zero exit while a disagreement is undecided",
  details: `Rules of the comparison and the translators: docs/translator.md. Decisions: fixtures/pcaps/compare-decisions.yaml.`,
  options: [
    {
      name: "translators",
      type: "string",
      value: "LIST",
      description: "comma-separated translators",
      default: "bpf,bpf-tc,tayga,jool",
    },
    {
      name: "filter",
      type: "string",
      value: "TEXT",
      description: "only cases whose file, name or RFC section contains TEXT",
    },
    {
      name: "object",
      type: "string",
      value: "O.o",
      description: "another build for bpf and bpf-tc (default bpf/nat64.o)",
    },
    ...TRANSLATOR_OPTIONS,
    {
      name: "readme",
      type: "boolean",
      description: "also write the summary and the differing cases into README.md's compare section",
    },
  ],
  root: true,
  async run({ values }) {
    if (values.readme && (values.filter || values.object))
      throw new UsageError(
        "natlab golden compare: --readme is for a run of every case with bpf/nat64.o: leave out --filter and --object",
      );
    const cases = filterCases(loadCases(), values.filter as string | undefined);
    if (cases.length === 0)
      throw new UsageError(`natlab golden compare: no golden case matches --filter ${values.filter}`);
    let specs: TranslatorSpec[];
    try {
      specs = parseTranslatorList(values.translators as string, translatorOptions(values));
    } catch (e) {
      throw new UsageError(`natlab golden compare: ${(e as Error).message}`);
    }
    return compareAndReport(
      specs,
      cases,
      true,
      values.readme ? `natlab golden compare --translators ${values.translators}` : undefined,
    );
  },
};

/** The options a translator takes from the command line. */
function translatorOptions(values: Record<string, unknown>) {
  const sections: Partial<Record<Section, string>> = {
    "6to4": values["section-6to4"] as string | undefined,
    "4to6": values["section-4to6"] as string | undefined,
  };
  return { object: values.object as string | undefined, configure: values.configure as string | undefined, sections };
}

/** Run, print the summary (and each blocking difference's detail for one translator); write the table when asked. */
async function compareAndReport(
  specs: TranslatorSpec[],
  cases: ReturnType<typeof loadCases>,
  write: boolean,
  readme?: string,
): Promise<number> {
  const progress = (m: string) => process.stderr.write(`golden: ${m}\n`);
  const r = await compareTranslators(specs, cases, { onProgress: progress });
  if (!write) {
    for (const row of r.rows) {
      const cell = row.cells[specs[0].name];
      if (cell.status === "differ" && !cell.decision)
        process.stdout.write(`✗ ${row.id}\n${cell.detail || `  ${cell.summary}`}\n\n`);
    }
  }
  process.stdout.write(`${formatSummary(r)}\n`);
  if (write) {
    const { md, json } = writeCompare(r);
    process.stdout.write(`table: ${relative(process.cwd(), md)}, ${relative(process.cwd(), json)}\n`);
  }
  if (readme) {
    const file = join(ROOT, "README.md");
    writeFileSync(file, replaceReadmeTables(readFileSync(file, "utf8"), formatReadmeTables(r, readme)));
    process.stdout.write("README.md: its compare tables rewritten from this run\n");
  }
  return r.blocking.length ? 1 : 0;
}
