/** `natlab up LAB`: build a lab and leave it up, to poke at with ping, tcpdump, tc or conntrack. */
import { ROOT } from "../root.ts";
import type { Command } from "./command.ts";
import { LAB_BUILD_OPTIONS, labBuildValues } from "./lab-build.ts";

export const up: Command = {
  name: "up",
  args: "LAB",
  summary: "build a lab (a file, or a name under labs/) and leave it up; prints how to enter it and how to remove it",
  options: [...LAB_BUILD_OPTIONS],
  root: true,
  async run({ values, positionals }) {
    const { UsageError } = await import("./command.ts");
    if (positionals.length !== 1) throw new UsageError("natlab up: name one lab: natlab up labs/article.yaml");
    const { bringUp, labFileOf, upMessage } = await import("../run/up.ts");
    const opts = { root: ROOT, ...labBuildValues(values) };
    const file = labFileOf(positionals[0]);
    let last = 0;
    const r = await bringUp(file, opts, {
      after: async (e) => {
        // Progress for a long build: a line every 50 steps (a 50-namespace chain has hundreds).
        if (e.index + 1 - last >= 50 || e.index + 1 === e.total) {
          last = e.index + 1;
          if (e.total > 50) process.stderr.write(`natlab: setup ${e.index + 1}/${e.total} steps\n`);
        }
      },
      note: (t) => process.stderr.write(`natlab: ${t}\n`),
    });
    console.log(upMessage(r.prepared, r.ms));
    return 0;
  },
};
