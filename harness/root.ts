/** The project directory: where labs/, bpf/ and results/ live, wherever natlab is run from. */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
