/**
 * `natlab translate`: frames of a manifest through one translator, outputs
 * as JSON. Used by natlab itself: the `jool` translator runs it inside the
 * VM, where Jool's modules are loaded (harness/translators/jool/).
 */

import { UsageError } from "../errors.ts";
import { makeTranslator } from "../translators/index.ts";
import { readManifest, writeOutputs } from "../translators/jool/translator.ts";
import { parseTranslator } from "../translators/types.ts";
import type { Command } from "./command.ts";

export const translateCommand: Command = {
  name: "translate",
  summary: "frames of a manifest (JSON, hex frames) through one translator; outputs as JSON",
  internal: true,
  root: true,
  options: [
    { name: "translator", type: "string", value: "NAME", description: "bpf, bpf-tc, tayga, jool or bpf:PATH" },
    {
      name: "manifest",
      type: "string",
      value: "FILE",
      description: "the inputs: {pcap, inputs: [{id, section, prefix}]}, the frames in the pcap beside it",
    },
    {
      name: "out",
      type: "string",
      value: "FILE",
      description:
        "where the outputs go: {pcap, outputs: [{verdict, frames, back, reason}]}, frames as indices into the pcap",
    },
  ],
  async run({ values }) {
    const { translator, manifest, out } = values as Record<string, string | undefined>;
    if (!translator || !manifest || !out)
      throw new UsageError("natlab translate: --translator, --manifest and --out are all needed");
    process.stderr.write(`natlab translate: started, ${process.uptime().toFixed(1)} s after node\n`);
    const t = makeTranslator(parseTranslator(translator));
    const inputs = readManifest(manifest);
    const outputs = await t.run(inputs, (m) => process.stderr.write(`natlab translate: ${m}\n`));
    writeOutputs(out, outputs);
    process.stdout.write(`natlab translate: ${inputs.length} frames through ${translator}\n`);
    return 0;
  },
};
