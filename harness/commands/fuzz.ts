/**
 * `natlab fuzz`: random and mutated frames through the translator with
 * BPF_PROG_TEST_RUN, every frame checked against the translator's
 * invariants; violations saved under results/fuzz/ with the command that
 * reproduces them. `--replay FILE` runs a saved pcap again. The machinery
 * is in harness/fuzz/.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { NAT64_OBJECT } from "../bpf/build.ts";
import { UsageError } from "../errors.ts";
import { bpfTranslator } from "../fuzz/bpf.ts";
import {
  type DiffFrame,
  differential,
  differentialFrames,
  readDiffFrames,
  writeDiffFrames,
} from "../fuzz/differential.ts";
import { diffSummaryJson, diffSummaryText, replayLines, saveUnexplained } from "../fuzz/differential-report.ts";
import { fuzz } from "../fuzz/fuzz.ts";
import { replay } from "../fuzz/replay.ts";
import { progressLine, summaryJson, summaryText } from "../fuzz/report.ts";
import type { Section } from "../fuzz/translator.ts";
import { readPcap } from "../packet/index.ts";
import { parsePrefix } from "../packet/prefix.ts";
import { ROOT } from "../root.ts";
import { makeTranslator } from "../translators/index.ts";
import { parseTranslator } from "../translators/types.ts";
import type { Command } from "./command.ts";

interface FuzzValues {
  count?: string;
  seed?: string;
  batch?: string;
  object?: string;
  prefix?: string[];
  section?: string;
  "no-tshark"?: boolean;
  replay?: string;
  out?: string;
  reference?: string;
  frames?: string;
}

/**
 * `--reference T`: differential fuzzing (harness/fuzz/differential.ts), or
 * with --replay a saved pcap through both translators again.
 */
async function differentialRun(
  v: FuzzValues,
  ours: ReturnType<typeof bpfTranslator>,
  section: Section | undefined,
  prefixes: string[],
): Promise<number> {
  const name = v.reference ?? "";
  if (!["jool", "tayga", "bpf-tc"].includes(name))
    throw new UsageError(`natlab fuzz: --reference is jool, tayga or bpf-tc, not "${name}"`);
  if (section)
    throw new UsageError(
      "natlab fuzz: --reference sends each frame by its EtherType, as a router does: leave out --section",
    );
  const reference = makeTranslator(parseTranslator(name));
  const log = (m: string) => process.stderr.write(`fuzz: ${m}\n`);
  if (v.replay) {
    if (!existsSync(v.replay)) throw new UsageError(`natlab fuzz: no such pcap: ${v.replay}`);
    if (prefixes.length !== 1)
      throw new UsageError("natlab fuzz: --replay takes one --prefix (the one in the saved file's name)");
    const frames = readPcap(v.replay).frames.map((f, index) => ({
      frame: f.data,
      origin: v.replay ?? "",
      mutations: [],
      prefix: prefixes[0],
      batch: 0,
      index,
    }));
    const s = await differential(frames, { seed: 0, ours, reference, onProgress: log, perFrame: true });
    const rows = (s.perFrame ?? []).map((x, index) => ({
      index,
      d: x.d,
      input: frames[index].frame,
      ours: x.ours,
      theirs: x.theirs,
      status: x.comparison.status,
      detail: x.comparison.detail,
    }));
    process.stdout.write(`${replayLines(rows, name).join("\n")}\n`);
    process.stdout.write(
      `replay: ${frames.length} frames, ${s.agree} agree, ${s.explained} explained, ${s.unexplained} unexplained\n`,
    );
    return s.unexplained || s.errors ? 1 : 0;
  }
  const seed = whole("seed", v.seed, Math.floor(Math.random() * 0x7fffffff), 0);
  const count = whole("count", v.count, 100000, 1);
  const batch = whole("batch", v.batch, 10000, 1);
  const dir = v.out ?? runDir(seed, `${name}-`);
  let frames: DiffFrame[];
  if (v.frames) {
    if (!existsSync(v.frames))
      throw new UsageError(`natlab fuzz: no such file: ${v.frames} (a frames.json of an earlier --reference run)`);
    // --prefix narrows the saved frames to those of that prefix.
    frames = readDiffFrames(v.frames).filter(
      (f) => !prefixes.length || prefixes.some((p) => parsePrefix(p).text === f.prefix),
    );
    log(`${frames.length} frames from ${v.frames}`);
  } else {
    frames = differentialFrames({ count, seed, batch, prefixes });
    log(`${frames.length} frames made (seed ${seed})`);
  }
  // The frames themselves, so that the same run can be judged again after a change (--frames).
  const kept = writeDiffFrames(join(dir, "frames.json"), frames);
  log(`frames kept in ${relative(process.cwd(), kept)} (--frames ${relative(process.cwd(), kept)} judges them again)`);
  const s = await differential(frames, { seed, ours, reference, onProgress: log });
  const saved = saveUnexplained(s, dir);
  writeFileSync(join(dir, "summary.json"), `${JSON.stringify(diffSummaryJson(s, ours.name), null, 1)}\n`);
  process.stdout.write(`${diffSummaryText(s, ours.name, saved, dir && (relative(process.cwd(), dir) || dir))}\n`);
  return s.unexplained || s.errors ? 1 : 0;
}

