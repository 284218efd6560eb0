/**
 * End-to-end throughput through three identical three-namespace labs
 * (labs/bench/): plain-ipv4 (plain IPv4 forwarding), nat66-nat64 (NAT66 + the
 * BPF NAT64), nat44-design (TAYGA + NAT44). iperf3 runs as a lab service in the server namespace
 * (`iperf3 --server --json`), the client in the client namespace with -J.
 *
 * Each measurement with the veths' default offloads and with TX offloads
 * off (`ethtool -K DEV tx off` on every veth end, restored after), several
 * repeats, the median reported.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "../exec/command.ts";
import { vethEnds } from "../lab/topology.ts";
import { type RunCost, startCost } from "./cost.ts";
import { type LabContext, withLab } from "./up.ts";

/** A design is named by its lab under labs/bench/. */
export type DesignId = "plain-ipv4" | "nat66-nat64" | "nat44-design" | "plain-ipv6" | "ipv6-nat66" | "ipv4-nat44";
export type Kind = "tcp1" | "tcp4" | "udp64";
export type Offloads = "on" | "off";

export interface Design {
  id: DesignId;
  title: string;
  /** relative to the project root */
  lab: string;
  /** the server as the client addresses it */
  target: string;
  /** a step between plain-ipv4 and nat66-nat64, measured to see where the time goes (TCP, 1 and 4 streams) */
  diagnostic?: boolean;
}

export const DESIGNS: Design[] = [
  { id: "plain-ipv4", title: "plain IPv4 forwarding", lab: "labs/bench/plain-ipv4.yaml", target: "203.0.113.1" },
  {
    id: "nat66-nat64",
    title: "NAT66 + BPF NAT64",
    lab: "labs/bench/nat66-nat64.yaml",
    target: "64:ff9b:1:fffe::cb00:7101",
  },
  { id: "nat44-design", title: "TAYGA + NAT44", lab: "labs/bench/nat44-design.yaml", target: "2001:db8:64::cb00:7101" },
  {
    id: "plain-ipv6",
    title: "plain IPv6 forwarding",
    lab: "labs/bench/plain-ipv6.yaml",
    target: "64:ff9b:1:fffe::cb00:7101",
    diagnostic: true,
  },
  {
    id: "ipv6-nat66",
    title: "IPv6 + NAT66, no BPF",
    lab: "labs/bench/ipv6-nat66.yaml",
    target: "64:ff9b:1:fffe::cb00:7101",
    diagnostic: true,
  },
  {
    id: "ipv4-nat44",
    title: "IPv4 + NAT44, no translation",
    lab: "labs/bench/ipv4-nat44.yaml",
    target: "203.0.113.1",
    diagnostic: true,
  },
];

export const KINDS: { kind: Kind; title: string; unit: "Gbit/s" | "kpps" }[] = [
  { kind: "tcp1", title: "TCP, 1 stream", unit: "Gbit/s" },
  { kind: "tcp4", title: "TCP, 4 streams", unit: "Gbit/s" },
  { kind: "udp64", title: "UDP, 64-byte datagrams", unit: "kpps" },
];

/** How one CPU spent a run, in shares of its time (from /proc/stat: the namespaces share the CPUs). */
export interface CpuShare {
  user: number;
  system: number;
  softirq: number;
  idle: number;
}

export interface Sample {
  /** Gbit/s received (TCP) or thousand datagrams received per second (UDP) */
  value: number;
  /** per CPU, during this run */
  cpus?: CpuShare[];
  seconds: number;
  /** TCP: retransmitted segments (sender side) */
  retransmits?: number;
  /** UDP: datagrams sent and lost, as the server counted them */
  sent?: number;
  lost?: number;
  /** TCP: CPU time per GB, bytes per packet at each hop, the translator's counters (cost.ts) */
  cost?: RunCost;
}

export interface Cell {
  design: DesignId;
  kind: Kind;
  offloads: Offloads;
  unit: "Gbit/s" | "kpps";
  samples: Sample[];
  median: number;
}

/** Packet sizes seen in a short capture during a 1-stream TCP run (is GSO kept?). */
export interface SizeProbe {
  design: DesignId;
  offloads: Offloads;
  /** the run the sizes were taken in */
  kind?: Kind;
  /** "router:eth0 in" (from the client), "server:eth0 in" (from the router) */
  where: string;
  frames: number;
  maxLen: number;
  medianLen: number;
  /** share of frames longer than 1514 bytes: GSO/GRO super-packets */
  superShare: number;
}

