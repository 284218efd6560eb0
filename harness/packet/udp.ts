/** UDP header (RFC 768), with the IPv6 rules of RFC 8200 section 8.1. */
import { badChecksum, inetChecksum, pseudoHeader } from "./checksum.ts";
import type { UdpFields } from "./layers.ts";
import { IPPROTO } from "./numbers.ts";
import type { Pseudo } from "./tcp.ts";

export const UDP_HLEN = 8;

export function encodeUdp(f: UdpFields, tail: Buffer, pseudo: Pseudo | undefined): Buffer {
  const h = Buffer.alloc(UDP_HLEN);
  h.writeUInt16BE(f.sport ?? 40000, 0);
  h.writeUInt16BE(f.dport ?? 9, 2);
  h.writeUInt16BE(f.len ?? Math.min(UDP_HLEN + tail.length, 0xffff), 4);
  const dgram = Buffer.concat([h, tail]);
  if (f.chksum !== "bad" && f.chksum !== undefined) {
    dgram.writeUInt16BE(f.chksum, 6);
  } else {
    const right = udpChecksum(dgram, pseudo);
    dgram.writeUInt16BE(f.chksum === "bad" ? badChecksum(right) : right, 6);
  }
  return dgram;
}

/**
 * The checksum a sender puts in: computed over pseudo-header and datagram
 * (the pseudo-header length is the bytes present), and a computed 0 is sent
 * as 0xffff, because 0 means "no checksum" (RFC 768; RFC 8200 section 8.1
 * makes the checksum mandatory over IPv6, so there 0 is never valid).
 */
export function udpChecksum(dgram: Buffer, pseudo: Pseudo | undefined): number {
  const ph = pseudo ? pseudoHeader(pseudo.src, pseudo.dst, IPPROTO.udp, dgram.length) : Buffer.alloc(0);
  const zeroed = Buffer.from(dgram);
  zeroed.writeUInt16BE(0, 6);
  const c = inetChecksum(ph, zeroed);
  return c === 0 ? 0xffff : c;
}

export function decodeUdp(b: Buffer, off: number): Required<UdpFields> {
  return {
    sport: b.readUInt16BE(off),
    dport: b.readUInt16BE(off + 2),
    len: b.readUInt16BE(off + 4),
    chksum: b.readUInt16BE(off + 6),
  };
}
