/**
 * The `bpf` translator: bpf/nat64.o (or --object) through BPF_PROG_TEST_RUN,
 * one runner process per (prefix, section) group (harness/bpf/xlat.ts). The
 * program sees one frame and returns one verdict: nothing routes, nothing
 * decrements, the Ethernet header is the program's own.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NAT64_OBJECT } from "../bpf/build.ts";
import { xlat } from "../bpf/xlat.ts";
import { readPcap, writePcap } from "../packet/index.ts";
import type { Translator, TranslatorInput, TranslatorOutput, TranslatorSpec } from "./types.ts";

export function bpfTranslator(spec: TranslatorSpec): Translator {
  const object = spec.object ?? NAT64_OBJECT;
  return {
    spec,
    title: `${object} through BPF_PROG_TEST_RUN (sections 6to4, 4to6)`,
    rules: { ttlDecrement: { "6to4": 0, "4to6": 0 }, compareEthernet: true, passMeaning: "untouched" },
    notApplicable: () => undefined,
    run: (inputs) => runTestRun(object, inputs),
  };
}

/** Inputs batched by (prefix, section) through the xlat runner; verdicts as the runner gives them. */
async function runTestRun(object: string, inputs: TranslatorInput[]): Promise<TranslatorOutput[]> {
  const outputs: TranslatorOutput[] = [];
  const groups = new Map<string, number[]>();
  inputs.forEach((inp, i) => {
    const key = `${inp.prefix} ${inp.section}`;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  const tmp = mkdtempSync(join(tmpdir(), "natlab-bpf-"));
  try {
    let n = 0;
    for (const at of groups.values()) {
      const { prefix, section } = inputs[at[0]];
      const input = join(tmp, `in-${n}.pcap`);
      const output = join(tmp, `out-${n++}.pcap`);
      writePcap(
        input,
        at.map((i) => inputs[i].frame),
      );
      const report = await xlat({ input, output, prefix, section, object });
      const frames = readPcap(output).frames.map((f) => f.data);
      at.forEach((i, k) => {
        const r = report.find((x) => x.index === k);
        const out = r?.out == null ? [] : [frames[r.out]];
        if (!r)
          outputs[i] = { verdict: "error", frames: [], back: [], reason: "the runner reported nothing for this frame" };
        else if (r.verdict === "error")
          outputs[i] = {
            verdict: "error",
            frames: [],
            back: [],
            reason: `the kernel refused to run the frame: ${r.reason ?? "(no reason given)"}`,
          };
        else if (r.verdict === "other")
          outputs[i] = {
            verdict: "error",
            frames: out,
            back: [],
            reason: `the program returned ${r.retval}, not a TC_ACT_OK/SHOT verdict`,
          };
        else outputs[i] = { verdict: r.verdict, frames: r.verdict === "shot" ? [] : out, back: [] };
      });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return outputs;
}