export interface DesignResult {
  design: DesignId;
  cells: Cell[];
  /** `ethtool -k` of the router's and server's devices with default offloads: feature -> on/off */
  features: Record<string, Record<string, string>>;
  probes: SizeProbe[];
}

export interface MacroOptions {
  root: string;
  quick: boolean;
  /** seconds per iperf3 run (full mode) */
  seconds: number;
  repeats: number;
  offloads: Offloads[];
  /** capture packet sizes during a short 1-stream TCP run (see probeSizes) */
  probes: boolean;
  onProgress: (line: string) => void;
  object?: string;
  /** a design that could not be built or measured: reported, and the others still measured */
  onError: (design: Design, err: Error) => void;
  /** true once the run is interrupted: no further lab is built */
  interrupted: () => boolean;
}

/** A design and the tests it takes. */
export interface DesignPlan {
  design: Design;
  kinds: Kind[];
}

const FEATURES = [
  "tx-checksumming",
  "scatter-gather",
  "tcp-segmentation-offload",
  "generic-segmentation-offload",
  "generic-receive-offload",
  "rx-gro-list",
  "rx-udp-gro-forwarding",
];

/**
 * Every design's lab up at once, then the runs interleaved: each round runs
 * every test once through every design, the designs' order turned by one
 * each round. Runs of different designs are then seconds apart, not minutes,
 * so a neighbour's load that comes and goes weighs on all of them alike.
 */
export async function measureDesigns(plans: DesignPlan[], opts: MacroOptions): Promise<DesignResult[]> {
  const open: { plan: DesignPlan; ctx: LabContext }[] = [];
  const up = async (i: number): Promise<DesignResult[]> => {
    if (i === plans.length) return measureOpen(open, opts);
    const plan = plans[i];
    // After Ctrl-C the cleanup registry is tearing down: building another lab now would outlive it.
    if (opts.interrupted()) throw new Error("interrupted: no further lab is built");
    let entered = false;
    try {
      return await withLab(
        join(opts.root, plan.design.lab),
        { root: opts.root, onProgress: opts.onProgress, object: opts.object },
        async (ctx) => {
          entered = true;
          open.push({ plan, ctx });
          return up(i + 1);
        },
      );
    } catch (err) {
      if (entered || opts.interrupted()) throw err;
      opts.onError(plan.design, err as Error); // this lab could not be built: the others are measured
      return up(i + 1);
    }
  };
  return up(0);
}

async function measureOpen(open: { plan: DesignPlan; ctx: LabContext }[], opts: MacroOptions): Promise<DesignResult[]> {
  const results = new Map<DesignId, DesignResult>();
  const failed = new Set<DesignId>();
  const fail = (d: Design, err: Error) => {
    failed.add(d.id);
    results.delete(d.id);
    opts.onError(d, err);
  };
  for (const { plan, ctx } of open) {
    const result: DesignResult = { design: plan.design.id, cells: [], features: {}, probes: [] };
    for (const nsDev of ["router:eth0", "router:eth1", "server:eth0"])
      result.features[nsDev] = await features(ctx, nsDev);
    results.set(plan.design.id, result);
  }
  for (const offloads of opts.offloads) {
    for (const { ctx } of open) await setOffloads(ctx, offloads);
    try {
      const samples = new Map<string, Sample[]>();
      for (let r = 0; r < opts.repeats; r++) {
        const order = open.map((_, i) => open[(i + r) % open.length]);
        for (const k of KINDS) {
          for (const { plan, ctx } of order) {
            if (!plan.kinds.includes(k.kind) || failed.has(plan.design.id)) continue;
            try {
              const s = await iperf(ctx, plan.design.target, k.kind, opts);
              const key = `${plan.design.id} ${k.kind}`;
              samples.set(key, [...(samples.get(key) ?? []), s]);
              opts.onProgress(
                `(${plan.design.id}) ${k.title}, offloads ${offloads}, run ${r + 1}/${opts.repeats}: ${fmt(s.value)} ${k.unit}${lossNote(s)}${costNote(s)}`,
              );
            } catch (err) {
              fail(plan.design, err as Error);
            }
          }
        }
      }
      for (const { plan } of open) {
        for (const k of KINDS) {
          const got = samples.get(`${plan.design.id} ${k.kind}`);
          const result = results.get(plan.design.id);
          if (got && result)
            result.cells.push({
              design: plan.design.id,
              kind: k.kind,
              offloads,
              unit: k.unit,
              samples: got,
              median: median(got.map((s) => s.value)),
            });
        }
      }
      if (opts.probes) {
        for (const { plan, ctx } of open) {
          const result = results.get(plan.design.id);
          if (!result) continue;
          for (const kind of plan.kinds.filter((k) => k !== "udp64"))
            result.probes.push(...(await probeSizes(ctx, plan.design, offloads, kind, opts)));
        }
      }
    } finally {
      for (const { ctx } of open) await setOffloads(ctx, "on");
    }
  }
  return open.flatMap(({ plan }) => results.get(plan.design.id) ?? []);
}

