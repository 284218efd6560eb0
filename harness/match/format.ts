/**
 * Failures a person can read in a terminal: the expectation beside what
 * arrived, one row per named field, mismatches marked ✗ (red on a TTY),
 * at most 100 columns wide.
 */
import type { Expect } from "../lab/schema.ts";
import { type ChecksumProblem, describe } from "../packet/index.ts";
import type { Packet } from "../packet/layers.ts";
import { colorEnabled, paint } from "../text/color.ts";
import { type CaptureMatch, type Frame, showCount, type Unexpected } from "./capture.ts";
import { type FieldDiff, layerPaths, problemPath } from "./packet.ts";
import { showValue } from "./values.ts";

/** Terminal width the text must fit: formatDiff's table, and a flow failure indented by the console. */
const WIDTH = 100;
const CONSOLE_INDENT = 6;
const MARK = "✗ ";

/** "ipv4[3].ttl" -> ["ipv4", "ttl"] */
function splitPath(path: string): [string, string] {
  const dot = path.indexOf(".");
  if (dot < 0) return [path, ""];
  return [path.slice(0, dot).replace(/\[\d+\]$/, ""), path.slice(dot + 1)];
}

/** A cell cut to `width`; long hex keeps its start and says how long it was. */
function cell(text: string, width: number, isHex = false): string {
  if (text.length <= width) return text;
  if (isHex) {
    const bytes = text.replace(/[\s:]/g, "").length / 2;
    const tail = `… (${bytes} bytes)`;
    return text.slice(0, Math.max(0, width - tail.length)) + tail;
  }
  return text.slice(0, width - 1) + "…";
}

interface Row {
  bad: boolean;
  path: string;
  expected: string;
  actual: string;
}

/**
 * A side-by-side table of the fields an expectation names. `problems` (the
 * actual frame's checksum problems) are shown on their checksum rows, or as
 * extra rows, with the value the checksum should have had.
 */
export function formatDiff(
  _expected: Packet,
  actual: Packet,
  diffs: FieldDiff[],
  opts: { problems?: ChecksumProblem[]; color?: boolean; width?: number } = {},
): string {
  const color = opts.color ?? colorEnabled();
  const rows: Row[] = diffs.map((d) => {
    const [layer, field] = splitPath(d.path);
    return {
      bad: !d.ok,
      path: d.path,
      expected: showValue(layer, field, d.expected),
      actual: showValue(layer, field, d.actual),
    };
  });
  for (const p of opts.problems ?? []) {
    const path = problemPath(p, actual);
    const [layer] = splitPath(path);
    const right = showValue(layer, "chksum", p.expected);
    const note = `${showValue(layer, "chksum", p.actual)}  (bad: expected ${right})`;
    const row = rows.find((r) => r.path === path);
    if (row) {
      row.actual = note;
      // An expectation of `chksum: bad` is met by exactly this problem.
      if (row.expected !== "bad") row.bad = true;
    } else {
      rows.push({ bad: true, path, expected: `valid (${right})`, actual: note });
    }
  }
  // Rows in packet order: checksum rows join their layer's fields.
  const order = layerPaths(actual);
  const layerOf = (path: string) => {
    const i = order.indexOf(path.split(".")[0]);
    const m = /^layers\[(\d+)\]$/.exec(path);
    return i >= 0 ? i : m ? Number(m[1]) : order.length;
  };
  rows.sort((a, b) => layerOf(a.path) - layerOf(b.path));
  const fieldW = Math.min(24, Math.max(5, ...rows.map((r) => r.path.length)));
  const expW = Math.min(32, Math.max(8, ...rows.map((r) => r.expected.length)));
  const actW = Math.max(12, (opts.width ?? WIDTH) - MARK.length - fieldW - expW - 4);
  const line = (mark: string, f: string, e: string, a: string, isHex: boolean) =>
    `${mark}${cell(f, fieldW).padEnd(fieldW)}  ${cell(e, expW, isHex).padEnd(expW)}  ${cell(a, actW, isHex)}`.trimEnd();
  const out = [line("  ", "field", "expected", "actual", false)];
  for (const r of rows) {
    const text = line(r.bad ? MARK : "  ", r.path, r.expected, r.actual, r.path.endsWith(".hex"));
    out.push(r.bad ? paint(color, "red", text) : text);
  }
  return out.join("\n");
}

/** Indent every line of `text` by `n` spaces. */
export function indent(text: string, n: number): string {
  const pad = " ".repeat(n);
  return text
    .split("\n")
    .map((l) => (l === "" ? l : pad + l))
    .join("\n");
}

