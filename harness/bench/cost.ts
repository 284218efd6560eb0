/**
 * What one iperf3 run cost, in figures the machine's other load does not
 * distort much (docs/bench.md, "Where the time goes"):
 *
 * - CPU time per GB received: the iperf3 client's and server's own CPU time
 *   (iperf3 reports its getrusage; without IRQ time accounting, the softirq
 *   work a process runs - forwarding, tc, NAT, the receiving TCP - is
 *   charged to it), the router namespace's processes (TAYGA), and what the
 *   ksoftirqd threads ran meanwhile;
 * - bytes per packet where the traffic enters the router and the server
 *   (the veths' rx counters count one skb as one packet, so a GSO
 *   super-packet kept whole shows as about 64 KB);
 * - the translator's counters over the run (packets translated, passed, dropped).
 */
import { readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { run } from "../exec/command.ts";
import { bpfStatsReader } from "../run/stats.ts";
import type { LabContext } from "./up.ts";

/** Linux reports /proc/PID/stat times in USER_HZ ticks, 100 per second on every architecture natlab runs on. */
const USER_HZ = 100;

export interface RunCost {
  /**
   * CPU ms per GB received: the client and server processes, the processes of the router namespace
   * (TAYGA in nat44-design; none elsewhere), the ksoftirqd threads, and their sum
   */
  cpuMsPerGB: { client: number; server: number; router?: number; ksoftirqd: number; total: number };
  /** mean bytes per packet (skb) received on "router:eth0" (from the client) and "server:eth0" (from the router) */
  bytesPerPacket: Record<string, number>;
  /** the translator's counters that moved during the run (designs with BPF on router:eth1) */
  translator?: Record<string, number>;
}

/** The devices whose rx counters are read: where the data enters the router and where it enters the server. */
const RX = ["router:eth0", "server:eth0"];

/** Pids of the ksoftirqd threads (one per CPU): softirq work deferred there is nobody's process time. */
function ksoftirqdPids(): number[] {
  const out: number[] = [];
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      if (/^ksoftirqd\/\d+$/.test(readFileSync(`/proc/${pid}/comm`, "utf8").trim())) out.push(Number(pid));
    } catch {
      // a process that ended while we looked
    }
  }
  return out;
}

/** CPU ms the processes `pids` have run so far (those that ended since count nothing). */
function cpuMs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      // fields after "(comm) ": state is the 1st, utime the 12th, stime the 13th
      const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // it ended
    }
  }
  return (ticks * 1000) / USER_HZ;
}

/** Pids of the processes in a network namespace (by the inode of /run/netns/NAME). */
function pidsIn(ns: string): number[] {
  const ino = statSync(`/run/netns/${ns}`).ino;
  const out: number[] = [];
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      if (readlinkSync(`/proc/${pid}/ns/net`) === `net:[${ino}]`) out.push(Number(pid));
    } catch {
      // a process that ended, or a kernel thread without one
    }
  }
  return out;
}

/** rx packets and bytes of a lab device ("ns:dev"). */
async function rxCounters(ctx: LabContext, nsDev: string): Promise<{ packets: number; bytes: number }> {
  const [ns, dev] = nsDev.split(":");
  const r = await run(["ip", "-j", "-s", "link", "show", "dev", dev], { ns: ctx.nsOf(ns) });
  const s = (JSON.parse(r.stdout) as { stats64: { rx: { packets: number; bytes: number } } }[])[0].stats64.rx;
  return { packets: s.packets, bytes: s.bytes };
}

/** A reading taken before a run; `finish` takes the one after and returns the run's cost. */
export interface CostMeter {
  finish(usage: { gb: number; clientCpuS: number; serverCpuS: number }): Promise<RunCost>;
}

/** Starts measuring one run in a lab (call just before iperf3 starts). */
export async function startCost(ctx: LabContext): Promise<CostMeter> {
  const pids = ksoftirqdPids();
  const routerPids = pidsIn(ctx.nsOf("router"));
  const hasBpf = ctx.lab.bpf.length > 0;
  const stats = hasBpf ? bpfStatsReader(ctx.lab, ctx.nsOf) : undefined;
  const xlat0 = stats ? (await stats.snapshot(["router:eth1"]))["router:eth1"] : undefined;
  const rx0 = await Promise.all(RX.map((d) => rxCounters(ctx, d)));
  const soft0 = cpuMs(pids);
  const router0 = cpuMs(routerPids);
  return {
    async finish({ gb, clientCpuS, serverCpuS }) {
      const soft = cpuMs(pids) - soft0;
      const routerMs = cpuMs(routerPids) - router0;
      const rx1 = await Promise.all(RX.map((d) => rxCounters(ctx, d)));
      const per = (ms: number) => (gb > 0 ? Math.round(ms / gb) : 0);
      const client = per(clientCpuS * 1000);
      const server = per(serverCpuS * 1000);
      const ksoftirqd = per(soft);
      const router = per(routerMs);
      const bytesPerPacket: Record<string, number> = {};
      RX.forEach((d, i) => {
        const packets = rx1[i].packets - rx0[i].packets;
        bytesPerPacket[d] = packets ? Math.round((rx1[i].bytes - rx0[i].bytes) / packets) : 0;
      });
      const cpuMsPerGB = {
        client,
        server,
        ...(routerPids.length ? { router } : {}),
        ksoftirqd,
        total: client + server + router + ksoftirqd,
      };
      const cost: RunCost = { cpuMsPerGB, bytesPerPacket };
      if (stats && xlat0) {
        const xlat1 = (await stats.snapshot(["router:eth1"]))["router:eth1"];
        cost.translator = Object.fromEntries(
          Object.entries(xlat1)
            .map(([k, v]) => [k, v - (xlat0[k] ?? 0)] as [string, number])
            .filter(([, v]) => v !== 0),
        );
      }
      return cost;
    },
  };
}