/** TX offloads on or off on every veth end of the lab (`on` is the veth default). */
async function setOffloads(ctx: LabContext, offloads: Offloads): Promise<void> {
  for (const end of vethEnds(ctx.lab)) await run(["ethtool", "-K", end.dev, "tx", offloads], { ns: ctx.nsOf(end.ns) });
}

async function features(ctx: LabContext, nsDev: string): Promise<Record<string, string>> {
  const [ns, dev] = nsDev.split(":");
  const r = await run(["ethtool", "-k", dev], { ns: ctx.nsOf(ns), allowFail: true });
  const out: Record<string, string> = {};
  for (const line of r.stdout.split("\n")) {
    const m = /^([a-z0-9-]+): (on|off)/.exec(line.trim());
    if (m && FEATURES.includes(m[1])) out[m[1]] = m[2];
  }
  return out;
}

function iperfArgs(target: string, kind: Kind, opts: MacroOptions, seconds = opts.seconds): string[] {
  // Quick mode: a fixed amount instead of a duration, so a run takes milliseconds.
  const amount = opts.quick ? (kind === "udp64" ? ["-k", "20000"] : ["-n", "16M"]) : ["-t", String(seconds)];
  const kindArgs = kind === "tcp4" ? ["-P", "4"] : kind === "udp64" ? ["-u", "-l", "64", "-b", "0"] : [];
  return ["iperf3", "-c", target, "-J", "--get-server-output", ...amount, ...kindArgs];
}

interface IperfEnd {
  sum_sent?: { retransmits?: number; seconds?: number };
  /** getrusage of the client (host) and the server (remote) over the test, in % of its wall time */
  cpu_utilization_percent?: { host_total: number; remote_total: number };
  sum_received?: { bits_per_second: number; seconds: number };
  sum?: { seconds: number; packets?: number; lost_packets?: number };
}

/** /proc/stat's per-CPU counters: user, nice, system, idle, iowait, irq, softirq, ... (USER_HZ ticks). */
function cpuTicks(): number[][] {
  return readFileSync("/proc/stat", "utf8")
    .split("\n")
    .filter((l) => /^cpu\d/.test(l))
    .map((l) => l.trim().split(/\s+/).slice(1).map(Number));
}

/** How each CPU spent the time between two readings of cpuTicks(). */
export function cpuShares(before: number[][], after: number[][]): CpuShare[] {
  return after.map((a, i) => {
    const d = a.map((v, k) => v - (before[i]?.[k] ?? 0));
    const total = d.reduce((x, y) => x + y, 0) || 1;
    const share = (v: number) => Math.round((1000 * v) / total) / 1000;
    return { user: share(d[0] + d[1]), system: share(d[2] + d[5]), softirq: share(d[6]), idle: share(d[3] + d[4]) };
  });
}

