/**
 * The lab file schema: written once, here. It gives
 *   - the TypeScript types (z.infer),
 *   - validation (harness/lab/load.ts maps zod issues to file:line:column),
 *   - schema/lab.schema.json for editors (`natlab schema`, generated).
 *
 * A lab is short and declarative, in the spirit of containerlab topology
 * files: namespaces with what lives in them, veth links between them, BPF
 * attachments, and flows with the packets expected through them.
 */
import { z } from "zod";
import { Packet } from "../packet/layers.ts";

const name = z.string().regex(/^[a-z][a-z0-9-]{0,15}$/, "a short lowercase name: letters, digits, '-', at most 16");
const labName = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, "a lowercase name: letters, digits, '-', at most 32");
const devName = z.string().regex(/^[a-zA-Z][a-zA-Z0-9_.-]{0,14}$/, "an interface name of at most 15 characters");
/** "ns:dev": a device inside one of the lab's namespaces. */
const nsDev = z.string().regex(/^[a-z][a-z0-9-]*:[a-zA-Z][a-zA-Z0-9_.-]*$/, "a device as namespace:device, e.g. router:eth1");
const mac = z.string().regex(/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/, "a MAC address like 02:00:00:00:00:0a");
const cidr = z.string().regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, "an address with prefix length, like 192.0.2.1/24 or 2001:db8::1/64");
const ip = z.string().regex(/^[0-9a-fA-F:.]+$/, "an IPv4 or IPv6 address");
const onOff = z.union([z.boolean(), z.enum(["on", "off"])]).transform((v) => v === true || v === "on");
const duration = z.number().positive().describe("seconds");
/** How many: 3 (exactly), or a comparison. */
const countText = z.string().regex(/^(>=|<=|==|>|<)?\d+$/, 'a count like 3, ">=1", "==0" or "<=3"');

/** Offloads set with `ethtool -K`: feature name -> on/off, e.g. {tx: off, tso: off}. */
const Offloads = z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), onOff);

export const Endpoint = z.strictObject({
  ns: name,
  dev: devName,
  mac: mac.optional(),
  arp: onOff.optional().describe("false runs `ip link set DEV arp off`, as the write-up does"),
  mtu: z.number().int().min(68).max(65535).optional(),
  addresses: z.array(cidr).default([]),
  offloads: Offloads.optional(),
});

export const Link = z
  .strictObject({
    a: Endpoint,
    b: Endpoint,
    mtu: z.number().int().min(68).max(65535).optional().describe("MTU for both ends unless an end sets its own"),
  })
  .describe("a veth pair");

export const Route = z.strictObject({
  to: z.union([cidr, z.literal("default"), ip]),
  via: ip.optional(),
  dev: devName.optional(),
  src: ip.optional(),
  mtu: z.number().int().min(68).max(65535).optional(),
  family: z.enum(["4", "6"]).optional().describe("needed only for `to: default`; otherwise read from the address"),
});

export const Neighbour = z.strictObject({ dev: devName, addr: ip, mac: mac });

/** An nftables ruleset: inline text, or a file relative to the lab file. */
export const Nftables = z.union([z.string(), z.strictObject({ file: z.string() })]);

/** A program started with the lab and stopped with it. */
export const Service = z.strictObject({
  name: name,
  ns: name,
  cmd: z.array(z.string()).min(1),
  /** Files written before the service starts (e.g. a tayga.conf); `{run}` in paths and text is the run's directory. */
  files: z.record(z.string(), z.string()).optional(),
  ready: z
    .union([
      z.strictObject({ tcp: z.strictObject({ port: z.number().int(), addr: ip.optional() }) }),
      z.strictObject({ udp: z.strictObject({ port: z.number().int() }) }),
      z.strictObject({ dev: devName }),
      z.strictObject({ cmd: z.array(z.string()) }),
      z.strictObject({ delay: duration }),
    ])
    .optional(),
  timeout: duration.default(10),
});

export const Namespace = z.strictObject({
  sysctls: z.record(z.string(), z.union([z.string(), z.number()])).default({}),
  routes: z.array(Route).default([]),
  neighbours: z.array(Neighbour).default([]),
  nftables: Nftables.optional(),
  /** Extra devices: tun, dummy (for tayga and friends). */
  devices: z
    .array(
      z.strictObject({
        name: devName,
        type: z.enum(["dummy", "tun"]),
        addresses: z.array(cidr).default([]),
        mtu: z.number().int().min(68).max(65535).optional(),
      }),
    )
    .default([]),
});

export const BpfAttach = z.strictObject({
  dev: nsDev,
  hook: z.enum(["ingress", "egress"]),
  object: z.string().default("bpf/nat64.o").describe("object file, relative to the project root"),
  section: z.string(),
  prefix: cidr.optional().describe("the NAT64 prefix; default 64:ff9b:1:fffe::/96"),
});

/** What is expected on one device during a flow. */
export const Expect = z.strictObject({
  on: nsDev,
  packet: Packet.describe("a partial packet: named fields must match, others are ignored"),
  count: z
    .union([z.number().int().min(0), countText])
    .default(">=1")
    .describe("how many captured frames must match: 3, '>=1', '==0'"),
  checksums: z.enum(["valid", "any"]).default("any").describe("valid: every checksum in the matched frames must verify"),
  direction: z.enum(["in", "out", "any"]).default("any"),
  offloads: z
    .enum(["on", "off"])
    .optional()
    .describe("apply this expectation only when the flow runs with TX offloads on (or off)"),
  why: z.string().optional(),
});

