/**
 * Golden packet cases: fixtures/pcaps/cases/*.yaml, one list of cases per
 * behaviour. Each case is an input packet, the verdict the translator must
 * give, and (for "ok") the expected output written out field by field. The
 * cases are an oracle written from RFC 7915 and RFC 6052, not from the
 * translator's code.
 *
 *   - name: udp zero checksum 4to6 gets a real checksum
 *     rfc: RFC 7915 §4.5
 *     why: IPv6 forbids a zero UDP checksum ...
 *     prefix: 64:ff9b:1:fffe::/96     # optional, the default
 *     section: 4to6                    # optional: from the input's IP version
 *     in:  [ {eth: {}}, {ipv4: {...}}, {udp: {chksum: 0}}, {payload: {...}} ]
 *     verdict: ok                      # ok (translated), pass (untouched), shot (dropped)
 *     out: [ ... ]                     # ok only; pass means "the input, unchanged"
 *     ignore: [ipv4.id]                # fields the translator chooses (compared as don't-care)
 *     badChecksum: preserved           # the input's L4 checksum is wrong on purpose
 *
 * Cases that differ from their neighbours in a few fields are written as a
 * table instead: a `template:` and `rows:`, one row per case (table.ts).
 * A file that breaks these rules is refused as a whole, every problem as
 * FILE:LINE:COL: PATH: WHAT, as lab files are.
 */
