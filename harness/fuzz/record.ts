/**
 * Every violation, kept and saved: results/fuzz/<run>/ gets one pcap of
 * inputs per (class, prefix, section), the translator's outputs beside it,
 * a JSON line per violation (what, where, how it was made) and the command
 * that reproduces each pcap, with `natlab xlat` or `natlab fuzz --replay`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { slugOf } from "../golden/cases.ts";
import { pcapBytes } from "../packet/index.ts";
import type { FuzzFrame } from "./frames.ts";
import type { Violation } from "./invariants.ts";
import type { Section, TranslateConfig, TranslatorUnderTest } from "./translator.ts";

/** Frames kept per (class, prefix, section): enough to study, bounded when a broken build fails everywhere. */
export const KEEP_PER_BUCKET = 2000;

export interface Found {
  violation: Violation;
  input: FuzzFrame;
  output?: Buffer;
  prefix: string;
  section?: Section;
  /** Batch and index in it, for the log. */
  batch: number;
  index: number;
}

interface Bucket {
  kind: string;
  config: TranslateConfig;
  found: Found[];
  total: number;
}

export class Violations {
  private buckets = new Map<string, Bucket>();
  readonly byKind = new Map<string, number>();

  add(f: Found): void {
    this.byKind.set(f.violation.kind, (this.byKind.get(f.violation.kind) ?? 0) + 1);
    const key = `${f.violation.kind}\u0000${f.prefix}\u0000${f.section ?? ""}`;
    let b = this.buckets.get(key);
    if (!b) {
      b = {
        kind: f.violation.kind,
        config: { prefix: f.prefix, ...(f.section ? { section: f.section } : {}) },
        found: [],
        total: 0,
      };
      this.buckets.set(key, b);
    }
    b.total++;
    if (b.found.length < KEEP_PER_BUCKET) b.found.push(f);
  }

  get total(): number {
    let n = 0;
    for (const v of this.byKind.values()) n += v;
    return n;
  }

  /** The first example of each class, for the summary. */
  examples(): Found[] {
    const seen = new Set<string>();
    const out: Found[] = [];
    for (const b of this.buckets.values()) {
      if (seen.has(b.kind)) continue;
      seen.add(b.kind);
      out.push(b.found[0]);
    }
    return out;
  }

  /** Write the pcaps and violations.jsonl under `dir`; one reproduce command per pcap, by class. */
  save(
    dir: string,
    translator: TranslatorUnderTest,
  ): { kind: string; pcap: string; frames: number; total: number; xlat: string; replay: string }[] {
    mkdirSync(dir, { recursive: true });
    const files: { kind: string; pcap: string; frames: number; total: number; xlat: string; replay: string }[] = [];
    const lines: string[] = [];
    let n = 0;
    for (const b of this.buckets.values()) {
      n++;
      const prefixSlug = slugOf(b.config.prefix);
      const section = b.config.section ? `-${b.config.section}` : "";
      const name = `${String(n).padStart(3, "0")}-${slugOf(b.kind).slice(0, 60)}-${prefixSlug}${section}`;
      const pcap = join(dir, `${name}.pcap`);
      writeFileSync(pcap, pcapBytes(b.found.map((f) => f.input.frame)));
      const outputs = b.found.filter((f) => f.output).map((f) => f.output as Buffer);
      if (outputs.length) writeFileSync(join(dir, `${name}.out.pcap`), pcapBytes(outputs));
      const shown = relative(process.cwd(), pcap) || pcap;
      const flag = b.config.section ? ` --section ${b.config.section}` : "";
      const replay = `natlab fuzz --replay ${shown} --prefix ${b.config.prefix}${flag}`;
      const xlat = translator.reproduce(shown, b.config);
      files.push({ kind: b.kind, pcap: shown, frames: b.found.length, total: b.total, xlat, replay });
      b.found.forEach((f, i) => {
        lines.push(
          JSON.stringify({
            kind: f.violation.kind,
            detail: f.violation.detail,
            pcap: shown,
            frame: i,
            prefix: f.prefix,
            section: f.section ?? null,
            origin: f.input.origin,
            mutations: f.input.mutations,
            batch: f.batch,
            index: f.index,
          }),
        );
      });
    }
    writeFileSync(join(dir, "violations.jsonl"), lines.length ? `${lines.join("\n")}\n` : "");
    writeFileSync(
      join(dir, "reproduce.sh"),
      `${files.map((f) => `# ${f.kind} (${f.total})\n${f.replay}\n${f.xlat}\n`).join("\n")}`,
    );
    return files;
  }
}
