/** `natlab ls`: the labs that are up, and runs in progress. */
import type { Command } from "./command.ts";

export const ls: Command = {
  name: "ls",
  summary:
    "list the labs that are up and the runs in progress: name, run id, age, namespaces, translator object and prefix",
  options: [],
  async run() {
    const { listed } = await import("../run/up.ts");
    const { formatList } = await import("../run/list.ts");
    const records = listed();
    console.log(records.length ? formatList(records, Date.now()) : "no lab is up and no natlab run is in progress");
    return 0;
  },
};