import { readdirSync, readFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { problemsFromIssue } from "../lab/issues.ts";
import { LabError, type LabProblem } from "../lab/load.ts";
import { type DataPath, formatPath, positionOf } from "../lab/where.ts";
import { Packet } from "../packet/layers.ts";
import { DEFAULT_PREFIX, parsePrefix } from "../packet/prefix.ts";
import { ROOT } from "../root.ts";
import { expandRow } from "./table.ts";

export const CASES_DIR = join(ROOT, "fixtures", "pcaps", "cases");
export const FIXTURES_DIR = join(ROOT, "fixtures", "pcaps");

/** "ipv4.id" (outer) or "ipv4[3].id" (a quoted layer), as the matcher names fields (harness/match layerPaths). */
const FieldPath = z.string().regex(/^[a-z0-9]+(\[\d+\])?\.[a-z0-9]+$/, "a field path like ipv4.id or ipv4[3].id");

export const GoldenCase = z
  .strictObject({
    name: z.string().min(1).describe("what the case shows, unique in its file; also its pcap names (slugged)"),
    rfc: z.string().min(1).describe("the RFC section the case proves, e.g. RFC 7915 §4.5"),
    why: z.string().min(1).describe("the RFC rule in a sentence: why this input gives this output or verdict"),
    prefix: z
      .string()
      .optional()
      .describe("the NAT64 prefix the translator is configured with (default 64:ff9b:1:fffe::/96)"),
    section: z
      .enum(["6to4", "4to6"])
      .optional()
      .describe("the program section to run (default: 4to6 for an IPv4 input, else 6to4)"),
    in: Packet.describe("the input frame, layer by layer in the lab packet syntax; left-out fields are derived"),
    verdict: z
      .enum(["ok", "pass", "shot"])
      .describe("ok: translated into `out`; pass: left untouched; shot: dropped (TC_ACT_SHOT)"),
    out: Packet.optional().describe("the expected output frame, for verdict ok only"),
    ignore: z.array(FieldPath).optional().describe("fields the translator may choose; compared as don't-care"),
    badChecksum: z
      .literal("preserved")
      .optional()
      .describe("the input's L4 checksum is wrong on purpose and must stay exactly as wrong"),
  })
  .superRefine((c, ctx) => {
    if (c.verdict === "ok" && !c.out)
      ctx.addIssue({ code: "custom", message: "verdict ok needs `out` (the expected output)" });
    if (c.verdict !== "ok" && c.out)
      ctx.addIssue({
        code: "custom",
        path: ["out"],
        message: `verdict ${c.verdict} takes no \`out\` (pass: the input; shot: nothing)`,
      });
  });
export type GoldenCaseFields = z.infer<typeof GoldenCase>;

/** Cases written as a table: the template's fields with each row's parameters filled in ($word), see table.ts. */
export const GoldenTable = z.strictObject({
  template: z
    .record(z.string(), z.unknown())
    .describe("case fields shared by every row; `$word` is replaced by the row's parameter `word`"),
  rows: z
    .array(
      z
        .looseObject({
          with: z
            .record(z.string(), z.unknown())
            .optional()
            .describe("the row's parameters: `$word` in the template becomes the value of `word`"),
        })
        .describe("one case: its own fields (name, rfc, why, verdict, ...) replace the template's"),
    )
    .min(1),
});

export interface Case extends GoldenCaseFields {
  /** Case file name without .yaml, e.g. "tcp-udp". */
  file: string;
  slug: string;
  prefix: string;
  section: "6to4" | "4to6";
  /** Line of the case (or of its table row) in its file, for messages. */
  line: number;
}

/** "UDP zero checksum (4to6)" -> "udp-zero-checksum-4to6" */
export function slugOf(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

/** The section a frame goes to: by its outer IP version, IPv4 to 4to6, everything else to 6to4 (as the runner does). */
function sectionOf(packet: Packet): "6to4" | "4to6" {
  const ip = packet.find((l) => "ipv4" in l || "ipv6" in l);
  return ip !== undefined && "ipv4" in ip ? "4to6" : "6to4";
}

type Schema = Parameters<typeof problemsFromIssue>[0];
const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** One entry of a case file before validation: the case's data, where each of its fields was written, its row. */
interface Draft {
  data: unknown;
  /** Source path of each top-level field (a table row's case takes fields from the template and the row). */
  origin: (field: string | number | undefined) => DataPath;
  /** Where the case itself starts (the list item, or its row). */
  at: DataPath;
  /** " (row 3)" for a case made from a table row: appended to problems found in the template. */
  row: string;
  /** Paths already reported (unfilled placeholders): the schema's complaints there are not repeated. */
  reported?: Set<string>;
}

/** A case file's entries as drafts, with the problems of its tables (unknown parameters and the like). */
function drafts(raw: unknown[]): {
  drafts: Draft[];
  problems: { path: DataPath; message: string; at?: "key" | "value" }[];
} {
  const out: Draft[] = [];
  const problems: { path: DataPath; message: string; at?: "key" | "value" }[] = [];
  raw.forEach((entry, i) => {
    if (!(isMap(entry) && ("template" in entry || "rows" in entry))) {
      out.push({ data: entry, origin: (f) => (f === undefined ? [i] : [i, f]), at: [i], row: "" });
      return;
    }
    const table = GoldenTable.safeParse(entry);
    if (!table.success) {
      for (const issue of table.error.issues) {
        for (const p of problemsFromIssue(GoldenTable as unknown as Schema, entry, issue))
          problems.push({ ...p, path: [i, ...p.path] });
      }
      return;
    }
    table.data.rows.forEach((row, r) => {
      const x = expandRow(table.data.template, row, r);
      const name = typeof x.data.name === "string" ? ` "${x.data.name}"` : "";
      for (const p of x.problems) {
        const inTemplate = p.path[0] === "template";
        problems.push({
          ...p,
          path: [i, ...p.path],
          message: `${p.message}${inTemplate ? ` (table row ${r + 1}${name})` : ""}`,
        });
      }
      out.push({
        data: x.data,
        origin: (f) => [i, ...(f !== undefined && x.origin[String(f)] ? x.origin[String(f)] : ["rows", r])],
        at: [i, "rows", r],
        row: ` (table row ${r + 1}${name})`,
        reported: new Set(x.problems.map((p) => JSON.stringify([i, ...p.path]))),
      });
    });
  });
  return { drafts: out, problems };
}

/** Reads a case file: its cases and table rows, validated. Throws LabError listing every problem at FILE:LINE:COL. */
export function loadCaseFile(path: string): Case[] {
  const file = basename(path, ".yaml");
  const rel = relative(process.cwd(), path);
  const shown = rel && !rel.startsWith("..") ? rel : path;
  const text = readFileSync(path, "utf8");
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, merge: true, uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length) {
    throw new LabError(
      shown,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0] ?? lc.linePos(e.pos[0]);
        return {
          file: shown,
          line: pos.line,
          col: pos.col,
          path: "",
          message: `YAML syntax: ${e.message.split("\n")[0]}`,
        };
      }),
    );
  }
  const raw = doc.toJS({ maxAliasCount: -1 }) as unknown;
  const at = (p: DataPath, message: string, where: "key" | "value" = "value"): LabProblem => ({
    file: shown,
    ...positionOf(doc, lc, p, where),
    path: formatPath(p),
    message,
  });
  if (!Array.isArray(raw))
    throw new LabError(shown, [at([], "expected a list of cases and tables (see harness/golden/cases.ts)")]);

  const { drafts: list, problems: tableProblems } = drafts(raw);
  const problems = tableProblems.map((p) => at(p.path, p.message, p.at));
  const seen = new Set<string>();
  const cases: Case[] = [];
  for (const d of list) {
    const r = GoldenCase.safeParse(d.data);
    if (!r.success) {
      for (const issue of r.error.issues) {
        for (const p of problemsFromIssue(GoldenCase as unknown as Schema, d.data, issue)) {
          const [top, ...rest] = p.path;
          const src = [...d.origin(top), ...rest];
          if (d.reported?.has(JSON.stringify(src))) continue;
          const fromTemplate = src.includes("template");
          // The lab wording names the top level "the lab": here it is a case.
          const message = p.message.replace(/ in the lab\b/, " in a golden case");
          problems.push(at(top === undefined ? d.at : src, `${message}${fromTemplate ? d.row : ""}`, p.at));
        }
      }
      continue;
    }
    const c = r.data;
    const slug = slugOf(c.name);
    if (seen.has(slug))
      problems.push(
        at(d.origin("name"), `a second case named "${c.name}" in ${file}.yaml (names must be unique per file)`),
      );
    seen.add(slug);
    let prefix: string;
    try {
      prefix = parsePrefix(c.prefix ?? DEFAULT_PREFIX).text;
    } catch (e) {
      problems.push(at(d.origin("prefix"), (e as Error).message));
      continue;
    }
    cases.push({
      ...c,
      file,
      slug,
      prefix,
      section: c.section ?? sectionOf(c.in),
      line: positionOf(doc, lc, d.at).line,
    });
  }
  if (problems.length)
    throw new LabError(
      shown,
      problems.sort((x, y) => x.line - y.line || x.col - y.col),
    );
  return cases;
}

/** Every case, files in name order, cases in file order. */
export function loadCases(dir: string = CASES_DIR): Case[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort();
  return files.flatMap((f) => loadCaseFile(join(dir, f)));
}

/** Keep the cases whose file, name or RFC section contains `text` (case-insensitive). */
export function filterCases(cases: Case[], text?: string): Case[] {
  if (!text) return cases;
  const t = text.toLowerCase();
  return cases.filter((c) => `${c.file}/${c.name} ${c.rfc}`.toLowerCase().includes(t));
}
