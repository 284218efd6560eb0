/** `natlab doctor`: what natlab needs on this machine, each missing thing with its fix. */
import type { Command } from "./command.ts";

export const doctor: Command = {
  name: "doctor",
  summary:
    "check tools, kernel features, privileges, bpffs and tracefs; " +
    "each missing thing comes with the command that fixes it",
  options: [],
  async run() {
    const { doctor } = await import("../doctor.ts");
    return doctor();
  },
};
