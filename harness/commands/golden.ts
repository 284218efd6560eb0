/**
 * `natlab golden build|check|verify`: the translator's golden packet cases
 * (fixtures/pcaps/cases/*.yaml and the pcaps made from them).
 */

import { relative } from "node:path";
import { ensureBuilt } from "../bpf/fresh.ts";
import { UsageError } from "../errors.ts";
import { FIXTURES_DIR, filterCases, loadCases } from "../golden/cases.ts";
import { checkCases, formatResults, readIfExists } from "../golden/check.ts";
import { staleFixtures, writeFixtures } from "../golden/generate.ts";
import { tsharkChecksumProblems } from "../golden/tshark.ts";
import type { Command } from "./command.ts";

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
  ],
  root: true,
  async run({ values }) {
    const filter = values.filter as string | undefined;
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
