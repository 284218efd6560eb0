/** `natlab exec LAB NS -- CMD...`: a command in one namespace of a lab that is up. */
import type { Command } from "./command.ts";

export const exec: Command = {
  name: "exec",
  args: "LAB NS -- CMD...",
  summary: "run a command in a namespace of a lab that is up (its exit status is natlab's)",
  options: [],
  root: true,
  passThrough: true,
  async run({ positionals, argv }) {
    const { UsageError } = await import("./command.ts");
    if (!argv.includes("--") || positionals.length < 3) {
      throw new UsageError("natlab exec: usage: natlab exec LAB NS -- CMD... (the -- keeps CMD's options from natlab)");
    }
    const [labArg, ns, ...cmd] = positionals;
    const { findUpLab, namespaceOf } = await import("../run/up.ts");
    const { runAttached } = await import("../exec/attached.ts");
    const r = findUpLab(labArg, "exec");
    return runAttached(["ip", "netns", "exec", namespaceOf(r, ns, "exec"), ...cmd]);
  },
};
