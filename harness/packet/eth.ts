/** Ethernet II header (IEEE 802.3 with an EtherType, RFC 894). */
import { formatMac, parseMac } from "./addr.ts";
import { hexToBytes } from "./hex.ts";
import type { EthFields, LayerName } from "./layers.ts";
import { ETH_P_EXPERIMENTAL, ETH_P_IP, ETH_P_IPV6 } from "./numbers.ts";

export const ETH_HLEN = 14;

/** src and dst default to 00:00:00:00:00:00 here; the harness fills them from the topology before building. */
export function encodeEth(f: EthFields, next: LayerName | undefined, tail: Buffer): Buffer {
  const h = Buffer.alloc(ETH_HLEN);
  parseMac(f.dst ?? "00:00:00:00:00:00").copy(h, 0);
  parseMac(f.src ?? "00:00:00:00:00:00").copy(h, 6);
  h.writeUInt16BE(f.type ?? etherTypeOf(next), 12);
  return Buffer.concat([h, tail, hexToBytes(f.pad ?? "")]);
}

export function etherTypeOf(next: LayerName | undefined): number {
  if (next === "ipv4") return ETH_P_IP;
  if (next === "ipv6") return ETH_P_IPV6;
  return ETH_P_EXPERIMENTAL;
}

export function decodeEth(b: Buffer, off: number): Required<Omit<EthFields, "pad">> {
  return {
    dst: formatMac(b.subarray(off, off + 6)),
    src: formatMac(b.subarray(off + 6, off + 12)),
    type: b.readUInt16BE(off + 12),
  };
}

export function layerOfEtherType(t: number): LayerName {
  if (t === ETH_P_IP) return "ipv4";
  if (t === ETH_P_IPV6) return "ipv6";
  return "payload";
}
