/**
 * One tcpdump-like line per packet, for progress output and failure
 * messages, e.g.
 *   IPv6 64:ff9b:1:fffe::c0a8:201 > 64:ff9b:1:fffe::c0a8:202 TCP 40000 > 80 [S] len 0
 * Works on built (partial) and parsed (full) packets alike: a field left
 * out shows as its default ("?" for an address).
 */
import { normalizeIp } from "./addr.ts";
import { isIcmpError } from "./icmp.ts";
import { type Layer, layerName, type Packet } from "./layers.ts";
import { payloadBytes } from "./payload.ts";

const ICMP4: Record<number, string> = {
  0: "echo reply",
  3: "unreachable",
  4: "source quench",
  5: "redirect",
  8: "echo request",
  11: "time exceeded",
  12: "parameter problem",
};
const ICMP6: Record<number, string> = {
  1: "unreachable",
  2: "packet too big",
  3: "time exceeded",
  4: "parameter problem",
  128: "echo request",
  129: "echo reply",
  133: "router solicitation",
  134: "router advertisement",
  135: "neighbor solicitation",
  136: "neighbor advertisement",
  143: "MLDv2 report",
};

function addr(a: string | undefined): string {
  if (a === undefined) return "?";
  try {
    return normalizeIp(a);
  } catch {
    return a;
  }
}

/** Bytes carried after layer i (payload layers only; headers after it are not counted). */
function dataLen(layers: Layer[], i: number): number {
  let n = 0;
  for (const l of layers.slice(i + 1)) if ("payload" in l) n += payloadBytes(l.payload).length;
  return n;
}

export function describe(packet: Packet): string {
  return describeFrom(packet, 0);
}

function describeFrom(layers: Layer[], start: number): string {
  const words: string[] = [];
  for (let i = start; i < layers.length; i++) {
    const l = layers[i];
    if ("eth" in l) {
      if (layers.length === i + 1 || "payload" in layers[i + 1]) {
        words.push(
          `Ether ${l.eth.src ?? "?"} > ${l.eth.dst ?? "?"} type 0x${(l.eth.type ?? 0).toString(16).padStart(4, "0")}`,
        );
      }
    } else if ("ipv4" in l) {
      const f = l.ipv4;
      words.push(`IPv4 ${addr(f.src)} > ${addr(f.dst)}`);
      if (f.mf || (f.frag ?? 0) > 0) words.push(`frag id ${f.id ?? 0} off ${(f.frag ?? 0) * 8}${f.mf ? "+" : ""}`);
      if (f.ttl !== undefined && f.ttl <= 1) words.push(`ttl ${f.ttl}`);
    } else if ("ipv6" in l) {
      const f = l.ipv6;
      words.push(`IPv6 ${addr(f.src)} > ${addr(f.dst)}`);
      if (f.hlim !== undefined && f.hlim <= 1) words.push(`hlim ${f.hlim}`);
    } else if ("hbh" in l) words.push("HBH");
    else if ("dstopts" in l) words.push("DSTOPTS");
    else if ("routing" in l)
      words.push(`RH${l.routing.type ?? 0} segleft ${l.routing.segleft ?? (l.routing.addresses ?? []).length}`);
    else if ("frag" in l) words.push(`frag id ${l.frag.id ?? 0} off ${(l.frag.offset ?? 0) * 8}${l.frag.m ? "+" : ""}`);
    else if ("tcp" in l) {
      const f = l.tcp;
      // A quoted header cut short has no flags; a header to build without flags gets S.
      const flags = f.flags ?? (f.seq !== undefined && f.dataofs === undefined && f.window === undefined ? "?" : "S");
      words.push(`TCP ${f.sport ?? 40000} > ${f.dport ?? 80} [${flags}]`);
      if (f.seq !== undefined && f.seq !== 0) words.push(`seq ${f.seq}`);
      if (f.ack !== undefined && (f.flags ?? "").includes("A")) words.push(`ack ${f.ack}`);
      words.push(`len ${dataLen(layers, i)}`);
      return words.join(" ");
    } else if ("udp" in l) {
      words.push(`UDP ${l.udp.sport ?? 40000} > ${l.udp.dport ?? 9} len ${dataLen(layers, i)}`);
      return words.join(" ");
    } else if ("icmp" in l || "icmpv6" in l) {
      const v6 = "icmpv6" in l;
      const f = "icmpv6" in l ? l.icmpv6 : l.icmp;
      const type = f.type ?? (v6 ? 128 : 8);
      const name = (v6 ? ICMP6 : ICMP4)[type] ?? `type ${type}`;
      words.push(`${v6 ? "ICMPv6" : "ICMP"} ${name}`);
      if ((f.code ?? 0) !== 0 || isIcmpError(v6 ? 6 : 4, type)) words.push(`code ${f.code ?? 0}`);
      if (f.id !== undefined || f.seq !== undefined) words.push(`id ${f.id ?? 0} seq ${f.seq ?? 0}`);
      if (f.mtu !== undefined) words.push(`mtu ${f.mtu}`);
      if (f.ptr !== undefined) words.push(`ptr ${f.ptr}`);
      if (isIcmpError(v6 ? 6 : 4, type) && i + 1 < layers.length) {
        words.push(`quoting (${describeFrom(layers, i + 1)})`);
      } else {
        words.push(`len ${dataLen(layers, i)}`);
      }
      return words.join(" ");
    } else if ("payload" in l) {
      words.push(`payload len ${dataLen(layers, i - 1)}`);
      return words.join(" ");
    } else {
      words.push(layerName(l));
    }
  }
  return words.join(" ");
}
