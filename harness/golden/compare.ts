/**
 * `natlab golden compare`: every golden case through several translators,
 * judged by harness/golden/judge.ts, as one table: a row per case, a column
 * per translator. Written to results/golden/compare.md and compare.json.
 *
 * Decisions: natlab's own translators (bpf, bpf-tc) must agree with the
 * golden cases, always. A reference translator (tayga, jool, bpf:PATH) that
 * differs is "decided" when fixtures/pcaps/compare-decisions.yaml has an
 * entry for it: natlab's deliberate reading (documented in
 * docs/translator.md, with the RFC words and the case that pins it) or the
 * reference's own documented behaviour. Anything else is undecided, and the
 * compare exits non-zero.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { readPcap } from "../packet/index.ts";
import { ROOT } from "../root.ts";
import { makeTranslator } from "../translators/index.ts";
import type { Translator, TranslatorInput, TranslatorOutput, TranslatorSpec } from "../translators/types.ts";
import { type Case, FIXTURES_DIR } from "./cases.ts";
import { type Judgement, judgeOutput } from "./judge.ts";

export const DECISIONS_FILE = join(FIXTURES_DIR, "compare-decisions.yaml");
export const COMPARE_DIR = join(ROOT, "results", "golden");

const Decision = z.strictObject({
  translator: z.string().min(1),
  cases: z.array(z.string().min(1)).min(1).describe("file/slug of the cases, * matches any run of characters"),
  fields: z
    .array(z.string())
    .optional()
    .describe("the differing fields it covers (verdict, ipv4.ttl...); all when left out"),
  decision: z
    .enum(["deliberate", "reference"])
    .describe("deliberate: natlab's documented reading; reference: the reference translator's own behaviour"),
  why: z.string().min(1),
  see: z.string().optional().describe("where it is documented, e.g. docs/translator.md#..."),
  fuzz: z
    .array(z.string().min(1))
    .optional()
    .describe("the differential fuzzer's explanations it decides too (harness/fuzz/explain/ ids)"),
});
export type Decision = z.infer<typeof Decision>;

export function loadDecisions(path: string = DECISIONS_FILE): Decision[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  const r = z.array(Decision).safeParse(parseYaml(text) ?? []);
  if (!r.success)
    throw new Error(
      `${relative(process.cwd(), path)}: ${r.error.issues.map((i) => `at ${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  return r.data;
}

/** Translators whose disagreement is never decidable: natlab's own. */
export function isNatlabTranslator(spec: TranslatorSpec): boolean {
  return spec.kind === "bpf" || spec.kind === "bpf-tc";
}

function glob(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .split("*")
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );
}

/** The decision that covers this disagreement, if any. */
export function findDecision(
  decisions: Decision[],
  translator: string,
  caseId: string,
  j: Judgement,
): Decision | undefined {
  return decisions.find(
    (d) =>
      d.translator === translator &&
      d.cases.some((p) => glob(p).test(caseId)) &&
      (!d.fields || j.diffs.every((x) => d.fields?.includes(x.path))),
  );
}

export interface Cell extends Judgement {
  decision?: { decision: Decision["decision"]; why: string; see?: string };
}

export interface CompareRow {
  id: string;
  name: string;
  rfc: string;
  verdict: Case["verdict"];
  cells: Record<string, Cell>;
}

export interface TranslatorSummary {
  name: string;
  title: string;
  rules: Translator["rules"];
  agree: number;
  differ: number;
  decided: number;
  undecided: number;
  notApplicable: number;
  error: number;
  seconds: number;
}

export interface CompareResult {
  translators: TranslatorSummary[];
  rows: CompareRow[];
  /** Disagreements that block: undecided reference ones, any of natlab's own, errors. */
  blocking: { translator: string; id: string; summary: string }[];
}

function inputOf(c: Case): TranslatorInput {
  const frame = readPcap(join(FIXTURES_DIR, c.file, `${c.slug}.in.pcap`)).frames[0]?.data;
  if (!frame) throw new Error(`${c.file}/${c.slug}.in.pcap has no frame: run \`natlab golden build\``);
  return { id: `${c.file}/${c.slug}`, frame, section: c.section, prefix: c.prefix };
}

function expectedOf(c: Case): Buffer | undefined {
  return readPcap(join(FIXTURES_DIR, c.file, `${c.slug}.out.pcap`)).frames[0]?.data;
}

