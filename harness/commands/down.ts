/** `natlab down LAB` / `natlab down --all`: remove labs that are up, through the teardown a run uses. */
import type { Command } from "./command.ts";

export const down: Command = {
  name: "down",
  args: "[LAB...]",
  summary: "remove a lab that is up (or every one with --all), through the same teardown a run uses",
  options: [{ name: "all", type: "boolean", description: "every lab that is up" }],
  root: true,
  async run({ values, positionals }) {
    const { UsageError } = await import("./command.ts");
    const { findUpLab, takeDown, upLabs } = await import("../run/up.ts");
    const { describeRemoved } = await import("../exec/sweep.ts");
    if (!values.all && positionals.length === 0)
      throw new UsageError("natlab down: name a lab that is up (natlab ls lists them), or give --all");
    const records = values.all ? upLabs() : positionals.map((p) => findUpLab(p, "down"));
    if (records.length === 0) console.log("no lab is up");
    for (const r of records) {
      const removed = await takeDown(r);
      if (removed) console.log(`lab ${r.lab} (run ${r.runId}) is down: removed ${describeRemoved(removed)}`);
      else console.log(`lab ${r.lab} (run ${r.runId}): another natlab is taking it down`);
    }
    return 0;
  },
};