const programBase = { ns: name, timeout: duration.default(10) };
export const RunSpec = z.union([
  z.strictObject({ ping: z.strictObject({ ...programBase, to: ip, from: ip.optional(), count: z.number().int().min(1).default(3), size: z.number().int().optional(), dev: devName.optional() }) }),
  z.strictObject({
    udp: z.strictObject({ ...programBase, to: ip, port: z.number().int(), server: name, bind: ip.optional(), bytes: z.number().int().min(1).max(65000).default(512), zeroChecksum: z.boolean().optional() }),
  }),
  z.strictObject({ tcp: z.strictObject({ ...programBase, to: ip, port: z.number().int(), server: name, bind: ip.optional(), bytes: z.number().int().min(1).default(65536) }) }),
  z.strictObject({ cmd: z.strictObject({ ...programBase, argv: z.array(z.string()).min(1), expectExit: z.number().int().default(0), expectOutput: z.string().optional() }) }),
]);

export const InjectSpec = z.strictObject({
  dev: nsDev,
  packet: Packet,
  count: z.number().int().min(1).default(1),
});

/** A conntrack entry the flow must leave behind, as `conntrack -L` fields. */
export const ConntrackExpect = z.strictObject({
  ns: name,
  family: z.enum(["ipv4", "ipv6"]).optional(),
  proto: z.enum(["tcp", "udp", "icmp", "icmpv6"]).optional(),
  orig: z.strictObject({ src: ip.optional(), dst: ip.optional() }).optional(),
  reply: z.strictObject({ src: ip.optional(), dst: ip.optional() }).optional(),
  present: z.boolean().default(true),
});

/** Kernel counters (nstat names, e.g. UdpInCsumErrors) that must stay at, or reach, a value. */
export const CounterExpect = z.strictObject({
  ns: z.union([name, z.literal("all")]).default("all"),
  counters: z.array(z.string()).min(1),
  equals: z.number().int().default(0),
});

/** Translator counters (natlab stats), by name: must be at least `min` after the flow. */
export const StatsExpect = z.strictObject({
  dev: nsDev,
  counters: z.record(z.string(), z.union([z.number().int(), countText])),
});

export const Flow = z
  .strictObject({
    name: z.string().min(1),
    why: z.string().optional(),
    run: RunSpec.optional(),
    inject: InjectSpec.optional(),
    capture: z.array(nsDev).default([]).describe("devices to capture on; default: every device named in expect"),
    expect: z.array(Expect).default([]),
    only: z.boolean().default(false).describe("no other (non-noise) packet may be seen on the captured devices"),
    noise: z.boolean().default(false).describe("keep router solicitations, MLD and neighbour discovery in the matching"),
    offloads: z.array(z.enum(["on", "off"])).default(["on"]).describe("run the flow once per TX offload setting"),
    conntrack: z.array(ConntrackExpect).default([]),
    kernelCounters: z.array(CounterExpect).default([]),
    stats: z.array(StatsExpect).default([]),
    skip: z.string().optional().describe("report this flow as skipped, with this reason"),
    settle: z.number().min(0).default(0.3).describe("seconds to wait after the traffic before stopping captures"),
  })
  .refine((f) => (f.run ? 1 : 0) + (f.inject ? 1 : 0) === 1 || f.skip !== undefined, {
    message: "a flow needs exactly one of `run` or `inject`",
  });

export const Lab = z.strictObject({
  name: labName,
  description: z.string().optional(),
  namespaces: z.record(name, Namespace.nullable().transform((n) => n ?? Namespace.parse({}))),
  links: z.array(Link).default([]),
  bpf: z.array(BpfAttach).default([]),
  services: z.array(Service).default([]),
  flows: z.array(Flow).default([]),
  compareWith: labName
    .optional()
    .describe("another lab carrying the same flows by another design: the results show both labs' conntrack tables side by side, flow by flow"),
  /**
   * The write-up's literal steps for kernels that have sch_prio, cls_matchall,
   * act_bpf and act_csum. natlab uses them where the kernel can, and shows them
   * next to their clsact replacement otherwise.
   */
  literal: z
    .strictObject({
      steps: z.array(z.strictObject({ ns: name, argv: z.array(z.string()).min(1), n: z.number().int().optional() })),
      replaces: z.literal("bpf").default("bpf"),
    })
    .optional(),
});

export type Lab = z.infer<typeof Lab>;
export type LabInput = z.input<typeof Lab>;
export type Flow = z.infer<typeof Flow>;
export type Expect = z.infer<typeof Expect>;
export type Link = z.infer<typeof Link>;
export type Endpoint = z.infer<typeof Endpoint>;
export type Namespace = z.infer<typeof Namespace>;
export type BpfAttach = z.infer<typeof BpfAttach>;
export type Service = z.infer<typeof Service>;
export type RunSpec = z.infer<typeof RunSpec>;
export type InjectSpec = z.infer<typeof InjectSpec>;
