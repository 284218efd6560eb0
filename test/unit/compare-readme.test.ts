/**
 * `natlab golden compare --readme`: the README's compare section is
 * replaced between its markers, and only there; a README without the
 * markers is an error, not a silent append.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { README_BEGIN, README_END, replaceReadmeTables } from "../../harness/golden/compare.ts";
import { ROOT } from "../../harness/root.ts";

test("the README's compare tables are replaced between the markers, the rest kept", (t) => {
  const text = `intro\n${README_BEGIN}\nold table\n${README_END}\nafter\n`;
  t.is(replaceReadmeTables(text, "new table"), `intro\n${README_BEGIN}\nnew table\n${README_END}\nafter\n`);
  t.throws(() => replaceReadmeTables("no markers", "x"), { message: /no .* section/ });
});

test("README.md has the markers, once each", (t) => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  t.is(readme.split(README_BEGIN).length, 2);
  t.is(readme.split(README_END).length, 2);
});
