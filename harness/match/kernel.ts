/**
 * What the kernel says after a flow, as text in, data out: conntrack
 * entries (`conntrack -L -o extended`) and the SNMP counters of
 * /proc/net/{snmp,netstat,snmp6}. flow/observe.ts reads them in a lab's
 * namespace; match/state.ts holds them against the lab's expectations.
 */

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

/** The checksum-error counters every lab can assert on. */
export const CSUM_ERROR_COUNTERS = [
  "IpExtInCsumErrors",
  "TcpInCsumErrors",
  "UdpInCsumErrors",
  "IcmpInCsumErrors",
  "Icmp6InCsumErrors",
  "Udp6InCsumErrors",
  "UdpLiteInCsumErrors",
];
