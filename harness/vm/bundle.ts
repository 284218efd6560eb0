/**
 * One JavaScript file for a guest: an entry point and everything it imports,
 * npm packages included, made with esbuild on the host before each boot.
 *
 * Why: under emulation node starts a bundle in seconds, where tsx compiling
 * the harness file by file took close to a minute; and the guest then runs
 * without tsx's loader thread and its WebAssembly module lexer, which is
 * where a guest node was seen to die ("memory access out of bounds") on
 * rare boots (docs/kernels.md). Made fresh every time (a fraction of a
 * second), so it is never older than the sources.
 *
 * The harness finds files from import.meta.url (harness/root.ts, the lab
 * schema, the VM's init script): each file's import.meta.url is replaced by
 * that file's own URL, so every path resolves as it does when natlab runs
 * from its sources.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import { build, type Plugin } from "esbuild";

/**
 * The expression rewritten, spelled so that this file, bundled too, holds no copy of it in
 * a string (a plain text replacement would rewrite that copy).
 */
const META_URL = ["import", "meta", "url"].join(".");

/** Rewrites import.meta's url in each bundled file to that file's own file: URL. */
const ownImportMetaUrl: Plugin = {
  name: "natlab-own-import-meta-url",
  setup(b) {
    b.onLoad({ filter: /\.(ts|mts|js|mjs)$/ }, async (args) => {
      const text = await readFile(args.path, "utf8");
      if (!text.includes(META_URL)) return undefined; // esbuild's own loading
      return {
        contents: text.replaceAll(META_URL, JSON.stringify(pathToFileURL(args.path).href)),
        loader: /\.m?ts$/.test(args.path) ? "ts" : "js",
      };
    });
  },
};

/** Bundles `entry` into `outfile`, an ES module for node 20. */
export async function bundleForGuest(entry: string, outfile: string): Promise<void> {
  mkdirSync(dirname(outfile), { recursive: true });
  writeFileSync(outfile, await bundleText(entry));
}

/**
 * The bundle's text. An error in the sources (a TypeScript syntax error, a module not found)
 * is thrown here, on the host, as esbuild's "file:line:col: ERROR: …", before any boot.
 */
export async function bundleText(entry: string): Promise<string> {
  const r = await build({
    entryPoints: [entry],
    outfile: "natlab.mjs",
    write: false,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "error",
    plugins: [ownImportMetaUrl],
    // Packages written as CommonJS call require(): give the ES module one.
    banner: {
      js: `import { createRequire as natlabRequire } from 'node:module'; const require = natlabRequire(${META_URL});`,
    },
  });
  return r.outputFiles[0].text;
}
