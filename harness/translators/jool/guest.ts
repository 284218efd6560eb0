/**
 * The guest's half of the `jool` translator: the frames of a manifest
 * through Jool, outputs beside it. The host bundles this file and what it
 * imports into one JavaScript file (bundle.ts) before each boot, so that
 * node starts it under emulation without a TypeScript loader: tsx compiling
 * the harness took 50 s of a compare's VM time on a loaded machine.
 *
 *   node guest.mjs MANIFEST.json OUT.json
 */
import { makeTranslator } from "../index.ts";
import { parseTranslator } from "../types.ts";
import { readManifest, writeOutputs } from "./translator.ts";

async function main(): Promise<number> {
  const [manifest, out] = process.argv.slice(2);
  if (!manifest || !out) {
    process.stderr.write("usage: node guest.mjs MANIFEST.json OUT.json\n");
    return 2;
  }
  process.stderr.write(`natlab translate: started, ${process.uptime().toFixed(1)} s after node\n`);
  const inputs = readManifest(manifest);
  const t = makeTranslator(parseTranslator("jool"));
  const outputs = await t.run(inputs, (m) => process.stderr.write(`natlab translate: ${m}\n`));
  writeOutputs(out, outputs);
  process.stderr.write(`natlab translate: ${inputs.length} frames through jool\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`natlab translate: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
