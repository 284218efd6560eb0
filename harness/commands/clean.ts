/** `natlab clean`: namespaces natlab left behind. */
import type { Command } from "./command.ts";

export const clean: Command = {
  name: "clean",
  summary: "remove leftover natlab-* namespaces (only natlab's)",
  options: [],
  root: true,
  async run() {
    const { cleanAll } = await import("../exec/netns.ts");
    const removed = await cleanAll();
    console.log(
      removed.length
        ? `removed ${removed.length} namespace(s): ${removed.join(" ")}`
        : "no natlab namespaces left over",
    );
    return 0;
  },
};
