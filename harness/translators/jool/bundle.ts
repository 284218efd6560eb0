/**
 * One JavaScript file for the guest (guest.ts and what it imports, npm
 * packages included), made with esbuild before each boot: under emulation
 * node starts it in seconds, where tsx compiling the harness file by file
 * took close to a minute. Made fresh every time (a fraction of a second on
 * the host), so it is never older than the sources.
 *
 * The harness finds the project from import.meta.url (harness/root.ts):
 * in the bundle that URL is pinned to root.ts's own, so ROOT is the
 * project's directory as it is for natlab itself.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { ROOT } from "../../root.ts";

export async function bundleGuest(outfile: string): Promise<void> {
  await build({
    entryPoints: [join(ROOT, "harness", "translators", "jool", "guest.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "error",
    define: { "import.meta.url": JSON.stringify(pathToFileURL(join(ROOT, "harness", "root.ts")).href) },
    // Packages written as CommonJS call require(): give the ES module one.
    banner: {
      js: "import { createRequire as natlabRequire } from 'node:module'; const require = natlabRequire(import.meta.url);",
    },
  });
}