async function iperf(
  ctx: LabContext,
  target: string,
  kind: Kind,
  opts: MacroOptions,
  seconds?: number,
): Promise<Sample> {
  const argv = iperfArgs(target, kind, opts, seconds);
  const ns = ctx.nsOf("client");
  for (let attempt = 1; ; attempt++) {
    const before = cpuTicks();
    const meter = kind === "udp64" ? undefined : await startCost(ctx);
    const r = await run(argv, { ns, allowFail: true, timeoutSec: (seconds ?? opts.seconds) + 30 });
    const cpus = cpuShares(before, cpuTicks());
    const j = parseJson(r.stdout) as
      | { error?: string; end?: IperfEnd; server_output_json?: { end?: IperfEnd } }
      | undefined;
    // A long-lived server finishing the previous test answers "busy" for a moment.
    if ((j?.error ?? "").includes("busy") && attempt < 10) {
      await new Promise((res) => setTimeout(res, 500));
      continue;
    }
    if (!j?.end || j.error) {
      throw new Error(
        `iperf3 ${kind} to ${target} in ${ns} failed: ${j?.error ?? (r.stderr || r.stdout).trim().slice(0, 400)}\n  ran: ${r.argv.join(" ")}`,
      );
    }
    if (kind === "udp64") {
      // The server's own count: what arrived, not what the client managed to send.
      const sum = j.server_output_json?.end?.sum ?? j.end.sum;
      const sent = sum?.packets ?? 0;
      const lost = sum?.lost_packets ?? 0;
      const secs = sum?.seconds || 1;
      return { value: (sent - lost) / secs / 1000, seconds: secs, sent, lost, cpus };
    }
    const rcv = j.end.sum_received;
    if (!rcv) throw new Error(`iperf3 ${kind} to ${target}: no sum_received in its JSON`);
    const util = j.end.cpu_utilization_percent;
    const secs = j.end.sum_sent?.seconds || rcv.seconds;
    const cost = await meter?.finish({
      gb: (rcv.bits_per_second * rcv.seconds) / 8e9,
      clientCpuS: ((util?.host_total ?? 0) / 100) * secs,
      serverCpuS: ((util?.remote_total ?? 0) / 100) * secs,
    });
    return {
      value: rcv.bits_per_second / 1e9,
      seconds: rcv.seconds,
      retransmits: j.end.sum_sent?.retransmits,
      cpus,
      cost,
    };
  }
}

/**
 * Frame sizes on the way in to the router (from the client) and in to the
 * server (from the router) during a short TCP run of `kind`: frames above
 * 1514 bytes are GSO/GRO super-packets, so a link that shows only 1514 lost
 * them somewhere before it.
 */
async function probeSizes(
  ctx: LabContext,
  design: Design,
  offloads: Offloads,
  kind: Kind,
  opts: MacroOptions,
): Promise<SizeProbe[]> {
  const where = [
    { nsDev: "router:eth0", label: "router:eth0 in (from the client)" },
    { nsDev: "server:eth0", label: "server:eth0 in (from the router)" },
  ];
  const dumps = where.map(({ nsDev }) => {
    const [ns, dev] = nsDev.split(":");
    return run(["timeout", "8", "tcpdump", "-i", dev, "-Q", "in", "-l", "-nn", "-e", "-s", "96", "-c", "2000", "tcp"], {
      ns: ctx.nsOf(ns),
      allowFail: true,
      timeoutSec: 15,
    });
  });
  await new Promise((r) => setTimeout(r, 700)); // tcpdump opens its socket
  await iperf(ctx, design.target, kind, { ...opts, quick: false }, 2).catch(() => undefined);
  const outs = await Promise.all(dumps);
  return outs.map((r, i) => {
    const lens = [...r.stdout.matchAll(/, length (\d+):/g)].map((m) => Number(m[1]));
    return {
      design: design.id,
      offloads,
      kind,
      where: where[i].label,
      frames: lens.length,
      maxLen: lens.length ? Math.max(...lens) : 0,
      medianLen: median(lens),
      superShare: lens.length ? lens.filter((l) => l > 1514).length / lens.length : 0,
    };
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function fmt(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/** A TCP run's CPU time per GB and the mean packet size entering the server, for the progress line. */
function costNote(s: Sample): string {
  if (!s.cost) return "";
  return `, ${s.cost.cpuMsPerGB.total} CPU ms/GB, ${s.cost.bytesPerPacket["server:eth0"]} B per packet into the server`;
}

function lossNote(s: Sample): string {
  if (s.sent === undefined) return s.retransmits ? ` (${s.retransmits} retransmits)` : "";
  return ` (${s.lost} of ${s.sent} lost, ${((100 * (s.lost ?? 0)) / Math.max(1, s.sent)).toFixed(1)}%)`;
}
