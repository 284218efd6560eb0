/** `natlab schema`: the lab JSON Schema for editors, from the zod schema. */
import type { Command } from "./command.ts";

export const schema: Command = {
  name: "schema",
  summary: "regenerate schema/lab.schema.json (for editors) from the lab schema",
  options: [],
  async run() {
    const { writeLabJsonSchema } = await import("../lab/jsonschema.ts");
    writeLabJsonSchema();
    console.log("wrote schema/lab.schema.json");
    return 0;
  },
};
