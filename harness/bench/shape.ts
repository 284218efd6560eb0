/**
 * The shape of results/bench/bench.json (documented in docs/bench.md).
 * Additive changes only: readers may compare runs across versions.
 */
import { z } from "zod";

const ns = z.number().describe("nanoseconds");
const Timing = z.strictObject({ mediansNs: z.array(ns).min(1), ns, minNs: ns });

export const MicroRowShape = z.strictObject({
  case: z.string(),
  direction: z.enum(["6to4", "4to6"]),
  prefix: z.string(),
  nat64: Timing,
  floorOk: Timing,
  floorProto: Timing,
  net: ns.describe("nat64 - floorOk"),
  protoNet: ns.describe("floorProto - floorOk: bpf_skb_change_proto alone"),
  ratio: z.number().describe("net / protoNet"),
  proof: z.strictObject({
    checked: z.number().int().positive(),
    translated: z.number().int(),
    retval: z.number().int(),
    inLen: z.number().int(),
    outLen: z.number().int(),
    outEtherType: z.string().regex(/^0x[0-9a-f]{4}$/),
    outIpVersion: z.number().int(),
  }),
  floorsProven: z.boolean(),
});

const DesignId = z.enum(["a", "b", "c", "d", "e", "f"]);
const Kind = z.enum(["tcp1", "tcp4", "udp64"]);
const Offloads = z.enum(["on", "off"]);

export const CellShape = z.strictObject({
  design: DesignId,
  kind: Kind,
  offloads: Offloads,
  unit: z.enum(["Gbit/s", "kpps"]),
  samples: z
    .array(
      z.strictObject({
        value: z.number(),
        seconds: z.number(),
        retransmits: z.number().int().optional(),
        sent: z.number().int().optional(),
        lost: z.number().int().optional(),
      }),
    )
    .min(1),
  median: z.number(),
});

export const ProbeShape = z.strictObject({
  design: DesignId,
  offloads: Offloads,
  where: z.string(),
  frames: z.number().int(),
  maxLen: z.number().int(),
  medianLen: z.number(),
  superShare: z.number().min(0).max(1),
});

export const BenchShape = z.strictObject({
  version: z.literal(1),
  mode: z.enum(["full", "quick"]),
  command: z.string(),
  startedAt: z.string(),
  durationMs: z.number().int(),
  kernel: z.string(),
  cpus: z.number().int(),
  object: z.string().describe("the translator object measured (a copy of it, made at the start, is what ran)"),
  objectSha256: z.string().regex(/^[0-9a-f]{64}$/),
  micro: z.strictObject({
    method: z.string(),
    calls: z.number().int(),
    repeats: z.number().int(),
    sample: z.number().int(),
    rows: z.array(MicroRowShape),
  }),
  macro: z.strictObject({
    method: z.string(),
    seconds: z.number(),
    repeats: z.number().int(),
    designs: z.array(z.strictObject({ id: DesignId, title: z.string(), lab: z.string(), target: z.string(), diagnostic: z.boolean().optional() })),
    cells: z.array(CellShape),
    ratios: z.array(
      z.strictObject({
        kind: Kind,
        offloads: Offloads,
        bOverA: z.number().nullable(),
        bOverC: z.number().nullable(),
      }),
    ),
    features: z.partialRecord(DesignId, z.record(z.string(), z.record(z.string(), z.string()))),
    probes: z.array(ProbeShape),
  }),
  targets: z.array(
    z.strictObject({
      what: z.string(),
      target: z.string(),
      actual: z.string(),
      met: z.boolean().nullable(),
    }),
  ),
  /** designs that could not be measured, and why */
  errors: z.array(z.string()),
});

export type Bench = z.infer<typeof BenchShape>;
