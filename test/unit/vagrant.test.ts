/** The Vagrantfile is valid for Vagrant itself (`vagrant validate`, no box needed), and provisions with the same setup script the README's two commands run. */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { ROOT } from "../../harness/root.ts";

/**
 * `vagrant validate` in `dir`: its exit status and output. Vagrant keeps its state in a temp home.
 * --ignore-provider: without it Vagrant first looks for a usable provider (VirtualBox, libvirt,
 * docker) and fails on a machine that has none, before it reads the settings at all.
 */
function validate(dir: string): { code: number; out: string } {
  const home = mkdtempSync(join(tmpdir(), "natlab-vagrant-home-"));
  try {
    const out = execFileSync("vagrant", ["validate", "--ignore-provider"], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, VAGRANT_HOME: home, VAGRANT_CHECKPOINT_DISABLE: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    return { code: 0, out };
  } catch (e) {
    const err = e as { status?: number; stdout?: string; stderr?: string };
    return { code: err.status ?? 1, out: `${err.stdout ?? ""}${err.stderr ?? ""}` };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

test("vagrant validate accepts the Vagrantfile", (t) => {
  const r = validate(ROOT);
  t.is(r.code, 0, r.out);
  t.regex(r.out, /Vagrantfile validated successfully/);
});

test("vagrant validate can fail: an unknown setting is refused", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "natlab-vagrant-bad-"));
  try {
    copyFileSync(join(ROOT, "Vagrantfile"), join(dir, "Vagrantfile"));
    const text = readFileSync(join(dir, "Vagrantfile"), "utf8").replace(
      'config.vm.hostname = "natlab"',
      'config.vm.hostnme = "natlab"',
    );
    writeFileSync(join(dir, "Vagrantfile"), text);
    const r = validate(dir);
    t.not(r.code, 0);
    t.regex(r.out, /hostnme/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the Vagrantfile provisions with scripts/setup.sh on Debian 12", (t) => {
  const text = readFileSync(join(ROOT, "Vagrantfile"), "utf8");
  t.regex(text, /debian\/bookworm64/);
  t.regex(text, /sh scripts\/setup\.sh/);
});
