/** `natlab step LAB [--yes]`: the teaching mode, one plan step per Enter; the lab stays up at the end. */
import { ROOT } from "../root.ts";
import type { Command } from "./command.ts";
import { LAB_BUILD_OPTIONS, labBuildValues } from "./lab-build.ts";

export const step: Command = {
  name: "step",
  args: "LAB",
  summary:
    "build a lab one step at a time: each step with its why and the write-up step it stands for, run on Enter; " +
    "after the BPF steps, tc -s filter show and the translator's counters; the lab stays up at the end",
  options: [
    { name: "yes", type: "boolean", short: "y", description: "run every step without pausing" },
    ...LAB_BUILD_OPTIONS,
  ],
  root: true,
  async run({ values, positionals }) {
    const { UsageError } = await import("./command.ts");
    if (positionals.length !== 1) throw new UsageError("natlab step: name one lab: natlab step labs/article.yaml");
    const { stepThrough } = await import("../run/step.ts");
    const opts = { root: ROOT, ...labBuildValues(values) };
    return stepThrough(positionals[0], opts, { yes: values.yes === true });
  },
};
