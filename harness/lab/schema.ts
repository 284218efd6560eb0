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
const nsDev = z
  .string()
  .regex(/^[a-z][a-z0-9-]*:[a-zA-Z][a-zA-Z0-9_.-]*$/, "a device as namespace:device, e.g. router:eth1");
const mac = z.string().regex(/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/, "a MAC address like 02:00:00:00:00:0a");
const cidr = z
  .string()
  .regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, "an address with prefix length, like 192.0.2.1/24 or 2001:db8::1/64");
const ip = z.string().regex(/^[0-9a-fA-F:.]+$/, "an IPv4 or IPv6 address");
const onOff = z.union([z.boolean(), z.enum(["on", "off"])]).transform((v) => v === true || v === "on");
const duration = z.number().positive().describe("seconds");
/** How many: 3 (exactly), or a comparison. */
const countText = z.string().regex(/^(>=|<=|==|>|<)?\d+$/, 'a count like 3, ">=1", "==0" or "<=3"');

/** Offloads set with `ethtool -K`: feature name -> on/off, e.g. {tx: off, tso: off}. */
const Offloads = z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), onOff);

export const Endpoint = z.strictObject({
  ns: name.describe("the namespace this end lives in"),
  dev: devName.describe("the device's name in its namespace"),
  mac: mac.optional().describe("a fixed MAC address, so expectations can name it (labs use 02:00:00:00:LL:HH)"),
  arp: onOff.optional().describe("false runs `ip link set DEV arp off`, as the write-up does"),
  mtu: z.number().int().min(68).max(65535).optional().describe("MTU of this end (overrides the link's)"),
  addresses: z.array(cidr).default([]).describe("addresses with prefix length, IPv4 or IPv6, added with nodad"),
  offloads: Offloads.optional().describe("ethtool -K features for this end, e.g. {tx: off, tso: off}"),
});

export const Link = z
  .strictObject({
    a: Endpoint.describe("one end of the pair"),
    b: Endpoint.describe("the other end"),
    mtu: z.number().int().min(68).max(65535).optional().describe("MTU for both ends unless an end sets its own"),
  })
  .describe("a veth pair");

export const Route = z.strictObject({
  to: z.union([cidr, z.literal("default"), ip]).describe("destination: ADDRESS/LEN, a single address, or default"),
  via: ip.optional().describe("next hop (an IPv4 route may go via an IPv6 next hop, RFC 5549)"),
  dev: devName.optional().describe("outgoing device"),
  src: ip.optional().describe("preferred source address"),
  mtu: z.number().int().min(68).max(65535).optional().describe("path MTU for this route (`ip route ... mtu N`)"),
  family: z.enum(["4", "6"]).optional().describe("needed only for `to: default`; otherwise read from the address"),
});

export const Neighbour = z.strictObject({ dev: devName, addr: ip, mac: mac });

/** An nftables ruleset: inline text, or a file relative to the lab file. */
export const Nftables = z.union([
  z.string(),
  z.strictObject({ file: z.string().describe("an nftables file (nft -f), relative to the lab file") }),
]);

/** A program started with the lab and stopped with it. */
export const Service = z.strictObject({
  name: name.describe("the service's name; a udp/tcp flow's `server` may name it"),
  ns: name.describe("the namespace it runs in"),
  cmd: z.array(z.string()).min(1).describe("the command line, one word per item"),
  /** Files written before the service starts (e.g. a tayga.conf); `{run}` in paths and text is the run's directory. */
  files: z
    .record(z.string(), z.string())
    .optional()
    .describe("path -> text, written before the service starts; {run} is the run's directory"),
  ready: z
    .union([
      z.strictObject({
        tcp: z
          .strictObject({
            port: z.number().int().describe("the TCP port"),
            addr: ip.optional().describe("the address it listens on"),
          })
          .describe("ready when a TCP port listens"),
      }),
      z.strictObject({
        udp: z
          .strictObject({ port: z.number().int().describe("the UDP port") })
          .describe("ready when a UDP port is bound"),
      }),
      z.strictObject({ dev: devName.describe("ready when this device exists (a tun device the service makes)") }),
      z.strictObject({ cmd: z.array(z.string()).describe("ready when this command succeeds") }),
      z.strictObject({ delay: duration.describe("ready after this many seconds") }),
    ])
    .optional()
    .describe("when the service is ready for the flows; default: at once"),
  timeout: duration.default(10).describe("seconds to wait for `ready`"),
});

