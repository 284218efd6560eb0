/** `natlab step LAB [--yes]`: the teaching mode, one plan step per Enter; the lab stays up at the end. */
import { ROOT } from "../root.ts";
import type { Command } from "./command.ts";

export const step: Command = {
  name: "step",
  args: "LAB",
  summary:
    "build a lab one step at a time: each step with its why and the write-up step it stands for, run on Enter; " +
    "after the BPF steps, tc -s filter show and the translator's counters; the lab stays up at the end",
  options: [
    { name: "yes", type: "boolean", short: "y", description: "run every step without pausing" },
    { name: "variant", type: "string", value: "V", description: "clsact, or literal (the write-up's prio/matchall/act_bpf/act_csum)" },
    { name: "object", type: "string", value: "O.o", description: "another translator build for every BPF attachment" },
    { name: "prefix", type: "string", value: "P/LEN", description: "another NAT64 prefix for every BPF attachment" },
  ],
  root: true,
  async run({ values, positionals }) {
    const { UsageError } = await import("./command.ts");
    if (positionals.length !== 1) throw new UsageError("natlab step: name one lab: natlab step labs/article.yaml");
    const variant = values.variant as "clsact" | "literal" | undefined;
    if (variant !== undefined && variant !== "clsact" && variant !== "literal") throw new UsageError(`natlab step: --variant is clsact or literal, not ${variant}`);
    const { stepThrough } = await import("../run/step.ts");
    const opts = { root: ROOT, variant, object: values.object as string | undefined, prefix: values.prefix as string | undefined };
    return stepThrough(positionals[0], opts, { yes: values.yes === true });
  },
};
