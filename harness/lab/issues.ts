/**
 * zod issues, rewritten for people editing a lab file: each says what was
 * expected where, in the lab's own words ("unknown field `ttll` in ipv4
 * (allowed: ...)", "unknown layer `ipv5`: a layer is one of eth, ipv4, ...").
 *
 * zod reports a failed union as every branch's failures; we pick the branch
 * the author meant (the one whose key they wrote) and report only its issues.
 */
import type { z } from "zod";
import * as layers from "../packet/layers.ts";
import { type DataPath, formatPath, type Problem, valueAt } from "./where.ts";

/** Each packet layer's field names, for "`hlim` is a field of ipv6". */
const LAYER_FIELDS: Record<string, string[]> = Object.fromEntries(
  Object.entries({
    eth: layers.Eth,
    ipv4: layers.Ipv4,
    ipv6: layers.Ipv6,
    hbh: layers.Ipv6Opts,
    dstopts: layers.Ipv6Opts,
    routing: layers.Ipv6Routing,
    frag: layers.Ipv6Frag,
    tcp: layers.Tcp,
    udp: layers.Udp,
    icmp: layers.Icmp,
    icmpv6: layers.Icmp,
    payload: layers.Payload,
  }).map(([name, schema]) => [name, Object.keys(schema.shape)]),
);

type Issue = z.core.$ZodIssue;
// zod 4 keeps its schema structure in `_zod.def`; the public types do not expose all of it.
type Def = {
  type: string;
  shape?: Record<string, Schema>;
  element?: Schema;
  valueType?: Schema;
  options?: Schema[];
  innerType?: Schema;
  in?: Schema;
  entries?: Record<string, unknown>;
  values?: unknown[];
  checks?: { _zod: { def: { format?: string; error?: (i?: unknown) => unknown } } }[];
};
type Schema = { _zod: { def: Def } };

const def = (s: Schema): Def => s._zod.def;

/** Strips optional/default/nullable/pipe wrappers down to the schema that does the checking. */
function unwrap(s: Schema): Schema {
  for (;;) {
    const d = def(s);
    if (d.innerType) s = d.innerType;
    else if (d.type === "pipe" && d.in) s = d.in;
    else return s;
  }
}

/** For an object union: the option whose keys the value uses. */
function optionFor(options: Schema[], value: unknown): number {
  if (!isObject(value)) return -1;
  const keys = Object.keys(value);
  return options.findIndex((o) => {
    const shape = def(unwrap(o)).shape;
    return shape !== undefined && keys.some((k) => k in shape);
  });
}

