/**
 * `natlab xlat IN.pcap --out OUT.pcap [--prefix P/LEN] [--report R.jsonl]
 *  [--section 6to4|4to6] [--object O.o] [--stats] [--describe]`: one line
 * per frame (index, section, verdict, where it went in OUT.pcap), then a
 * summary. --describe adds what went in and what came out, decoded (slow:
 * about 1,000 frames/s against the runner's 20,000), --stats the counters.
 */
import { parseArgs } from "node:util";
import { describe, parse, readPcap } from "../packet/index.ts";
import { formatStats, readStatsFile } from "./stats.ts";
import { type Section, xlat } from "./xlat.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const USAGE =
  "usage: natlab xlat IN.pcap --out OUT.pcap [--prefix P/LEN] [--report R.jsonl] [--section 6to4|4to6] [--object O.o] [--stats] [--describe]";

export async function xlatCommand(argv: string[]): Promise<number> {
  let a: ReturnType<typeof parseOpts>;
  try {
    a = parseOpts(argv);
  } catch (e) {
    process.stderr.write(`natlab xlat: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = a;
  if (positionals.length !== 1 || !values.out) {
    process.stderr.write(`natlab xlat: need one input pcap and --out\n${USAGE}\n`);
    return 2;
  }
  if (values.section && values.section !== "6to4" && values.section !== "4to6") {
    process.stderr.write(`natlab xlat: --section must be 6to4 or 4to6, not ${values.section}\n`);
    return 2;
  }
  const tmp = mkdtempSync(join(tmpdir(), "natlab-xlat-"));
  const statsPath = join(tmp, "stats.json");
  try {
    const input = positionals[0];
    const results = await xlat({
      input,
      output: values.out,
      report: values.report,
      prefix: values.prefix,
      section: values.section as Section | undefined,
      object: values.object,
      stats: statsPath,
    });
    const inFrames = values.describe ? readPcap(input).frames : [];
    const outFrames = values.describe ? readPcap(values.out).frames : [];
    const show = (b: Buffer | undefined) => {
      if (!b) return "";
      try {
        return describe(parse(b));
      } catch {
        return `${b.length} bytes`;
      }
    };
    const lines: string[] = [];
    for (const r of results) {
      let line = `${String(r.index).padStart(4)}  ${r.section}  ${r.verdict.padEnd(5)}`;
      if (r.out !== null) line += `  -> #${r.out} (${r.len} bytes)`;
      if (r.verdict === "error") line += `  ${r.reason}`;
      if (values.describe) {
        line += `\n        in:  ${show(inFrames[r.index]?.data)}`;
        if (r.verdict === "ok") line += `\n        out: ${show(outFrames[r.out ?? -1]?.data)}`;
      }
      lines.push(`${line}\n`);
    }
    process.stdout.write(lines.join(""));
    const n = (v: string) => results.filter((r) => r.verdict === v).length;
    console.log(
      `${results.length} frames: ${n("ok")} translated, ${n("pass")} passed unchanged, ${n("shot")} dropped, ${n("error")} refused by the kernel` +
        (n("other") ? `, ${n("other")} other return codes` : "") +
        ` -> ${values.out}`,
    );
    if (values.stats) console.log(`counters:\n${formatStats(readStatsFile(statsPath))}`);
    return n("error") ? 1 : 0;
  } catch (e) {
    process.stderr.write(`natlab xlat: ${(e as Error).message}\n`);
    return 1;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function parseOpts(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: "string", short: "o" },
      prefix: { type: "string" },
      report: { type: "string" },
      section: { type: "string" },
      object: { type: "string" },
      stats: { type: "boolean" },
      describe: { type: "boolean" },
    },
  });
}
