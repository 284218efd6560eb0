/**
 * `natlab fuzz`: batches of random and mutated frames through a translator
 * (harness/fuzz/translator.ts), every frame checked against the invariants
 * (invariants.ts), every batch's counters (counters.ts), every translated
 * frame decoded by tshark as well (tshark.ts), violations saved with the
 * command that reproduces them (record.ts).
 *
 * Batches cycle through the golden cases' prefixes (so both a
 * checksum-neutral and a non-neutral prefix, and lengths /32 to /96) and
 * through three ways of choosing the program's direction: by EtherType, all
 * to `6to4`, all to `4to6` (a tc hook sees both families; the direction that
 * does not take a frame must leave it alone).
 */
import { type Prefix, parsePrefix } from "../packet/prefix.ts";
import { counterProblems, miscounted, type Tally, tally } from "./counters.ts";
import { batchFrames, type FuzzFrame, goldenSeeds, runPrefixes } from "./frames.ts";
import { checkFrame } from "./invariants.ts";
import { type Found, Violations } from "./record.ts";
import { Rng } from "./rng.ts";
import type { Section, TranslatorUnderTest } from "./translator.ts";
import { tsharkClass, tsharkErrors } from "./tshark.ts";

export interface FuzzOptions {
  count: number;
  seed: number;
  translator: TranslatorUnderTest;
  /** Frames per translator run (one runner process each). */
  batch?: number;
  /** Only these prefixes (default: the golden cases' and a few more). */
  prefixes?: string[];
  /** Every frame to this direction (default: alternate, see above). */
  section?: Section;
  /** Decode translated frames with tshark too (default true). */
  tshark?: boolean;
  /** Golden fixtures folder (default fixtures/pcaps). */
  goldenDir?: string;
  /** Called after each batch. */
  progress?: (p: Progress) => void;
}

export interface Progress {
  frames: number;
  count: number;
  violations: number;
  seconds: number;
}

export interface FuzzSummary {
  frames: number;
  seconds: number;
  seed: number;
  batches: number;
  tally: Tally;
  /** Sums of the translator's counters over all batches (undefined if it keeps none). */
  counters?: { translated: number; passed: number; dropped: number; byName: Record<string, number> };
  /** Frames tshark decoded (inputs and outputs of translated frames). */
  tsharkFrames: number;
  bySource: Record<string, number>;
  byMutation: Record<string, number>;
  notes: Record<string, number>;
  violations: Violations;
}

/** A pending tshark check: translated frames and their inputs, decoded in one process. */
interface TsharkJob {
  items: {
    input: FuzzFrame;
    output: Buffer;
    prefix: string;
    section?: Section;
    batch: number;
    index: number;
    inputMalformed: boolean;
  }[];
}

/**
 * Flag the tshark errors of translated frames whose input was clean (by the
 * codec and by tshark): those the translation made. On a malformed input,
 * the invariants (invariants.ts) decide what the translator had to catch.
 */
async function runTshark(job: TsharkJob, violations: Violations): Promise<number> {
  const n = job.items.length;
  if (!n) return 0;
  const errs = await tsharkErrors([...job.items.map((i) => i.input.frame), ...job.items.map((i) => i.output)]);
  job.items.forEach((it, k) => {
    if (it.inputMalformed || errs[k].length) return;
    for (const e of errs[n + k]) {
      const kind = `tshark: ${tsharkClass(e)}`;
      violations.add({
        violation: { kind, detail: e },
        input: it.input,
        output: it.output,
        prefix: it.prefix,
        section: it.section,
        batch: it.batch,
        index: it.index,
      });
    }
  });
  return 2 * n;
}

/** Translated frames are sent to tshark this many at a time (tshark starts in about a second). */
const TSHARK_CHUNK = 20000;

