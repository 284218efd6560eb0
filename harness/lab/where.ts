/**
 * Where a value sits in a YAML file: a data path (["flows", 2, "expect", 0])
 * mapped back to line and column, so every lab error can point at its text.
 */
import { type Document, isAlias, isMap, isPair, isScalar, isSeq, type LineCounter, type Node } from "yaml";

export type DataPath = (string | number)[];

/** A problem found in a lab file, before it is given a position. */
export interface Problem {
  path: DataPath;
  message: string;
  /** Point at the key of the last path element (unknown fields) rather than its value. */
  at?: "key" | "value";
}

export interface Position {
  line: number;
  col: number;
}

/** `flows[2].expect[0].packet[1].ipv4.ttl`; keys that are not plain words are quoted. */
export function formatPath(path: DataPath): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out || "(top level)";
}

/**
 * The position of `path` in the document. When the path runs past what the
 * file holds (a missing field), the position is that of the deepest node that
 * exists: the map the field is missing from.
 */
export function positionOf(doc: Document, lc: LineCounter, path: DataPath, at: "key" | "value" = "value"): Position {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (isAlias(node)) node = node.resolve(doc);
    let next: unknown;
    let keyOffset: number | undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && scalarKey(p.key) === String(seg));
      if (pair) {
        keyOffset = rangeStart(pair.key);
        next = pair.value;
      }
    } else if (isSeq(node) && typeof seg === "number") {
      next = node.items[seg];
    }
    if (keyOffset === undefined && next === undefined) break;
    const last = i === path.length - 1;
    const valueOffset = rangeStart(next);
    // A key with no value (`host:`) has no value node: point at the key.
    offset = last && at === "key" ? (keyOffset ?? valueOffset ?? offset) : (valueOffset ?? keyOffset ?? offset);
    node = next;
  }
  const { line, col } = lc.linePos(offset);
  return { line, col };
}

function scalarKey(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}

/** The plain-data value at `path`, or undefined. */
export function valueAt(data: unknown, path: DataPath): unknown {
  let v: unknown = data;
  for (const seg of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

/** The source text of the scalar at `path` as written (e.g. `02:00:00:00:00:0a` before YAML 1.1 made it a number). */
export function sourceAt(doc: Document, path: DataPath): string | undefined {
  const node = doc.getIn(path, true);
  return isScalar(node) ? node.source : undefined;
}
