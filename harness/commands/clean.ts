/**
 * `natlab clean`: what dead natlab runs left (their owner records say what,
 * see exec/sweep.ts), with what was removed and why. Live runs and labs that
 * are up are kept; natlab namespaces no record names only with --force.
 */
import type { Command } from "./command.ts";

export const clean: Command = {
  name: "clean",
  summary:
    "remove what dead natlab runs left (namespaces, processes, pins, temporary files), saying what and why; live runs and up labs are kept",
  options: [
    {
      name: "force",
      type: "boolean",
      description: "also remove natlab-* namespaces that no owner record names (an older natlab's, or made by hand)",
    },
  ],
  root: true,
  async run({ values }) {
    const { clean: cleanUp } = await import("../exec/sweep.ts");
    await cleanUp({ force: values.force === true }, (l) => console.log(l));
    return 0;
  },
};
