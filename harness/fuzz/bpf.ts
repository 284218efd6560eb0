/**
 * natlab's BPF translator as a fuzz target: a batch of frames goes through
 * the xlat runner (bpf/tools/xlat-runner.c, BPF_PROG_TEST_RUN), one runner
 * process per batch, which also dumps the program's counters.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { NAT64_OBJECT } from "../bpf/build.ts";
import { readStatsFile } from "../bpf/stats.ts";
import { xlat } from "../bpf/xlat.ts";
import { readPcap, writePcap } from "../packet/index.ts";
import type { Counters, FrameOutcome, TranslateConfig, TranslatorUnderTest } from "./translator.ts";

/** The counters of one runner process, summed by kind over both directions. */
export function countersOf(byName: Record<string, number>): Counters {
  const sum = (kind: string) =>
    Object.entries(byName)
      .filter(([k]) => k.split(".")[1] === kind)
      .reduce((s, [, v]) => s + v, 0);
  return { translated: sum("translated"), passed: sum("passed"), dropped: sum("dropped"), byName };
}

/** The BPF object `object` (default bpf/nat64.o) under test. */
export function bpfTranslator(object: string = NAT64_OBJECT): TranslatorUnderTest {
  const shown = relative(process.cwd(), object) || object;
  return {
    name: shown,
    async translate(frames: Buffer[], config: TranslateConfig) {
      const tmp = mkdtempSync(join(tmpdir(), "natlab-fuzz-"));
      try {
        const input = join(tmp, "in.pcap");
        const output = join(tmp, "out.pcap");
        const stats = join(tmp, "stats.json");
        writePcap(input, frames);
        const report = await xlat({ input, output, prefix: config.prefix, section: config.section, object, stats });
        const out = readPcap(output).frames.map((f) => f.data);
        const outcomes: FrameOutcome[] = report.map((r) => ({
          verdict: r.verdict,
          outputs: r.out === null ? [] : [out[r.out]],
          section: r.section,
          ...(r.reason ? { reason: r.reason } : {}),
        }));
        if (outcomes.length !== frames.length)
          throw new Error(`xlat runner reported ${outcomes.length} frames for ${frames.length}`);
        return { outcomes, counters: countersOf(readStatsFile(stats)) };
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    },
    reproduce(pcap: string, config: TranslateConfig) {
      const section = config.section ? ` --section ${config.section}` : "";
      const obj = object === NAT64_OBJECT ? "" : ` --object ${shown}`;
      return `natlab xlat ${pcap} --out /tmp/out.pcap --prefix ${config.prefix}${section}${obj} --describe --stats`;
    },
  };
}