/** One translator over the cases: inputs it cannot run are n/a with the reason, the rest run in one batch. */
export async function runCases(
  t: Translator,
  cases: Case[],
  onProgress: (m: string) => void = () => {},
): Promise<{ cells: Cell[]; seconds: number }> {
  const started = performance.now();
  const inputs = cases.map(inputOf);
  const na = inputs.map((i) => t.notApplicable(i));
  const runnable = inputs.filter((_, k) => na[k] === undefined);
  const outputs: TranslatorOutput[] = runnable.length
    ? await t.run(runnable, (m) => onProgress(`${t.spec.name}: ${m}`))
    : [];
  let next = 0;
  const cells = cases.map((c, k) => {
    const out: TranslatorOutput =
      na[k] !== undefined ? { verdict: "n/a", frames: [], back: [], reason: na[k] } : outputs[next++];
    return judgeOutput(c, inputs[k].frame, out, expectedOf(c), t.rules);
  });
  return { cells, seconds: (performance.now() - started) / 1000 };
}

/** Every case through every translator (concurrently: the VM boots while the host translators run). */
export async function compareTranslators(
  specs: TranslatorSpec[],
  cases: Case[],
  opts: { decisions?: Decision[]; onProgress?: (m: string) => void } = {},
): Promise<CompareResult> {
  const decisions = opts.decisions ?? loadDecisions();
  const translators = specs.map(makeTranslator);
  const runs = await Promise.all(translators.map((t) => runCases(t, cases, opts.onProgress)));
  const rows: CompareRow[] = cases.map((c) => ({
    id: `${c.file}/${c.slug}`,
    name: c.name,
    rfc: c.rfc,
    verdict: c.verdict,
    cells: {},
  }));
  const blocking: CompareResult["blocking"] = [];
  const summaries = translators.map((t, k) => {
    const s: TranslatorSummary = {
      name: t.spec.name,
      title: t.title,
      rules: t.rules,
      agree: 0,
      differ: 0,
      decided: 0,
      undecided: 0,
      notApplicable: 0,
      error: 0,
      seconds: Math.round(runs[k].seconds * 10) / 10,
    };
    runs[k].cells.forEach((j, i) => {
      const cell: Cell = { ...j };
      rows[i].cells[t.spec.name] = cell;
      if (j.status === "agree") s.agree++;
      else if (j.status === "n/a") s.notApplicable++;
      else if (j.status === "error") {
        s.error++;
        blocking.push({ translator: t.spec.name, id: rows[i].id, summary: `error: ${j.summary}` });
      } else {
        s.differ++;
        const d = isNatlabTranslator(t.spec) ? undefined : findDecision(decisions, t.spec.name, rows[i].id, j);
        if (d) {
          s.decided++;
          cell.decision = { decision: d.decision, why: d.why, see: d.see };
        } else {
          s.undecided++;
          blocking.push({ translator: t.spec.name, id: rows[i].id, summary: j.summary });
        }
      }
    });
    return s;
  });
  return { translators: summaries, rows, blocking };
}

/** The rules a reader needs to read the table, one line each. */
function rulesText(r: CompareResult): string[] {
  const lines = [
    "- **agree**: the translator's output is the golden case's expected frame, byte for byte, after these allowances:",
    "  - fields the case marks `ignore` (the IPv4 Identification of an unfragmented packet, RFC 7915 §5.1: the translator's choice) are taken from the output, with the checksums that cover them;",
    "  - a TCP/ICMP/IPv4 checksum written as the other one's-complement zero (0x0000 for 0xffff);",
    "  - the outer TTL/hop limit is the expected value less the translator's hops (RFC 7915 §4.1/§5.1: a translator is a router); the hops of each translator are listed below;",
    "  - Ethernet addresses are compared only for `bpf` (a router's neighbours are its own);",
    "  - a `pass` case (not for the translator) agrees on a router when nothing translated comes out;",
    "  - ICMP errors a translator sends back for a packet it drops are listed in compare.json, never held against it (RFC 7915 §4.4/§5.4: SHOULD; natlab sends none).",
    "- **n/a**: the translator cannot run the case (the reason is given); never counted as agreement.",
    "- a difference shows each differing field as `field expected → actual`; **decided** ones say why (fixtures/pcaps/compare-decisions.yaml, docs/translator.md).",
  ];
  for (const t of r.translators)
    lines.push(
      `- \`${t.name}\`: ${t.title}; hops 6to4 ${t.rules.ttlDecrement["6to4"]}, 4to6 ${t.rules.ttlDecrement["4to6"]}`,
    );
  return lines;
}