export interface FlowFailure {
  /** position of the expectation in the flow's `expect` list */
  index: number;
  expect: Expect;
  result: CaptureMatch;
  /** the frames of the capture on `expect.on`, as matched */
  frames: Frame[];
  /** the capture file, to open in Wireshark */
  pcap?: string;
  color?: boolean;
  /** columns the text may use; default: what is left of 100 after the console's indent */
  width?: number;
}

function frameTitle(f: Frame, t0: number, width: number): string {
  return cell(
    `frame ${f.index} (+${(f.ts - t0).toFixed(3)}s${f.direction ? `, ${f.direction}` : ""}): ${describe(f.packet)}`,
    width,
  );
}

/** Why an expectation failed, with the closest frame's diff and where the capture is. */
export function formatFlowFailure(x: FlowFailure): string {
  const color = x.color ?? colorEnabled();
  const width = x.width ?? WIDTH - CONSOLE_INDENT;
  const { expect, result } = x;
  const byIndex = new Map(x.frames.map((f) => [f.index, f]));
  const t0 = x.frames[0]?.ts ?? 0;
  const title = (f: Frame, label: string) => label + frameTitle(f, t0, width - label.length);
  const why = expect.why ? `: ${expect.why}` : "";
  const set = [
    result.frames.noise ? `${result.frames.noise} noise` : "",
    result.frames.otherDirection ? `${result.frames.otherDirection} in the other direction` : "",
  ].filter(Boolean);
  const seen = `${result.frames.total} frame${result.frames.total === 1 ? "" : "s"} captured${set.length ? `, ${set.join(" and ")} set aside` : ""}`;
  const out = [`expect[${x.index}] on ${expect.on}${why}`];
  const { wanted, got, ok: countOk } = result.count;
  out.push(
    countOk
      ? `  ${got} matching, as wanted (${showCount(wanted)}; ${seen})`
      : `  wanted ${showCount(wanted)} matching, got ${got} (${seen})`,
  );
  // Too few: show the frame that came closest. Too many: show what matched.
  const tooFew = !countOk && (wanted.op === ">=" || wanted.op === ">" || (wanted.op === "==" && got < wanted.n));
  if (!countOk && got > 0) {
    out.push("  matching frames:");
    for (const i of result.matched.slice(0, 5)) {
      const f = byIndex.get(i);
      if (f) out.push(title(f, "    "));
    }
    if (result.matched.length > 5) out.push(`    … and ${result.matched.length - 5} more`);
  }
  if (tooFew) {
    const best = result.best && byIndex.get(result.best.index);
    if (best && result.best) {
      out.push(title(best, "  closest: "));
      const problems = expect.checksums === "valid" ? best.problems : [];
      out.push(
        indent(formatDiff(expect.packet, best.packet, result.best.fields, { problems, color, width: width - 4 }), 4),
      );
    } else if (result.frames.total === 0) {
      out.push(
        `  nothing was captured on ${expect.on}: is this the device the packet crosses, or was it dropped before?`,
      );
    } else if (result.matched.length === result.frames.total - result.frames.noise - result.frames.otherDirection) {
      out.push("  no other frame to compare with");
    } else {
      out.push("  every frame was set aside; set `noise: true` on the flow if this packet is link housekeeping");
    }
  }
  for (const c of result.checksumFailures) {
    const f = byIndex.get(c.index);
    out.push(f ? title(f, "  bad checksums in matching ") : `  bad checksums in matching frame ${c.index}`);
    for (const p of c.problems) {
      const path = f ? problemPath(p, f.packet) : `${String(p.layer)}.${p.field}`;
      const text = `${MARK}${path}: expected ${showValue("", "chksum", p.expected)}, actual ${showValue("", "chksum", p.actual)}`;
      out.push("    " + paint(color, "red", text));
    }
  }
  if (x.pcap) out.push(`  capture: wireshark ${x.pcap}`);
  return out.join("\n");
}

/** Frames a flow with `only: true` did not expect. */
export function formatUnexpected(unexpected: Unexpected[], pcaps: Record<string, string> = {}): string {
  const out = [
    `${unexpected.length} unexpected frame${unexpected.length === 1 ? "" : "s"} (the flow says \`only: true\`):`,
  ];
  const shown = unexpected.slice(0, 10);
  for (const u of shown) out.push(`  ${u.on} frame ${u.index}: ${describe(u.packet)}`);
  if (unexpected.length > shown.length) out.push(`  … and ${unexpected.length - shown.length} more`);
  for (const on of new Set(unexpected.map((u) => u.on))) if (pcaps[on]) out.push(`  capture: ${pcaps[on]}`);
  return out.join("\n");
}
