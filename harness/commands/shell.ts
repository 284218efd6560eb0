/** `natlab shell LAB NS`: an interactive shell in a namespace of a lab that is up. */
import type { Command } from "./command.ts";

export const shell: Command = {
  name: "shell",
  args: "LAB NS",
  summary: "an interactive shell in a namespace of a lab that is up, its prompt naming the lab and the namespace",
  options: [],
  root: true,
  async run({ positionals }) {
    const { UsageError } = await import("./command.ts");
    if (positionals.length !== 2)
      throw new UsageError("natlab shell: usage: natlab shell LAB NS (natlab ls lists the labs that are up)");
    const [labArg, ns] = positionals;
    const { findUpLab, namespaceOf } = await import("../run/up.ts");
    const { runAttached, shellArgv } = await import("../exec/attached.ts");
    const r = findUpLab(labArg, "shell");
    const real = namespaceOf(r, ns, "shell");
    process.stderr.write(
      `natlab: a shell in ${real} (lab ${r.lab}, namespace ${ns}); exit or Ctrl-D leaves it, the lab stays up\n`,
    );
    const { argv, env } = shellArgv(r.lab, ns);
    return runAttached(["ip", "netns", "exec", real, ...argv], env);
  },
};
