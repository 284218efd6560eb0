/**
 * `natlab xlat IN.pcap --out OUT.pcap [--prefix P/LEN] [--report R.jsonl]
 *  [--section 6to4|4to6] [--object O.o] [--stats] [--describe]`: one line
 * per frame (index, section, verdict, where it went in OUT.pcap), then a
 * summary. --describe adds what went in and what came out, decoded (slow:
 * about 1,000 frames/s against the runner's 20,000), --stats the counters.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBuilt } from "../bpf/fresh.ts";
import { formatStats, readStatsFile } from "../bpf/stats.ts";
import { type Section, xlat } from "../bpf/xlat.ts";
import { UsageError } from "../errors.ts";
import { describe, parse, readPcap } from "../packet/index.ts";
import type { Command } from "./command.ts";

export const xlatCommand: Command = {
  name: "xlat",
  args: "IN.pcap",
  summary:
    "run each frame of a capture through the translator with BPF_PROG_TEST_RUN; one line per frame, then a summary",
  options: [
    {
      name: "out",
      short: "o",
      type: "string",
      value: "OUT.pcap",
      description: "where the translated frames go (needed)",
    },
    { name: "prefix", type: "string", value: "P/LEN", description: "the NAT64 prefix (default 64:ff9b:1:fffe::/96)" },
    {
      name: "report",
      type: "string",
      value: "R.jsonl",
      description: "a JSON line per frame: verdict ok, pass, shot or error",
    },
    {
      name: "section",
      type: "string",
      value: "S",
      description: "6to4 or 4to6 for every frame (default: by IP version)",
    },
    { name: "object", type: "string", value: "O.o", description: "another translator build (default bpf/nat64.o)" },
    { name: "stats", type: "boolean", description: "print the translator's counters after the run" },
    {
      name: "describe",
      type: "boolean",
      description: "decode what went in and what came out (about 1,000 frames/s against 20,000)",
    },
  ],
  root: true,
  run: async (args) => {
    // Only the default build is made here; another --object is the user's own file.
    if (args.values.object === undefined) await ensureBuilt((t) => process.stderr.write(`natlab: ${t}\n`));
    return xlatRun(args.values as XlatValues, args.positionals);
  },
};

interface XlatValues {
  out?: string;
  prefix?: string;
  report?: string;
  section?: string;
  object?: string;
  stats?: boolean;
  describe?: boolean;
}

/** Translates the capture, prints a line per frame and the summary; 1 when the kernel refused a frame. */
async function xlatRun(values: XlatValues, positionals: string[]): Promise<number> {
  if (positionals.length !== 1 || !values.out) throw new UsageError("need one input pcap and --out OUT.pcap");
  if (values.section && values.section !== "6to4" && values.section !== "4to6") {
    throw new UsageError(`--section must be 6to4 or 4to6, not ${values.section}`);
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
      `${results.length} frames: ${n("ok")} translated, ${n("pass")} passed unchanged, ${n("shot")} dropped, ` +
        `${n("error")} refused by the kernel` +
        (n("other") ? `, ${n("other")} other return codes` : "") +
        ` -> ${values.out}`,
    );
    if (values.stats) console.log(`counters:\n${formatStats(readStatsFile(statsPath))}`);
    return n("error") ? 1 : 0;
  } catch (e) {
    // The runner's own failures (a bad prefix, a capture it cannot read) are one line, not a stack.
    process.stderr.write(`natlab xlat: ${(e as Error).message}\n`);
    return 1;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
