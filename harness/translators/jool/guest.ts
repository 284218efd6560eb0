/**
 * The guest's half of the `jool` translator: the frames of a manifest
 * through Jool, each chunk's outputs written to the share as soon as it is
 * done and each frame noted before it is sent (so that the host keeps what
 * was done, and knows the frame in flight, when Jool stops the kernel).
 * The host bundles this file and what it imports into one JavaScript file
 * (bundle.ts) before each boot, so that node starts it under emulation
 * without a TypeScript loader: tsx compiling the harness took 50 s of a
 * compare's VM time on a loaded machine.
 *
 *   node guest.mjs MANIFEST.json PARTS-DIR NOTE-FILE
 */
import { readManifest, runJoolGuest } from "./translator.ts";

async function main(): Promise<number> {
  const [manifest, parts, note] = process.argv.slice(2);
  if (!manifest || !parts || !note) {
    process.stderr.write("usage: node guest.mjs MANIFEST.json PARTS-DIR NOTE-FILE\n");
    return 2;
  }
  process.stderr.write(`natlab translate: started, ${process.uptime().toFixed(1)} s after node\n`);
  const inputs = readManifest(manifest);
  await runJoolGuest(inputs, parts, note, (m) => process.stderr.write(`natlab translate: ${m}\n`));
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
