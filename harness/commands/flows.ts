/** `natlab flows LAB [--filter TEXT]`: the lab's flows against a lab that is up, checked as `natlab run` checks them. */
import type { Command } from "./command.ts";

export const flows: Command = {
  name: "flows",
  args: "LAB",
  summary: "run the flows of a lab that is up against it, with the same checks and results as natlab run",
  options: [{ name: "filter", type: "string", value: "TEXT", description: "only flows whose name contains TEXT" }],
  root: true,
  async run({ values, positionals }) {
    const { UsageError } = await import("./command.ts");
    if (positionals.length !== 1) throw new UsageError("natlab flows: name one lab that is up: natlab flows article");
    const { findUpLab } = await import("../run/up.ts");
    const { flowsAgainst } = await import("../run/flows.ts");
    const r = findUpLab(positionals[0], "flows");
    const result = await flowsAgainst(r, { filter: values.filter as string | undefined });
    return result.failed > 0 ? 1 : 0;
  },
};
