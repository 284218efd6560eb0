/** `natlab build`: the translator's objects and the C tools, through bpf/Makefile. */
import type { Command } from "./command.ts";

export const build: Command = {
  name: "build",
  summary: "build bpf/nat64.o, its knock-out builds and the C tools (make -C bpf)",
  options: [],
  async run() {
    const { buildBpf } = await import("../bpf/build.ts");
    await buildBpf();
    return 0;
  },
};
