/**
 * The shape of results/bench/bench.json (documented in docs/bench.md).
 * Additive changes only within a version; `version` says which shape a file has.
 */
import { z } from "zod";

const ns = z.number().describe("nanoseconds");
const Estimate = z.strictObject({
  value: ns.describe("the estimate"),
  lo: ns.describe("lower end of its 95% confidence interval"),
  hi: ns.describe("upper end of its 95% confidence interval"),
});

export const MicroRowShape = z.strictObject({
  case: z.string(),
  direction: z.enum(["6to4", "4to6"]),
  prefix: z.string(),
  ns: Estimate.describe("ns per translation: (bench/<dir> - bench/floor) + protoNs"),
  protoNs: Estimate.describe("bpf_skb_change_proto alone: (bench/proto_rt - bench/ok) / 2"),
  ratio: z.number().describe("ns / protoNs"),
  proof: z.strictObject({
    calls: z.number().int().positive().describe("timed calls per program"),
    runsPerCall: z
      .number()
      .int()
      .positive()
      .describe("runs per call (BPF_PROG_TEST_RUN repeat), each one a translation"),
    failedCalls: z
      .literal(0)
      .describe("calls whose output differed from the input or whose runs did not all translate"),
  }),
});

const DesignId = z.enum(["plain-ipv4", "nat66-nat64", "nat44-design", "plain-ipv6", "ipv6-nat66", "ipv4-nat44"]);
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
        cpus: z
          .array(
            z.strictObject({
              user: z.number().describe("share of the CPU's time in user space (iperf3 itself)"),
              system: z.number().describe("in the kernel, outside softirq (sending, socket work)"),
              softirq: z.number().describe("in softirq (receiving, forwarding, tc, NAT)"),
              idle: z.number(),
            }),
          )
          .optional()
          .describe("per CPU during the run, from /proc/stat"),
        retransmits: z.number().int().optional(),
        cost: z
          .strictObject({
            cpuMsPerGB: z
              .strictObject({
                client: z.number(),
                server: z.number(),
                router: z.number().optional(),
                ksoftirqd: z.number(),
                total: z.number(),
              })
              .describe(
                "CPU ms per GB received: iperf3 client and server (their softirq work included), the router's processes (TAYGA), ksoftirqd",
              ),
            bytesPerPacket: z.record(z.string(), z.number()).describe("mean bytes per skb received, by lab device"),
            translator: z.record(z.string(), z.number()).optional().describe("translator counters that moved"),
          })
          .optional()
          .describe("TCP: what the run cost, in figures the machine's other load distorts little"),
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
  kind: Kind.optional().describe("the TCP run the sizes were taken in (tcp1 when absent)"),
  where: z.string(),
  frames: z.number().int(),
  maxLen: z.number().int(),
  medianLen: z.number(),
  superShare: z.number().min(0).max(1),
});

export const BenchShape = z.strictObject({
  version: z
    .literal(3)
    .describe(
      "3: designs named by their labs (plain-ipv4, nat66-nat64, ...), ratios vsPlainIpv4 and vsNat44Design; 2: micro figures with confidence intervals (in-kernel repetition); 1 had medians of single runs",
    ),
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
    batches: z.number().int().describe("times the objects were loaded anew"),
    rounds: z.number().int().describe("calls per program and case in each batch"),
    repeat: z.number().int().describe("runs per call"),
    rows: z.array(MicroRowShape),
  }),
  macro: z.strictObject({
    method: z.string(),
    seconds: z.number(),
    repeats: z.number().int(),
    designs: z.array(
      z.strictObject({
        id: DesignId,
        title: z.string(),
        lab: z.string(),
        target: z.string(),
        diagnostic: z.boolean().optional(),
      }),
    ),
    cells: z.array(CellShape),
    ratios: z.array(
      z.strictObject({
        kind: Kind,
        offloads: Offloads,
        vsPlainIpv4: z.number().nullable(),
        vsNat44Design: z.number().nullable(),
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
