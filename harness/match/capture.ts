/**
 * An expectation against a device's capture: which frames match, whether
 * their number is what the flow wants, whether their checksums verify, and
 * which frame came closest when none matched (a failure shows it).
 */
import type { Expect } from "../lab/schema.ts";
import type { ChecksumProblem } from "../packet/index.ts";
import type { Packet } from "../packet/layers.ts";
import { isNoise } from "./noise.ts";
import { type FieldDiff, matchPacket } from "./packet.ts";

/** One decoded frame of a capture. `index` is its frame number in the pcap (1-based, as Wireshark counts). */
export interface Frame {
  index: number;
  packet: Packet;
  problems: ChecksumProblem[];
  /** seconds since the epoch, from the pcap record */
  ts: number;
  direction?: "in" | "out";
}

export interface Count {
  op: "==" | ">=" | "<=" | ">" | "<";
  n: number;
}

export interface CaptureMatch {
  ok: boolean;
  /** frame indexes that match the expected packet */
  matched: number[];
  count: { wanted: Count; got: number; ok: boolean };
  /** the non-matching frame with the most matching fields, and its diff */
  best?: { index: number; fields: FieldDiff[] };
  /** matched frames whose checksums do not verify, when the expectation says `checksums: valid` */
  checksumFailures: { index: number; problems: ChecksumProblem[] }[];
  /** frames seen, and how many were set aside before matching */
  frames: { total: number; noise: number; otherDirection: number };
}

/** `count` as written in a lab: 3 (exactly), "3", "==0", ">=1", "<=3", ">2", "<2". */
export function parseCount(count: number | string): Count {
  if (typeof count === "number") return { op: "==", n: count };
  const m = /^(>=|<=|==|>|<)?(\d+)$/.exec(count.trim());
  if (!m) throw new Error(`count "${count}" is not a number or a comparison like ">=1", "==0", "<=3"`);
  return { op: (m[1] ?? "==") as Count["op"], n: Number(m[2]) };
}

export function countHolds(c: Count, got: number): boolean {
  switch (c.op) {
    case "==":
      return got === c.n;
    case ">=":
      return got >= c.n;
    case "<=":
      return got <= c.n;
    case ">":
      return got > c.n;
    case "<":
      return got < c.n;
  }
}

/** A count in words: "exactly 3", "at least 1", "none". */
export function showCount(c: Count): string {
  if (c.op === "==") return c.n === 0 ? "none" : `exactly ${c.n}`;
  const words = { ">=": "at least", "<=": "at most", ">": "more than", "<": "fewer than" } as const;
  return `${words[c.op]} ${c.n}`;
}

/** The frames an expectation looks at: noise and the other direction are set aside. */
function considered(expect: Expect, frames: Frame[], noise: boolean) {
  // An expectation that itself describes housekeeping (say a neighbour solicitation) wants to see it.
  const keepNoise = noise || isNoise(expect.packet);
  const out: Frame[] = [];
  let noisy = 0;
  let otherDirection = 0;
  for (const f of frames) {
    if (!keepNoise && isNoise(f.packet)) noisy++;
    else if (expect.direction !== "any" && f.direction !== undefined && f.direction !== expect.direction)
      otherDirection++;
    else out.push(f);
  }
  return { frames: out, noisy, otherDirection };
}

export function matchCapture(expect: Expect, frames: Frame[], opts: { noise: boolean }): CaptureMatch {
  const seen = considered(expect, frames, opts.noise);
  const matched: number[] = [];
  const checksumFailures: CaptureMatch["checksumFailures"] = [];
  let best: CaptureMatch["best"];
  let bestScore = -1;
  for (const f of seen.frames) {
    const m = matchPacket(expect.packet, f.packet, f.problems);
    if (m.ok) {
      matched.push(f.index);
      if (expect.checksums === "valid" && f.problems.length > 0)
        checksumFailures.push({ index: f.index, problems: f.problems });
      continue;
    }
    const score = m.fields.filter((d) => d.ok).length;
    if (score > bestScore) {
      bestScore = score;
      best = { index: f.index, fields: m.fields };
    }
  }
  const wanted = parseCount(expect.count);
  const countOk = countHolds(wanted, matched.length);
  return {
    ok: countOk && checksumFailures.length === 0,
    matched,
    count: { wanted, got: matched.length, ok: countOk },
    best,
    checksumFailures,
    frames: { total: frames.length, noise: seen.noisy, otherDirection: seen.otherDirection },
  };
}

export interface Unexpected {
  on: string;
  index: number;
  packet: Packet;
}

/**
 * For a flow with `only: true`: every frame on a captured device must match
 * one of the expectations for that device (noise aside, unless the flow keeps
 * noise). `captures` maps "ns:dev" to its frames.
 */
export function onlyCheck(
  expects: Expect[],
  captures: Record<string, Frame[]>,
  opts: { noise: boolean } = { noise: false },
): { ok: boolean; unexpected: Unexpected[] } {
  const unexpected: Unexpected[] = [];
  for (const [on, frames] of Object.entries(captures)) {
    const mine = expects.filter((e) => e.on === on);
    for (const f of frames) {
      if (!opts.noise && isNoise(f.packet)) continue;
      const expected = mine.some(
        (e) =>
          (e.direction === "any" || f.direction === undefined || f.direction === e.direction) &&
          matchPacket(e.packet, f.packet, f.problems).ok,
      );
      if (!expected) unexpected.push({ on, index: f.index, packet: f.packet });
    }
  }
  return { ok: unexpected.length === 0, unexpected };
}
