/** The Vagrantfile parses (ruby -c), and provisions with the same setup script the README's two commands run. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { ROOT } from "../../harness/root.ts";

test("the Vagrantfile is valid Ruby", (t) => {
  const out = execFileSync("ruby", ["-c", join(ROOT, "Vagrantfile")], { encoding: "utf8" });
  t.regex(out, /Syntax OK/);
});

test("the Vagrantfile provisions with scripts/setup.sh on Debian 12", (t) => {
  const text = readFileSync(join(ROOT, "Vagrantfile"), "utf8");
  t.regex(text, /debian\/bookworm64/);
  t.regex(text, /sh scripts\/setup\.sh/);
});