export async function fuzz(opts: FuzzOptions): Promise<FuzzSummary> {
  const started = Date.now();
  const batchSize = opts.batch ?? 10000;
  const golden = goldenSeeds(opts.goldenDir);
  const prefixes: Prefix[] = opts.prefixes?.length ? opts.prefixes.map(parsePrefix) : runPrefixes(golden);
  const violations = new Violations();
  const total: Tally = { translated: 0, passed: 0, dropped: 0, refused: 0, other: 0 };
  let counters: FuzzSummary["counters"];
  const bySource: Record<string, number> = {};
  const byMutation: Record<string, number> = {};
  const notes: Record<string, number> = {};
  let tsharkFrames = 0;
  let job: TsharkJob = { items: [] };
  let inFlight: Promise<number> | undefined;
  let done = 0;
  let b = 0;
  /** Batch k: its prefix, direction and frames (from its own Rng stream). */
  const make = (k: number, start: number) => {
    const prefix = prefixes[k % prefixes.length];
    // Most batches by EtherType; one in five all to 6to4, one in five all to 4to6.
    const section: Section | undefined =
      opts.section ?? ([undefined, undefined, undefined, "6to4", "4to6"] as const)[k % 5];
    const n = Math.min(batchSize, opts.count - start);
    const frames = batchFrames(new Rng(opts.seed, k), n, prefix, golden.get(prefix.text) ?? []);
    return { prefix, n, frames, config: { prefix: prefix.text, ...(section ? { section } : {}) } };
  };
  let next = make(0, 0);
  for (; done < opts.count; b++) {
    const { prefix, n, frames, config } = next;
    const running = opts.translator.translate(
      frames.map((f) => f.frame),
      config,
    );
    // The next batch is made while the runner works on this one.
    if (done + n < opts.count) next = make(b + 1, done + n);
    const result = await running;
    const t = tally(result.outcomes);
    for (const k of Object.keys(total) as (keyof Tally)[]) total[k] += t[k];
    result.outcomes.forEach((o, i) => {
      const f = frames[i];
      const src = f.origin.startsWith("golden")
        ? f.mutations.length
          ? "golden, mutated"
          : "golden"
        : f.mutations.length
          ? "generated, mutated"
          : "generated";
      bySource[src] = (bySource[src] ?? 0) + 1;
      for (const m of f.mutations) byMutation[m] = (byMutation[m] ?? 0) + 1;
      const r = checkFrame(f.frame, o, prefix);
      for (const note of r.notes) notes[note] = (notes[note] ?? 0) + 1;
      const found = (v: Found["violation"]): Found => ({
        violation: v,
        input: f,
        output: o.outputs[0],
        prefix: prefix.text,
        section: o.section,
        batch: b,
        index: i,
      });
      for (const v of r.violations) violations.add(found(v));
      // tshark's second opinion on translations the invariants found nothing wrong with.
      if (opts.tshark !== false && o.verdict === "ok" && o.outputs[0] && !r.violations.length) {
        job.items.push({
          input: f,
          output: o.outputs[0],
          prefix: prefix.text,
          section: o.section,
          batch: b,
          index: i,
          inputMalformed: r.inputMalformed,
        });
      }
    });
    if (result.counters) {
      counters ??= { translated: 0, passed: 0, dropped: 0, byName: {} };
      counters.translated += result.counters.translated;
      counters.passed += result.counters.passed;
      counters.dropped += result.counters.dropped;
      for (const [k, v] of Object.entries(result.counters.byName)) counters.byName[k] = (counters.byName[k] ?? 0) + v;
      if (counterProblems(result.outcomes, result.counters).length) {
        for (const m of await miscounted(
          opts.translator,
          frames.map((f) => f.frame),
          config,
        )) {
          const o = result.outcomes[m.index];
          violations.add({
            violation: { kind: `counters do not add up (${o.verdict})`, detail: m.problem },
            input: frames[m.index],
            output: o.outputs[0],
            prefix: prefix.text,
            section: o.section,
            batch: b,
            index: m.index,
          });
        }
      }
    }
    done += n;
    // One tshark at a time, working while the next batches are made and run.
    if (job.items.length >= TSHARK_CHUNK) {
      if (inFlight) tsharkFrames += await inFlight;
      inFlight = runTshark(job, violations);
      // Awaited at the next flush or at the end; until then a failure must not count as unhandled.
      inFlight.catch(() => undefined);
      job = { items: [] };
    }
    opts.progress?.({
      frames: done,
      count: opts.count,
      violations: violations.total,
      seconds: (Date.now() - started) / 1000,
    });
  }
  if (inFlight) tsharkFrames += await inFlight;
  tsharkFrames += await runTshark(job, violations);
  return {
    frames: done,
    seconds: (Date.now() - started) / 1000,
    seed: opts.seed,
    batches: b,
    tally: total,
    counters,
    tsharkFrames,
    bySource,
    byMutation,
    notes,
    violations,
  };
}
