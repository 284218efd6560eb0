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
 */
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { parseDocument } from "yaml";
import { z } from "zod";
import { DEFAULT_PREFIX, parsePrefix } from "../bpf/prefix.ts";
import { Packet } from "../packet/layers.ts";
import { ROOT } from "../root.ts";

export const CASES_DIR = join(ROOT, "fixtures", "pcaps", "cases");
export const FIXTURES_DIR = join(ROOT, "fixtures", "pcaps");

/** "ipv4.id" (outer) or "ipv4[3].id" (a quoted layer), as the matcher names fields (harness/match layerPaths). */
const FieldPath = z.string().regex(/^[a-z0-9]+(\[\d+\])?\.[a-z0-9]+$/, "a field path like ipv4.id or ipv4[3].id");

export const GoldenCase = z
  .strictObject({
    name: z.string().min(1),
    rfc: z.string().min(1).describe("the RFC section the case proves, e.g. RFC 7915 §4.5"),
    why: z.string().min(1),
    prefix: z.string().optional(),
    section: z.enum(["6to4", "4to6"]).optional(),
    in: Packet,
    verdict: z.enum(["ok", "pass", "shot"]),
    out: Packet.optional(),
    ignore: z.array(FieldPath).optional().describe("fields the translator may choose; compared as don't-care"),
    badChecksum: z.literal("preserved").optional(),
  })
  .superRefine((c, ctx) => {
    if (c.verdict === "ok" && !c.out) ctx.addIssue({ code: "custom", message: "verdict ok needs `out` (the expected output)" });
    if (c.verdict !== "ok" && c.out) ctx.addIssue({ code: "custom", message: `verdict ${c.verdict} takes no \`out\` (pass: the input; shot: nothing)` });
  });
export type GoldenCaseFields = z.infer<typeof GoldenCase>;

export interface Case extends GoldenCaseFields {
  /** Case file name without .yaml, e.g. "tcp-udp". */
  file: string;
  slug: string;
  prefix: string;
  section: "6to4" | "4to6";
  /** Line of the case in its file, for messages. */
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

export function loadCaseFile(path: string): Case[] {
  const file = basename(path, ".yaml");
  const text = readFileSync(path, "utf8");
  const doc = parseDocument(text, { merge: true });
  if (doc.errors.length) throw new Error(`${path}: ${doc.errors[0].message}`);
  const raw = doc.toJS({ maxAliasCount: -1 }) as unknown;
  if (!Array.isArray(raw)) throw new Error(`${path}: expected a list of cases (see harness/golden/cases.ts)`);
  const lineOf = (i: number): number => {
    const items = (doc.contents as { items?: { range?: [number] }[] }).items ?? [];
    const at = items[i]?.range?.[0] ?? 0;
    return text.slice(0, at).split("\n").length;
  };
  const seen = new Set<string>();
  return raw.map((item, i) => {
    const r = GoldenCase.safeParse(item);
    const where = `${path}:${lineOf(i)}`;
    if (!r.success) {
      const lines = r.error.issues.map((x) => `  at ${x.path.join(".") || "(case)"}: ${x.message}`);
      throw new Error(`${where}: case ${i + 1} is not a valid golden case:\n${lines.join("\n")}`);
    }
    const c = r.data;
    const slug = slugOf(c.name);
    if (seen.has(slug)) throw new Error(`${where}: a second case named "${c.name}" in ${file}.yaml (names must be unique per file)`);
    seen.add(slug);
    const prefix = parsePrefix(c.prefix ?? DEFAULT_PREFIX).text;
    return { ...c, file, slug, prefix, section: c.section ?? sectionOf(c.in), line: lineOf(i) };
  });
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
