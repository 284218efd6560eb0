/**
 * natlab bundled for a VM (harness/vm/bundle.ts): the bundle runs with plain
 * node from a directory outside the project, finds the project as the sources
 * do, and every file's import.meta.url is that file's own.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { ROOT } from "../../harness/root.ts";
import { bundleForGuest } from "../../harness/vm/bundle.ts";

test("natlab's CLI bundled: plain node runs it from elsewhere, and it reads the project's own files", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "natlab-bundle-test-"));
  try {
    const out = join(dir, "natlab.mjs");
    await bundleForGuest(join(ROOT, "harness", "cli.ts"), out);
    t.notRegex(readFileSync(out, "utf8"), /node_modules\/tsx\//, "no tsx in the bundle");
    const help = execFileSync("node", [out, "--help"], { cwd: dir, encoding: "utf8" });
    t.regex(help, /^natlab: /);
    // A lab by name is found under ROOT/labs: a wrong ROOT fails here.
    const script = execFileSync("node", [out, "script", "article"], { cwd: dir, encoding: "utf8" });
    t.regex(script, /^# natlab lab `article`, run script$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("each bundled file keeps its own import.meta.url, in code and not in strings", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "natlab-bundle-test-"));
  try {
    const entry = join(dir, "entry.ts");
    writeFileSync(
      entry,
      [
        `import { ROOT } from ${JSON.stringify(join(ROOT, "harness", "root.ts"))};`,
        `import { INIT_SCRIPT } from ${JSON.stringify(join(ROOT, "harness", "vm", "initramfs.ts"))};`,
        "console.log(JSON.stringify({ root: ROOT, init: INIT_SCRIPT, own: import.meta.url }));",
      ].join("\n"),
    );
    const out = join(dir, "out", "bundle.mjs");
    await bundleForGuest(entry, out);
    const said = JSON.parse(execFileSync("node", [out], { cwd: tmpdir(), encoding: "utf8" }));
    t.is(said.root, ROOT);
    t.is(said.init, join(ROOT, "harness", "vm", "init.sh"));
    t.is(said.own, `file://${entry}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
