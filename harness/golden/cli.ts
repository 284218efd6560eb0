/**
 * natlab golden build   write fixtures/pcaps/<file>/<case>.{in,out}.pcap and index.json from the YAML
 * natlab golden check   run every case through the translator and compare (needs root)
 *     [--object FILE] [--filter TEXT]
 * natlab golden verify  checksums of the expected outputs (codec and tshark), pcaps up to date
 */

import { relative } from "node:path";
import { parseArgs } from "node:util";
import { FIXTURES_DIR, filterCases, loadCases } from "./cases.ts";
import { checkCases, formatResults, readIfExists } from "./check.ts";
import { staleFixtures, writeFixtures } from "./generate.ts";
import { tsharkChecksumProblems } from "./tshark.ts";

const USAGE = `usage:
  natlab golden build                  write the golden pcaps and index.json from fixtures/pcaps/cases/*.yaml
  natlab golden check [--object O.o] [--filter TEXT]
                                       run the cases through the translator (BPF_PROG_TEST_RUN, needs root)
  natlab golden verify                 the expected outputs' checksums (codec and tshark); pcaps up to date`;

export async function goldenCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: { object: { type: "string" }, filter: { type: "string" }, help: { type: "boolean", short: "h" } },
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
    default:
      process.stderr.write(`natlab golden: unknown subcommand "${sub}"\n${USAGE}\n`);
      return 2;
  }
}