/** The schema that checks the value at `path` (for listing allowed fields and alternatives). */
export function schemaAt(root: Schema, data: unknown, path: DataPath): Schema | undefined {
  let s: Schema | undefined = unwrap(root);
  for (let i = 0; i <= path.length && s; i++) {
    const d = def(s);
    if (d.type === "union" && d.options) {
      const k = optionFor(d.options, valueAt(data, path.slice(0, i)));
      s = k >= 0 ? unwrap(d.options[k]) : s;
      if (k < 0 && i < path.length) return undefined;
    }
    if (i === path.length) break;
    const seg = path[i];
    const dd = def(s);
    if (dd.type === "object" && dd.shape) s = dd.shape[String(seg)];
    else if (dd.type === "array" && dd.element) s = dd.element;
    else if (dd.type === "record" && dd.valueType) s = dd.valueType;
    else return undefined;
    s = s && unwrap(s);
  }
  return s;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** `a string "x"`, `the number 3`, `a list`, ... for "got ..." */
export function describeValue(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "an empty value";
  if (Array.isArray(v)) return "a list";
  if (isObject(v)) return "a map";
  if (typeof v === "string") return `"${v}"`;
  if (typeof v === "number") return `the number ${v}`;
  if (typeof v === "boolean") return `${v}`;
  return String(v);
}

/** What a schema accepts, in a few words. */
function describeSchema(s: Schema): string {
  const d = def(unwrap(s));
  switch (d.type) {
    case "object":
      return `a map (${Object.keys(d.shape ?? {}).join(", ")})`;
    case "array":
      return "a list";
    case "record":
      return "a map";
    case "boolean":
      return "true or false";
    case "number":
      return "a number";
    case "enum":
      return `one of ${Object.keys(d.entries ?? {}).join(", ")}`;
    case "literal":
      return (d.values ?? []).map((v) => JSON.stringify(v)).join(" or ");
    case "string": {
      const err = d.checks?.find((c) => c._zod.def.format === "regex")?._zod.def.error;
      const msg = typeof err === "function" ? err() : undefined;
      return typeof msg === "string" ? msg : "a string";
    }
    case "union":
      return (d.options ?? []).map(describeSchema).join(", or ");
    default:
      return d.type;
  }
}

const TYPE_WORDS: Record<string, string> = {
  object: "a map",
  array: "a list",
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  record: "a map",
};

/** The name of the thing at `path`, for "in ipv4", "in links[0].a". */
function where(path: DataPath): string {
  return path.length ? formatPath(path) : "the lab";
}

/** Problems for one zod issue; `prefix` is the path of an enclosing union. */
export function problemsFromIssue(root: Schema, data: unknown, issue: Issue, prefix: DataPath = []): Problem[] {
  const path = [...prefix, ...(issue.path as DataPath)];
  const value = valueAt(data, path);
  switch (issue.code) {
    case "unrecognized_keys": {
      // zod reports a union's only fitting branch directly: still word it as a union.
      const options = unionOptionsAt(root, data, path);
      const chosen = optionFor(options, value);
      if (chosen >= 0) return keyedUnionProblems(options, chosen, path, issue.keys);
      const s = schemaAt(root, data, path);
      const allowed = Object.keys((s && def(s).shape) ?? {});
      const what = typeof path[path.length - 1] === "string" ? path[path.length - 1] : where(path);
      return issue.keys.map((key) => ({
        path: [...path, key],
        at: "key" as const,
        message:
          (typeof path[path.length - 2] === "number" ? otherLayerField(String(what), key, allowed) : undefined) ??
          `unknown field \`${key}\` in ${what}${suggest(key, allowed)} (allowed: ${allowed.join(", ")})`,
      }));
    }
    case "invalid_type": {
      const parent = valueAt(data, path.slice(0, -1));
      const key = path[path.length - 1];
      if (value === undefined && isObject(parent) && path.length > 0) {
        const s = schemaAt(root, data, path);
        return [{ path, message: `missing field \`${key}\`${s ? `: ${describeSchema(s)}` : ""}` }];
      }
      return [
        { path, message: `expected ${TYPE_WORDS[issue.expected] ?? issue.expected}, got ${describeValue(value)}` },
      ];
    }
    case "invalid_union":
      return unionProblems(root, data, issue, path);
    case "invalid_format": {
      const custom = !issue.message.startsWith("Invalid");
      const pattern =
        issue.format === "regex" && "pattern" in issue ? `text matching ${issue.pattern}` : `a ${issue.format}`;
      return [{ path, message: `expected ${custom ? issue.message : pattern}, got ${describeValue(value)}` }];
    }
    case "invalid_value": {
      const near = typeof value === "string" ? suggest(value, issue.values.map(String)) : "";
      return [{ path, message: `expected one of ${issue.values.join(", ")}, got ${describeValue(value)}${near}` }];
    }
    case "too_small":
    case "too_big": {
      const small = issue.code === "too_small";
      const limit = small
        ? (issue as { minimum: number | bigint }).minimum
        : (issue as { maximum: number | bigint }).maximum;
      const inclusive = issue.inclusive !== false;
      if (issue.origin === "array")
        return [{ path, message: `needs ${small ? "at least" : "at most"} ${limit} item${limit === 1 ? "" : "s"}` }];
      if (issue.origin === "string")
        return [
          { path, message: `needs ${small ? "at least" : "at most"} ${limit} character${limit === 1 ? "" : "s"}` },
        ];
      const op = small ? (inclusive ? "at least" : "more than") : inclusive ? "at most" : "less than";
      return [{ path, message: `must be ${op} ${limit}, got ${describeValue(value)}` }];
    }
    case "invalid_key": {
      // A map key that breaks its rule (a namespace called `Host`): point at the key itself.
      const why = issue.issues
        .map((i) =>
          i.code === "invalid_format" && !i.message.startsWith("Invalid") ? i.message : i.message.toLowerCase(),
        )
        .join("; ");
      return [
        {
          path,
          at: "key",
          message: `the name \`${String(path[path.length - 1])}\` is not allowed here: expected ${why}`,
        },
      ];
    }
    case "not_multiple_of":
      return [{ path, message: `must be a multiple of ${issue.divisor}, got ${describeValue(value)}` }];
    default:
      return [{ path, message: issue.message }];
  }
}

/** "; did you mean `ttl`?" for a near miss (one or two letters off, or two letters swapped). */
export function suggest(key: string, allowed: string[]): string {
  const near = nearest(key, allowed);
  return near ? `; did you mean \`${near}\`?` : "";
}

/** The allowed word closest to `key`, when it is close enough to be a typo of it. */
export function nearest(key: string, allowed: string[]): string | undefined {
  const swapped = (a: string) =>
    a.length === key.length &&
    [...a].filter((ch, i) => ch !== key[i]).length === 2 &&
    [...a].sort().join() === [...key].sort().join();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const a of allowed) {
    const d = swapped(a) ? 1 : editDistance(a, key);
    if (d <= Math.min(2, Math.floor(a.length / 2)) && d < bestDistance) {
      best = a;
      bestDistance = d;
    }
  }
  return best;
}

/** The same idea under another name in the other IP version (hlim in ipv4 is its ttl). */
const COUNTERPART: Record<string, string> = {
  hlim: "ttl",
  ttl: "hlim",
  tc: "tos",
  tos: "tc",
  nh: "proto",
  proto: "nh",
  plen: "len",
};