/** One line per translator, then the blocking count: what the console shows. */
export function formatSummary(r: CompareResult): string {
  const width = Math.max(...r.translators.map((t) => t.name.length));
  const lines = r.translators.map((t) => {
    const parts = [`${t.agree} agree`];
    if (t.differ)
      parts.push(`${t.differ} differ (${t.decided} decided${t.undecided ? `, ${t.undecided} undecided` : ""})`);
    if (t.notApplicable) parts.push(`${t.notApplicable} n/a`);
    if (t.error) parts.push(`${t.error} error`);
    return `  ${t.name.padEnd(width)}  ${parts.join(", ")}  (${t.seconds} s)`;
  });
  const head = `golden compare: ${r.rows.length} cases × ${r.translators.length} translators`;
  const tail = r.blocking.length
    ? `${r.blocking.length} disagreement(s) undecided or errors:`
    : "every disagreement is decided";
  const blocked = r.blocking.slice(0, 20).map((b) => `  ✗ ${b.translator}: ${b.id}: ${b.summary}`);
  if (r.blocking.length > 20) blocked.push(`  … ${r.blocking.length - 20} more in compare.md`);
  return [head, ...lines, tail, ...blocked].join("\n");
}

function cellText(c: Cell): string {
  const esc = (s: string) => s.replaceAll("|", "\\|").replaceAll("\n", " ");
  if (c.status === "agree") return "agree";
  if (c.status === "n/a") return `n/a: ${esc(c.summary)}`;
  if (c.status === "error") return `**error**: ${esc(c.summary)}`;
  const d = c.decision
    ? ` — decided (${c.decision.decision}${c.decision.see ? `, ${c.decision.see}` : ""})`
    : " — **undecided**";
  return `${esc(c.summary)}${d}`;
}

export function formatMarkdown(r: CompareResult): string {
  const names = r.translators.map((t) => t.name);
  const out = ["# natlab golden compare", "", "## Rules", "", ...rulesText(r), "", "## Summary", ""];
  out.push(
    "| translator | agree | differ, decided | differ, undecided | n/a | error |",
    "| --- | --- | --- | --- | --- | --- |",
  );
  for (const t of r.translators)
    out.push(`| ${t.name} | ${t.agree} | ${t.decided} | ${t.undecided} | ${t.notApplicable} | ${t.error} |`);
  out.push(
    "",
    "## Cases",
    "",
    `| case | expected | ${names.join(" | ")} |`,
    `| --- | --- | ${names.map(() => "---").join(" | ")} |`,
  );
  for (const row of r.rows)
    out.push(`| \`${row.id}\` | ${row.verdict} | ${names.map((n) => cellText(row.cells[n])).join(" | ")} |`);
  return `${out.join("\n")}\n`;
}

/** compare.md and compare.json into `dir`; returns their paths. */
export function writeCompare(r: CompareResult, dir: string = COMPARE_DIR): { md: string; json: string } {
  mkdirSync(dir, { recursive: true });
  const md = join(dir, "compare.md");
  const json = join(dir, "compare.json");
  writeFileSync(md, formatMarkdown(r));
  writeFileSync(json, `${JSON.stringify({ rules: rulesText(r), ...r }, null, 2)}\n`);
  return { md, json };
}

/**
 * The README's tables, from a real run: the summary, then the cases where
 * any translator differs or is n/a (the full table is compare.md), and the
 * command and date it came from.
 */
export function formatReadmeTables(r: CompareResult, command: string): string {
  const names = r.translators.map((t) => t.name);
  const out = [
    "| translator | agree | differ, decided | differ, undecided | n/a | error |",
    "| --- | --- | --- | --- | --- | --- |",
  ];
  for (const t of r.translators)
    out.push(`| ${t.name} | ${t.agree} | ${t.decided} | ${t.undecided} | ${t.notApplicable} | ${t.error} |`);
  out.push(
    "",
    `From \`${command}\` on ${new Date().toISOString().slice(0, 10)}, ${r.rows.length} cases. The cases where a translator differs (the full table: \`results/golden/compare.md\` after a run):`,
    "",
  );
  out.push(`| case | expected | ${names.join(" | ")} |`, `| --- | --- | ${names.map(() => "---").join(" | ")} |`);
  for (const row of r.rows) {
    if (names.every((n) => row.cells[n].status === "agree" || row.cells[n].status === "n/a")) continue;
    out.push(`| \`${row.id}\` | ${row.verdict} | ${names.map((n) => cellText(row.cells[n])).join(" | ")} |`);
  }
  return out.join("\n");
}

export const README_BEGIN = "<!-- natlab golden compare --readme: the tables of a real run -->";
export const README_END = "<!-- end of the compare tables -->";

/** The README with its compare tables replaced. */
export function replaceReadmeTables(readme: string, tables: string): string {
  const a = readme.indexOf(README_BEGIN);
  const b = readme.indexOf(README_END);
  if (a < 0 || b < a) throw new Error(`README.md has no ${README_BEGIN} ... ${README_END} section`);
  return `${readme.slice(0, a + README_BEGIN.length)}\n${tables}\n${readme.slice(b)}`;
}