export const Namespace = z.strictObject({
  sysctls: z
    .record(z.string(), z.union([z.string(), z.number()]))
    .default({})
    .describe("sysctl name -> value, set in this namespace (e.g. net.ipv6.conf.all.forwarding: 1)"),
  routes: z.array(Route).default([]).describe("routes added in this namespace"),
  neighbours: z.array(Neighbour).default([]).describe("permanent neighbour entries (`ip neigh add ... nud permanent`)"),
  nftables: Nftables.optional().describe("an nftables ruleset: inline text, or {file: NAME} relative to the lab file"),
  /** Extra devices: tun, dummy (for tayga and friends). */
  devices: z
    .array(
      z.strictObject({
        name: devName,
        type: z.enum(["dummy", "tun"]).describe("dummy, or tun (for a user-space translator such as TAYGA)"),
        addresses: z.array(cidr).default([]).describe("addresses with prefix length"),
        mtu: z.number().int().min(68).max(65535).optional().describe("the device's MTU"),
      }),
    )
    .default([])
    .describe("extra devices in this namespace: dummy or tun"),
});

export const BpfAttach = z.strictObject({
  dev: nsDev.describe("the device, as namespace:device"),
  hook: z.enum(["ingress", "egress"]).describe("tc hook: ingress (packets arriving on dev) or egress (leaving it)"),
  object: z.string().default("bpf/nat64.o").describe("object file, relative to the project root"),
  section: z.string().describe("the program's ELF section in the object: 6to4 or 4to6 for the translator"),
  prefix: cidr.optional().describe("the NAT64 prefix; default 64:ff9b:1:fffe::/96"),
});

/** What is expected on one device during a flow. */
export const Expect = z.strictObject({
  on: nsDev.describe("the device whose capture is searched, as namespace:device"),
  packet: Packet.describe("a partial packet: named fields must match, others are ignored"),
  count: z
    .union([z.number().int().min(0), countText])
    .default(">=1")
    .describe("how many captured frames must match: 3, '>=1', '==0'"),
  checksums: z
    .enum(["valid", "any"])
    .default("any")
    .describe("valid: every checksum in the matched frames must verify"),
  direction: z
    .enum(["in", "out", "any"])
    .default("any")
    .describe("frames received (in), sent (out) or both (any) on that device"),
  offloads: z
    .enum(["on", "off"])
    .optional()
    .describe("apply this expectation only when the flow runs with TX offloads on (or off)"),
  why: z.string().optional().describe("what this expectation shows, for people reading the lab and its report"),
});

const programBase = {
  ns: name.describe("the namespace the program runs in"),
  timeout: duration.default(10).describe("seconds the program may take"),
};
/** The traffic helper's two ends (harness/traffic/peer.mjs): the client in `ns`, the server in `server`. */
const exchange = {
  ...programBase,
  to: ip.describe("the address the client sends to"),
  port: z.number().int().describe("the server's port"),
  server: name.describe("the namespace (or service) the server end runs in"),
  bind: ip.optional().describe("the address the server binds to (it may be of the other family: the translated side)"),
};
export const RunSpec = z.union([
  z.strictObject({
    ping: z
      .strictObject({
        ...programBase,
        to: ip.describe("the address to ping"),
        from: ip.optional().describe("the source address (ping -I)"),
        count: z.number().int().min(1).default(3).describe("echo requests to send"),
        size: z.number().int().optional().describe("payload bytes per request (ping -s)"),
        dev: devName.optional().describe("the device to send from"),
      })
      .describe("ping: every reply must come back"),
  }),
  z.strictObject({
    udp: z
      .strictObject({
        ...exchange,
        bytes: z.number().int().min(1).max(65000).default(512).describe("bytes in the request and in the answer"),
        zeroChecksum: z.boolean().optional().describe("send the request without a UDP checksum (IPv4 only)"),
      })
      .describe("a UDP request and its answer, every byte checked at both ends"),
  }),
  z.strictObject({
    tcp: z
      .strictObject({ ...exchange, bytes: z.number().int().min(1).default(65536).describe("bytes each way") })
      .describe("one TCP connection carrying `bytes` each way, every byte checked at both ends"),
  }),
  z.strictObject({
    cmd: z
      .strictObject({
        ...programBase,
        argv: z.array(z.string()).min(1).describe("the command line, one word per item"),
        expectExit: z.number().int().default(0).describe("the exit status it must end with"),
        expectOutput: z.string().optional().describe("a regular expression its output must match"),
      })
      .describe("any command, in a namespace"),
  }),
]);

export const InjectSpec = z.strictObject({
  dev: nsDev.describe("the device the frame is sent out of (tcpreplay), as namespace:device"),
  packet: Packet.describe("the frame, layer by layer; fields left out are derived"),
  count: z.number().int().min(1).default(1).describe("how many copies to send"),
});