function whole(name: string, v: string | undefined, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  const n = Number(v.replaceAll("_", ""));
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${name} wants a whole number of at least ${min}, not "${v}"`);
  return n;
}

/** results/fuzz/seed-S-YYYYMMDD-HHMMSS */
function runDir(seed: number, kind = ""): string {
  const t = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return join(ROOT, "results", "fuzz", `${kind}seed-${seed}-${t}`);
}

export const fuzzCommand: Command = {
  name: "fuzz",
  summary:
    "random and mutated frames through the translator (BPF_PROG_TEST_RUN), every frame checked; " +
    "violations saved under results/fuzz/",
  details: `Frames: mutations of every golden input and freshly generated valid packets. Checked on every frame:
untaken frames come out byte-identical or are dropped; translated frames are of the other family and parse
cleanly (codec and tshark); checksums that were right stay right and wrong ones stay wrong; addresses map by
RFC 6052; at most one output per input; the counters add up. Exit status 1 when anything is violated.`,
  options: [
    { name: "count", type: "string", value: "N", description: "how many frames", default: "100000" },
    { name: "seed", type: "string", value: "S", description: "the random seed (default: a new one, printed)" },
    { name: "batch", type: "string", value: "N", description: "frames per runner process", default: "10000" },
    { name: "object", type: "string", value: "O.o", description: "another translator build (default bpf/nat64.o)" },
    {
      name: "prefix",
      type: "string",
      value: "P/LEN",
      multiple: true,
      description: "only this NAT64 prefix (repeatable; default: the golden cases' prefixes and a few more)",
    },
    { name: "section", type: "string", value: "S", description: "every frame to 6to4 or 4to6 (default: alternate)" },
    { name: "no-tshark", type: "boolean", description: "skip tshark's decoding of the translated frames" },
    {
      name: "replay",
      type: "string",
      value: "FILE",
      description: "run the frames of a saved pcap again and check each",
    },
    {
      name: "out",
      type: "string",
      value: "DIR",
      description: "where violations go (default results/fuzz/seed-S-TIME)",
    },
    {
      name: "reference",
      type: "string",
      value: "T",
      description:
        "differential: the same frames through a reference translator too (jool: in the debian-6.1 VM; tayga, bpf-tc), " +
        "every frame compared; unexplained differences saved under results/fuzz/",
    },
    {
      name: "frames",
      type: "string",
      value: "FILE",
      description: "with --reference: the frames of an earlier run (its frames.json) instead of new ones",
    },
  ],
  root: true,
  run: (args) => fuzzRun(args.values as FuzzValues),
};

async function fuzzRun(v: FuzzValues): Promise<number> {
  const section = v.section as Section | undefined;
  if (section && section !== "6to4" && section !== "4to6")
    throw new UsageError(`--section is 6to4 or 4to6, not ${section}`);
  const prefixes = v.prefix ?? [];
  for (const p of prefixes) {
    try {
      parsePrefix(p);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  const object = v.object ?? NAT64_OBJECT;
  if (!existsSync(object)) throw new UsageError(`no translator build at ${object}: run natlab build`);
  const translator = bpfTranslator(object);
  if (v.reference) return differentialRun(v, translator, section, prefixes);
  if (v.replay) {
    if (!existsSync(v.replay)) throw new UsageError(`no such pcap: ${v.replay}`);
    if (prefixes.length > 1) throw new UsageError("--replay takes one --prefix (the one the frames were found with)");
    const r = await replay(
      translator,
      v.replay,
      { prefix: prefixes[0] ?? "64:ff9b:1:fffe::/96", ...(section ? { section } : {}) },
      !v["no-tshark"],
    );
    process.stdout.write(`${r.lines.join("\n")}\n`);
    const bad = r.violations.filter((x) => x.length).length;
    process.stdout.write(`replay: ${r.frames} frames, ${bad} with violations\n`);
    return bad ? 1 : 0;
  }
  const seed = whole("seed", v.seed, Math.floor(Math.random() * 0x7fffffff), 0);
  const count = whole("count", v.count, 100000, 1);
  const batch = whole("batch", v.batch, 10000, 1);
  const tty = process.stderr.isTTY;
  let lastShown = -1;
  const summary = await fuzz({
    count,
    seed,
    batch,
    translator,
    prefixes,
    section,
    tshark: !v["no-tshark"],
    progress: (p) => {
      // On a terminal, one line rewritten; in a log, a line every tenth.
      const tenth = Math.floor((10 * p.frames) / p.count);
      if (tty) process.stderr.write(`\r${progressLine(p)}`);
      else if (tenth !== lastShown) process.stderr.write(`${progressLine(p)}\n`);
      lastShown = tenth;
    },
  });
  if (tty) process.stderr.write("\n");
  const dir = summary.violations.total ? (v.out ?? runDir(seed)) : undefined;
  const saved = dir ? summary.violations.save(dir, translator) : [];
  if (dir) {
    const json = summaryJson(summary, translator.name);
    writeFileSync(join(dir, "summary.json"), `${JSON.stringify(json, null, 1)}\n`);
  }
  process.stdout.write(
    `${summaryText(summary, translator.name, saved, dir && (relative(process.cwd(), dir) || dir))}\n`,
  );
  return summary.violations.total ? 1 : 0;
}
