/** `natlab up LAB`: build a lab and leave it up, to poke at with ping, tcpdump, tc or conntrack. */
import { ROOT } from "../root.ts";
import type { Command } from "./command.ts";

export const up: Command = {
  name: "up",
  args: "LAB",
  summary: "build a lab (a file, or a name under labs/) and leave it up; prints how to enter it and how to remove it",
  options: [
    { name: "variant", type: "string", value: "V", description: "clsact, or literal (the write-up's prio/matchall/act_bpf/act_csum)" },
    { name: "object", type: "string", value: "O.o", description: "another translator build for every BPF attachment" },
    { name: "prefix", type: "string", value: "P/LEN", description: "another NAT64 prefix for every BPF attachment" },
  ],
  root: true,
  async run({ values, positionals }) {
    const { UsageError } = await import("./command.ts");
    if (positionals.length !== 1) throw new UsageError("natlab up: name one lab: natlab up labs/article.yaml");
    const { bringUp, labFileOf, upMessage } = await import("../run/up.ts");
    const variant = values.variant as "clsact" | "literal" | undefined;
    if (variant !== undefined && variant !== "clsact" && variant !== "literal") throw new UsageError(`natlab up: --variant is clsact or literal, not ${variant}`);
    const opts = { root: ROOT, variant, object: values.object as string | undefined, prefix: values.prefix as string | undefined };
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
