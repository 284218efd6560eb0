/**
 * Where the fuzzer's frames come from: mutations of every golden input
 * (fixtures/pcaps, each with the prefix its case runs under), freshly
 * generated valid packets, and mutations of those. A batch is made from its
 * own Rng stream, so batch k of seed S is the same frames on every run.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FIXTURES_DIR } from "../golden/cases.ts";
import { readPcap } from "../packet/index.ts";
import { type Prefix, parsePrefix } from "../packet/prefix.ts";
import { generateValid } from "./generate.ts";
import { mutate, type Seed, seedOf } from "./mutate.ts";
import type { Rng } from "./rng.ts";

export interface FuzzFrame {
  frame: Buffer;
  /** "golden icmp-errors/destination-unreachable-code-0-4to6", "generated". */
  origin: string;
  /** The mutations applied, in order; empty for an unmutated frame. */
  mutations: string[];
}

/** Golden inputs by prefix text (index.json says which prefix each case runs under). */
export function goldenSeeds(dir: string = FIXTURES_DIR): Map<string, Seed[]> {
  const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as {
    cases: { file: string; slug: string; prefix: string; in: string }[];
  };
  const out = new Map<string, Seed[]>();
  for (const c of index.cases) {
    const frame = readPcap(join(dir, c.in)).frames[0]?.data;
    if (!frame) continue;
    const key = parsePrefix(c.prefix).text;
    out.set(key, [...(out.get(key) ?? []), seedOf(frame, `golden ${c.file}/${c.slug}`)]);
  }
  return out;
}

/**
 * The prefixes a run cycles through: the golden cases' first (the default, one that is not checksum-neutral,
 * /32 to /64), then a few more.
 */
export function runPrefixes(golden: Map<string, Seed[]>): Prefix[] {
  const texts = [...golden.keys()].sort((a, b) => (golden.get(b)?.length ?? 0) - (golden.get(a)?.length ?? 0));
  for (const extra of ["2001:db8:64::/96", "2001:db8:100::/40", "2001:db8::/32"])
    if (!texts.includes(parsePrefix(extra).text)) texts.push(extra);
  return texts.map(parsePrefix);
}

/** `n` frames for a batch under `prefix`. */
export function batchFrames(rng: Rng, n: number, prefix: Prefix, golden: Seed[]): FuzzFrame[] {
  // A pool of valid packets to mutate, fresh per batch.
  const pool: Seed[] = [];
  for (let k = 0; k < Math.min(64, n); k++) {
    try {
      pool.push(seedOf(generateValid(rng, prefix), "generated"));
    } catch {
      // The codec refused a combination of fields: draw again next time.
    }
  }
  const out: FuzzFrame[] = [];
  while (out.length < n) {
    const r = rng.int(100);
    if (r < 2 && golden.length) {
      const s = rng.pick(golden);
      out.push({ frame: s.frame, origin: s.origin, mutations: [] });
    } else if (r < 20 && pool.length) {
      const s = rng.pick(pool);
      out.push({ frame: s.frame, origin: s.origin, mutations: [] });
      if (rng.chance(0.1)) {
        try {
          pool[rng.int(pool.length)] = seedOf(generateValid(rng, prefix), "generated");
        } catch {
          // as above
        }
      }
    } else {
      const source = r < 60 && golden.length ? golden : pool;
      if (!source.length) continue;
      const s = rng.pick(source);
      const m = mutate(rng, s, prefix);
      if (m.applied.length) out.push({ frame: m.frame, origin: s.origin, mutations: m.applied });
    }
  }
  return out;
}
