/**
 * The packet codec: build packets from layers (deriving what is left out),
 * parse frames back into the same shape, check checksums, describe a packet
 * in one line, and read/write pcap files. Syntax and defaults: README.md.
 */
export {
  formatIp,
  formatIpv4,
  formatIpv6,
  formatMac,
  normalizeIp,
  parseIp,
  parseIpv4,
  parseIpv6,
  parseMac,
} from "./addr.ts";
export { build, validatePacket } from "./build.ts";
export { badChecksum, inetChecksum, onesSum, pseudoHeader } from "./checksum.ts";
export { describe } from "./describe.ts";
export { bytesToHex, hexToBytes, normalizeHex } from "./hex.ts";
export { isIcmpError } from "./icmp.ts";
export * from "./layers.ts";
export { type Decoded, decode, type ParseOptions, parse, type Span } from "./parse.ts";
export {
  decodeSll,
  LINKTYPE,
  type Pcap,
  type PcapFrame,
  pcapBytes,
  readPcap,
  type SllInfo,
  writePcap,
} from "./pcap.ts";
export { tcpFlagBits, tcpFlagLetters } from "./tcp.ts";
export {
  type ChecksumProblem,
  checksumProblems,
  checksumVerdicts,
  checksumVerdictsOf,
  inspect,
  type VerifyOptions,
} from "./verify.ts";