/** A conntrack entry the flow must leave behind, as `conntrack -L` fields. */
export const ConntrackExpect = z.strictObject({
  ns: name.describe("the namespace whose conntrack table is read"),
  family: z.enum(["ipv4", "ipv6"]).optional().describe("ipv4 or ipv6 entries only"),
  proto: z.enum(["tcp", "udp", "icmp", "icmpv6"]).optional().describe("protocol of the entry"),
  orig: z
    .strictObject({ src: ip.optional(), dst: ip.optional() })
    .optional()
    .describe("addresses of the original direction"),
  reply: z
    .strictObject({ src: ip.optional(), dst: ip.optional() })
    .optional()
    .describe("addresses of the reply direction (after NAT)"),
  present: z.boolean().default(true).describe("false: no such entry may exist"),
});

/** Kernel counters (nstat names, e.g. UdpInCsumErrors) that must stay at, or reach, a value. */
export const CounterExpect = z.strictObject({
  ns: z
    .union([name, z.literal("all")])
    .default("all")
    .describe("the namespace to read, or all of the lab's"),
  counters: z.array(z.string()).min(1).describe("nstat names from /proc/net/snmp and snmp6, e.g. UdpInCsumErrors"),
  equals: z.number().int().default(0).describe("how much each counter must move during the flow (0: not at all)"),
});

/** Translator counters (natlab stats), by name: must be at least `min` after the flow. */
export const StatsExpect = z.strictObject({
  dev: nsDev.describe("the device whose translator counters are read, as namespace:device"),
  counters: z
    .record(z.string(), z.union([z.number().int(), countText]))
    .describe(
      'counter name (as natlab stats prints it, e.g. 6to4.translated.udp) -> how much it must move during the flow: 3, ">=1", 0',
    ),
});

export const Flow = z
  .strictObject({
    name: z.string().min(1).describe("the flow's name, unique in the lab; --filter matches it"),
    why: z.string().optional().describe("what the flow shows, for people reading the lab and its report"),
    run: RunSpec.optional().describe("a program that makes real traffic: ping, udp, tcp or cmd"),
    inject: InjectSpec.optional().describe("a crafted frame sent on a device"),
    capture: z.array(nsDev).default([]).describe("devices to capture on; default: every device named in expect"),
    expect: z.array(Expect).default([]).describe("packets that must (or must not) be seen on devices during the flow"),
    only: z.boolean().default(false).describe("no other (non-noise) packet may be seen on the captured devices"),
    noise: z
      .boolean()
      .default(false)
      .describe("keep router solicitations, MLD and neighbour discovery in the matching"),
    offloads: z
      .array(z.enum(["on", "off"]))
      .default(["on"])
      .describe("run the flow once per TX offload setting"),
    conntrack: z.array(ConntrackExpect).default([]).describe("conntrack entries the flow must leave behind"),
    kernelCounters: z.array(CounterExpect).default([]).describe("kernel SNMP counters and how much they may move"),
    stats: z.array(StatsExpect).default([]).describe("translator counters and how much they must move"),
    skip: z.string().optional().describe("report this flow as skipped, with this reason"),
    settle: z.number().min(0).default(0.3).describe("seconds to wait after the traffic before stopping captures"),
  })
  .refine((f) => (f.run ? 1 : 0) + (f.inject ? 1 : 0) === 1 || f.skip !== undefined, {
    message: "a flow needs exactly one of `run` or `inject`",
  });

export const Lab = z.strictObject({
  name: labName.describe("the lab's name: results go to results/<name>/"),
  description: z.string().optional().describe("what the lab shows, in a sentence or two"),
  namespaces: z
    .record(
      name,
      Namespace.nullable().transform((n) => n ?? Namespace.parse({})),
    )
    .describe("the lab's network namespaces by name (created as natlab-<run>-<name>), each with what lives in it"),
  links: z.array(Link).default([]).describe("veth pairs between namespaces"),
  bpf: z.array(BpfAttach).default([]).describe("BPF programs attached at tc hooks: the translator"),
  services: z.array(Service).default([]).describe("programs started with the lab and stopped with it"),
  flows: z.array(Flow).default([]).describe("the traffic the lab sends and what must be seen on the wire"),
  compareWith: labName
    .optional()
    .describe(
      "another lab carrying the same flows by another design: the results show both labs' conntrack tables side by side, flow by flow",
    ),
  /**
   * The write-up's literal steps for kernels that have sch_prio, cls_matchall,
   * act_bpf and act_csum. natlab uses them where the kernel can, and shows them
   * next to their clsact replacement otherwise.
   */
  literal: z
    .strictObject({
      steps: z
        .array(
          z.strictObject({
            ns: name.describe("the namespace the step runs in"),
            argv: z.array(z.string()).min(1).describe("the command, one word per item, as the write-up gives it"),
            n: z.number().int().optional().describe("the write-up's step number"),
          }),
        )
        .describe("the write-up's commands, in order"),
      replaces: z.literal("bpf").default("bpf").describe("what the steps stand in for: the lab's bpf attachments"),
    })
    .optional()
    .describe("the write-up's literal tc steps (prio, matchall, act_bpf, act_csum), used on kernels that have them"),
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