/**
 * A field written in the wrong layer (`hlim` in ipv4, `flags` in udp): say
 * which layer it belongs to, and the field this layer has for it, if any.
 */
function otherLayerField(layer: string, key: string, allowed: string[]): string | undefined {
  if (!(layer in LAYER_FIELDS)) return undefined;
  const owners = Object.entries(LAYER_FIELDS)
    .filter(([name, fields]) => name !== layer && fields.includes(key))
    .map(([name]) => name);
  if (owners.length === 0) return undefined;
  const same = COUNTERPART[key] && allowed.includes(COUNTERPART[key]) ? COUNTERPART[key] : nearest(key, allowed);
  const hint = same ? `; did you mean \`${same}\`?` : "";
  const owner = owners.length > 1 ? `${owners.slice(0, -1).join(", ")} and ${owners[owners.length - 1]}` : owners[0];
  return `\`${key}\` is a field of ${owner}, not of ${layer}${hint} (${layer} has: ${allowed.join(", ")})`;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

/** The union options of the schema at `path`, if it is a union (looked up from the parent, so no branch is picked yet). */
function unionOptionsAt(root: Schema, data: unknown, path: DataPath): Schema[] {
  const s = path.length === 0 ? undefined : schemaAt(root, data, path.slice(0, -1));
  const parentDef = s ? def(s) : undefined;
  const last = path[path.length - 1];
  let union: Schema | undefined;
  if (parentDef?.type === "object") union = parentDef.shape?.[String(last)];
  else if (parentDef?.type === "array") union = parentDef.element;
  else if (parentDef?.type === "record") union = parentDef.valueType;
  else if (path.length === 0) union = root;
  union = union && unwrap(union);
  return union && def(union).type === "union" ? (def(union).options ?? []) : [];
}

const shapeKeys = (o: Schema) => Object.keys(def(unwrap(o)).shape ?? {});

/**
 * Unknown keys in a branch of a keyed union. A key that names another
 * alternative (`{ipv4: {...}, tcp: {...}}`, `{ping: ..., udp: ...}`) means two
 * were written in one map: say only one fits, rather than "unknown field".
 */
function keyedUnionProblems(options: Schema[], chosen: number, path: DataPath, keys: string[]): Problem[] {
  const all = options.flatMap(shapeKeys);
  const mine = shapeKeys(options[chosen]);
  const isLayer = all.includes("eth") && all.includes("ipv4");
  return keys.map((key) => ({
    path: [...path, key],
    at: "key" as const,
    message: !all.includes(key)
      ? `unknown field \`${key}\` here (allowed: ${mine.join(", ")})`
      : isLayer
        ? `one layer per list item: put \`${key}\` in an item of its own (\`- ${key}: {...}\`)`
        : `\`${key}\` cannot be combined with \`${mine.join(", ")}\`: choose one`,
  }));
}

function unionProblems(root: Schema, data: unknown, issue: z.core.$ZodIssueInvalidUnion, path: DataPath): Problem[] {
  const value = valueAt(data, path);
  const options = unionOptionsAt(root, data, path);
  // The branch whose key the author wrote (`ipv4:`, `ping:`, `file:`): its issues are the real ones.
  const chosen = optionFor(options, value);
  const objectKeys = options.flatMap(shapeKeys);
  const isLayer = objectKeys.includes("eth") && objectKeys.includes("ipv4");
  if (chosen >= 0 && issue.errors[chosen]) {
    return issue.errors[chosen].flatMap((i) =>
      i.code === "unrecognized_keys" && i.path.length === 0
        ? keyedUnionProblems(options, chosen, path, i.keys)
        : problemsFromIssue(root, data, i, path),
    );
  }
  if (options.length > 0 && options.every((o) => def(unwrap(o)).type === "object")) {
    const got = isObject(value)
      ? Object.keys(value)
          .map((k) => `\`${k}\``)
          .join(", ")
      : undefined;
    const near = isObject(value) && Object.keys(value).length === 1 ? suggest(Object.keys(value)[0], objectKeys) : "";
    if (isLayer) {
      return [
        {
          path,
          message: got
            ? `unknown layer ${got}: a layer is one of ${objectKeys.join(", ")}${near}`
            : `expected a layer like \`ipv4: {...}\`; layers are ${objectKeys.join(", ")}; got ${describeValue(value)}`,
        },
      ];
    }
    return [
      {
        path,
        message: `expected exactly one of ${objectKeys.map((k) => `\`${k}\``).join(", ")}, got ${got ?? describeValue(value)}${near}`,
      },
    ];
  }
  if (options.length > 0) {
    return [{ path, message: `expected ${options.map(describeSchema).join(", or ")}; got ${describeValue(value)}` }];
  }
  // No schema found (should not happen): report every branch's first message.
  const messages = issue.errors.map((branch) => branch[0]?.message).filter(Boolean);
  return [{ path, message: `none of the allowed forms fit: ${messages.join("; ")}` }];
}
