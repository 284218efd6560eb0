/**
 * What the kernel says after a flow: conntrack entries and the SNMP
 * counters (checksum errors above all), read inside a lab namespace and
 * parsed by match/kernel.ts.
 */
import { run } from "../exec/command.ts";
import { type ConntrackEntry, parseConntrack, parseSnmp } from "../match/kernel.ts";

/** The namespace's conntrack table. */
export async function readConntrack(ns: string): Promise<ConntrackEntry[]> {
  const r = await run(["conntrack", "-L", "-o", "extended"], { ns, allowFail: true });
  return parseConntrack(r.stdout);
}

/** Empties the namespace's conntrack table, so a flow sees only its own entries. */
export async function flushConntrack(ns: string): Promise<void> {
  await run(["conntrack", "-F"], { ns, allowFail: true });
}

/** SNMP counters plus /proc/net/netstat (TcpExt*, IpExt*: IpExtInCsumErrors counts bad IPv4 header checksums). */
export async function readCounters(ns: string): Promise<Record<string, number>> {
  const r = await run(["sh", "-c", "cat /proc/net/snmp /proc/net/netstat; echo ===; cat /proc/net/snmp6"], { ns });
  const [snmp, snmp6] = r.stdout.split("===\n");
  return parseSnmp(snmp ?? "", snmp6 ?? "");
}
