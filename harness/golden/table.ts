/**
 * Golden cases as tables: one template and a row per case. A type/code
 * mapping is then one row that keeps its own name, `rfc:` and `why:`,
 * instead of nineteen lines that differ from their neighbours in two
 * numbers.
 *
 *   - template:                        # any case fields; $word is filled from each row's `with`
 *       in:  [{eth: {}}, {ipv4: {...}}, {icmp: $icmp}, ...]
 *       verdict: ok
 *       out: [{eth: {}}, {ipv6: {...}}, {icmpv6: $icmpv6}, ...]
 *     rows:
 *       - name: destination unreachable code 0 4to6
 *         rfc: RFC 7915 §4.2 (Destination Unreachable, Code 0)
 *         why: ICMPv4 3/0 (Net Unreachable) becomes ICMPv6 1/0.
 *         with: {icmp: {type: 3, code: 0}, icmpv6: {type: 1, code: 0}}
 *       - name: destination unreachable code 14 4to6 is dropped
 *         ...
 *         verdict: shot
 *         with: {icmp: {type: 3, code: 14}}
 *
 * The rules, all checked:
 *   - A row's fields (name, rfc, why, verdict, in, out, ...) replace the
 *     template's; its `with` holds the parameters.
 *   - `$word` in the template is replaced by the row's parameter `word`: a
 *     scalar that is only `$word` takes the parameter's value and type (a
 *     number stays a number), inside longer text it is written out. `$$` is
 *     a literal dollar sign.
 *   - A row whose verdict is not `ok` takes no `out` from the template (a
 *     dropped or passed packet has no expected output).
 *   - Every parameter a row gives is used by the template, and every
 *     placeholder the row's case needs is given: a typo is an error, not a
 *     silently different case.
 * This file is pure: the loader (cases.ts) gives it plain data and turns its
 * problems into file:line:column.
 */
import type { DataPath } from "../lab/where.ts";

/** Where a problem sits, relative to the table entry: under `template` or under `rows[i]`. */
export interface TableProblem {
  path: DataPath;
  message: string;
  at?: "key" | "value";
}

export interface ExpandedRow {
  /** The case as plain data, to be validated by the GoldenCase schema. */
  data: Record<string, unknown>;
  /** For each top-level field of `data`: the path (relative to the table entry) it was written at. */
  origin: Record<string, DataPath>;
  problems: TableProblem[];
}

const PLACEHOLDER = /\$(\$|[A-Za-z_][A-Za-z0-9_]*)/g;
const WHOLE = /^\$([A-Za-z_][A-Za-z0-9_]*)$/;

/** Fill the placeholders of one template value from `params`, noting which were used and which were missing. */
function fill(
  value: unknown,
  params: Record<string, unknown>,
  path: DataPath,
  used: Set<string>,
  problems: TableProblem[],
): unknown {
  if (typeof value === "string") {
    const whole = WHOLE.exec(value);
    if (whole) {
      const name = whole[1];
      if (!(name in params)) {
        problems.push({ path, message: `the template uses $${name}, and this row gives no \`${name}\`` });
        return value;
      }
      used.add(name);
      return params[name];
    }
    return value.replace(PLACEHOLDER, (all, name: string) => {
      if (name === "$") return "$";
      if (!(name in params)) {
        problems.push({ path, message: `the template uses $${name}, and this row gives no \`${name}\`` });
        return all;
      }
      used.add(name);
      return String(params[name]);
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => fill(v, params, [...path, i], used, problems));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, fill(v, params, [...path, k], used, problems)]),
    );
  }
  return value;
}

/**
 * The case row `rowIndex` of a table stands for: the template's fields with
 * the row's parameters filled in, then the row's own case fields on top.
 */
export function expandRow(
  template: Record<string, unknown>,
  row: Record<string, unknown>,
  rowIndex: number,
): ExpandedRow {
  const rowPath: DataPath = ["rows", rowIndex];
  const { with: given, ...fields } = row;
  const params: Record<string, unknown> =
    given !== null && typeof given === "object" && !Array.isArray(given) ? { ...given } : {};
  const problems: TableProblem[] = [];
  const used = new Set<string>();
  const data: Record<string, unknown> = {};
  const origin: Record<string, DataPath> = {};
  const verdict = fields.verdict ?? template.verdict;
  for (const [k, v] of Object.entries(template)) {
    if (k in fields) continue;
    // A dropped or passed packet has no expected output: the template's `out` is for its `ok` rows.
    if ((k === "out" || k === "ignore") && verdict !== "ok") continue;
    data[k] = fill(v, params, ["template", k], used, problems);
    origin[k] = ["template", k];
  }
  for (const [k, v] of Object.entries(fields)) {
    data[k] = v;
    origin[k] = [...rowPath, k];
  }
  for (const k of Object.keys(params)) {
    if (used.has(k)) continue;
    // A parameter no field of this row's case uses is a typo, or a leftover of a field the row replaced.
    const inTemplate = new RegExp(`\\$${k}(?![A-Za-z0-9_])`).test(JSON.stringify(template));
    const why = inTemplate
      ? `no field this row takes from the template uses $${k} (rows that are not \`ok\` take no \`out\`)`
      : `the template has no $${k}`;
    problems.push({ path: [...rowPath, "with", k], at: "key", message: `\`${k}\` is never used: ${why}` });
  }
  return { data, origin, problems };
}
