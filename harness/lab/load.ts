/**
 * Reading a lab file: YAML with node positions, the zod schema, the checks a
 * schema cannot make, then defaults. Nothing is built before this passes, and
 * every problem is reported at once as FILE:LINE:COL: PATH: WHAT, the form
 * editors and terminals turn into links.
 *
 * YAML is read as YAML 1.2 (the `yaml` package's default core schema), where
 * an unquoted 02:00:00:00:00:0a or 2001:db8::1 is a string. YAML 1.1 read
 * such MACs as base-60 numbers; a file that asks for 1.1 gets a hint to quote.
 */
import { readFileSync } from "node:fs";
import { LineCounter, parseDocument } from "yaml";
import { checkLab } from "./check.ts";
import { problemsFromIssue } from "./issues.ts";
import { checkLabFiles, type ObjectOverride } from "./objects.ts";
import { Lab } from "./schema.ts";
import { formatPath, type Position, type Problem, positionOf, sourceAt } from "./where.ts";

/** The prefix the write-up uses: checksum-neutral, outside 64:ff9b::/96 (RFC 8215 local-use space). */
export const DEFAULT_NAT64_PREFIX = "64:ff9b:1:fffe::/96";

export interface LabProblem extends Position {
  file: string;
  path: string;
  message: string;
}

export class LabError extends Error {
  constructor(
    readonly file: string,
    readonly problems: LabProblem[],
  ) {
    super(problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.path ? `${p.path}: ` : ""}${p.message}`).join("\n"));
    this.name = "LabError";
  }
}

/** The file each loaded lab came from (nftables files are read relative to it). */
const sources = new WeakMap<Lab, string>();
export function labFile(lab: Lab): string | undefined {
  return sources.get(lab);
}

export interface LoadOptions {
  /**
   * Also check the files the lab names (BPF objects and their sections,
   * nftables files), as a run needs them: objects are found from `root`.
   */
  files?: { root: string } & ObjectOverride;
}

/** Reads, validates and completes a lab file. Throws LabError listing every problem. */
export function loadLab(file: string, opts: LoadOptions = {}): Lab {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : String((err as Error).message);
    throw new LabError(file, [{ file, line: 1, col: 1, path: "", message: `cannot read the lab file: ${why}` }]);
  }
  const lab = parseLab(text, file, opts);
  sources.set(lab, file);
  return lab;
}

/** The pure part of loadLab (unless `opts.files` asks to look at files): `file` is used only in messages. */
export function parseLab(text: string, file: string, opts: LoadOptions = {}): Lab {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, keepSourceTokens: true, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new LabError(
      file,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0] ?? lc.linePos(e.pos[0]);
        // yaml's own message repeats the position and a code frame; keep its first sentence.
        const message = `YAML syntax: ${e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")}`;
        return { file, line: pos.line, col: pos.col, path: "", message };
      }),
    );
  }
  const data = doc.toJS({ maxAliasCount: 1000 }) ?? {};
  if (doc.contents === null) {
    const message = "the lab file is empty: a lab needs at least `name` and `namespaces` (see labs/README.md)";
    throw new LabError(file, [{ file, line: 1, col: 1, path: "", message }]);
  }
  const located = (problems: Problem[]): LabProblem[] =>
    problems
      .map((p) => ({ file, ...positionOf(doc, lc, p.path, p.at), path: formatPath(p.path), message: hint(doc, p) }))
      .sort((x, y) => x.line - y.line || x.col - y.col);

  const parsed = Lab.safeParse(data);
  if (!parsed.success) {
    const root = Lab as unknown as Parameters<typeof problemsFromIssue>[0];
    throw new LabError(
      file,
      located(withoutEchoes(parsed.error.issues.flatMap((i) => problemsFromIssue(root, data, i)))),
    );
  }
  const problems = checkLab(parsed.data);
  // Files are looked at only for a lab that is otherwise right: a misspelt key gives one message, not three.
  if (problems.length === 0 && opts.files)
    problems.push(...checkLabFiles(parsed.data, file, opts.files.root, opts.files));
  if (problems.length > 0) throw new LabError(file, located(problems));
  return withDefaults(parsed.data);
}

/**
 * `sectoin: 4to6` gives two problems: `sectoin` is unknown, and `section` is
 * missing. The first already says "did you mean `section`?": keep only it.
 */
function withoutEchoes(problems: Problem[]): Problem[] {
  const meant = new Set(
    problems.flatMap((p) => {
      const m = /did you mean `([^`]+)`\?/.exec(p.message);
      return m && p.at === "key" ? [formatPath([...p.path.slice(0, -1), m[1]])] : [];
    }),
  );
  return problems.filter((p) => !(p.message.startsWith("missing field") && meant.has(formatPath(p.path))));
}

/** A number where the file has `aa:bb:...` is YAML 1.1 reading it in base 60: say to quote it. */
function hint(doc: ReturnType<typeof parseDocument>, p: Problem): string {
  const src = sourceAt(doc, p.path);
  if (src && /^[0-9a-fA-F:]+$/.test(src) && src.includes(":") && p.message.includes("the number")) {
    return `${p.message} (YAML 1.1 reads \`${src}\` as a base-60 number: quote it, "${src}")`;
  }
  // `on`, `true`, `1.0`: YAML reads these as booleans and numbers; a string field wants them quoted.
  if (src && p.message.startsWith("expected a string") && /got (true|false|the number)/.test(p.message)) {
    return `${p.message} (YAML read \`${src}\` as ${p.message.includes("number") ? "a number" : "a boolean"}: quote it, "${src}")`;
  }
  return p.message;
}

/** Defaults that depend on other parts of the lab (the schema fills the simple ones). */
function withDefaults(lab: Lab): Lab {
  for (const b of lab.bpf) b.prefix ??= DEFAULT_NAT64_PREFIX;
  for (const f of lab.flows) {
    if (f.capture.length === 0) f.capture = [...new Set(f.expect.map((e) => e.on))];
  }
  return lab;
}
