/**
 * What the kernel says after a flow: conntrack entries and the SNMP
 * counters (checksum errors above all), read inside a lab namespace.
 */
import { run } from "../exec/command.ts";

export interface ConntrackEntry {
  family: string;
  proto: string;
  orig: { src?: string; dst?: string; sport?: string; dport?: string };
  reply: { src?: string; dst?: string; sport?: string; dport?: string };
  line: string;
}

/** Parses `conntrack -L -o extended` lines: the first src/dst are the original direction, the second the reply. */
export function parseConntrack(text: string): ConntrackEntry[] {
  const out: ConntrackEntry[] = [];
  for (const line of text.split("\n")) {
    const words = line.trim().split(/\s+/);
    if (words.length < 4 || !/^ipv[46]$/.test(words[0])) continue;
    const kv = words.filter((w) => w.includes("=")).map((w) => w.split("=") as [string, string]);
    const orig: ConntrackEntry["orig"] = {};
    const reply: ConntrackEntry["reply"] = {};
    for (const [k, v] of kv) {
      if (k !== "src" && k !== "dst" && k !== "sport" && k !== "dport") continue;
      const side = orig[k] === undefined ? orig : reply;
      if (side[k] === undefined) side[k] = v;
    }
    out.push({ family: words[0], proto: words[2], orig, reply, line: line.trim() });
  }
  return out;
}

export async function readConntrack(ns: string): Promise<ConntrackEntry[]> {
  const r = await run(["conntrack", "-L", "-o", "extended"], { ns, allowFail: true });
  return parseConntrack(r.stdout);
}

export async function flushConntrack(ns: string): Promise<void> {
  await run(["conntrack", "-F"], { ns, allowFail: true });
}

/**
 * /proc/net/snmp ("Tcp: InSegs ..." header line then value line) and
 * /proc/net/snmp6 ("Icmp6InCsumErrors 0" lines), as nstat-style names:
 * TcpInCsumErrors, UdpInCsumErrors, IcmpInCsumErrors, Icmp6InCsumErrors...
 */
export function parseSnmp(snmp: string, snmp6: string): Record<string, number> {
  const out: Record<string, number> = {};
  const lines = snmp.trim().split("\n");
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const head = lines[i].split(/\s+/);
    const vals = lines[i + 1].split(/\s+/);
    const proto = head[0].replace(/:$/, "");
    for (let j = 1; j < head.length; j++) out[`${proto}${head[j]}`] = Number(vals[j]);
  }
  for (const line of snmp6.trim().split("\n")) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined) out[k] = Number(v);
  }
  return out;
}

/** SNMP counters plus /proc/net/netstat (TcpExt*, IpExt*: IpExtInCsumErrors counts bad IPv4 header checksums). */
export async function readCounters(ns: string): Promise<Record<string, number>> {
  const r = await run(["sh", "-c", "cat /proc/net/snmp /proc/net/netstat; echo ===; cat /proc/net/snmp6"], { ns });
  const [snmp, snmp6] = r.stdout.split("===\n");
  return parseSnmp(snmp ?? "", snmp6 ?? "");
}

/** The checksum-error counters every lab can assert on. */
export const CSUM_ERROR_COUNTERS = ["IpExtInCsumErrors", "TcpInCsumErrors", "UdpInCsumErrors", "IcmpInCsumErrors", "Icmp6InCsumErrors", "Udp6InCsumErrors", "UdpLiteInCsumErrors"];
