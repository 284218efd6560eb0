/**
 * The packets natlab bench times, each direction: TCP SYN (with the usual
 * options), TCP with 1400 bytes of data, UDP with 64, ICMP echo, and an ICMP
 * error quoting a UDP datagram, addressed inside the given prefix.
 */
import type { Packet } from "../packet/index.ts";
import { embedIpv4 } from "../packet/prefix.ts";

export interface BenchCase {
  name: string;
  packet: Packet;
}

/** The cases: TCP SYN, TCP 1400 B, UDP 64 B, ICMP echo, ICMP error, both directions. */
export function benchCases(prefix: string): BenchCase[] {
  const a = embedIpv4(prefix, "192.0.2.1");
  const b = embedIpv4(prefix, "198.51.100.2");
  const v6 = { src: a, dst: b };
  const v4 = { src: "198.51.100.2", dst: "192.0.2.1" };
  return [
    {
      name: "6to4 TCP SYN",
      packet: [{ eth: {} }, { ipv6: v6 }, { tcp: { flags: "S", options: "020405b40402080a0000000100000000" } }],
    },
    {
      name: "6to4 TCP 1400B",
      packet: [{ eth: {} }, { ipv6: v6 }, { tcp: { flags: "PA" } }, { payload: { size: 1400 } }],
    },
    { name: "6to4 UDP 64B", packet: [{ eth: {} }, { ipv6: v6 }, { udp: {} }, { payload: { size: 64 } }] },
    {
      name: "6to4 ICMP echo",
      packet: [{ eth: {} }, { ipv6: v6 }, { icmpv6: { type: 128, id: 1, seq: 1 } }, { payload: { size: 56 } }],
    },
    {
      name: "6to4 ICMP error",
      packet: [
        { eth: {} },
        { ipv6: v6 },
        { icmpv6: { type: 1, code: 4 } },
        { ipv6: { src: b, dst: a } },
        { udp: {} },
        { payload: { size: 64 } },
      ],
    },
    {
      name: "4to6 TCP SYN",
      packet: [{ eth: {} }, { ipv4: v4 }, { tcp: { flags: "S", options: "020405b40402080a0000000100000000" } }],
    },
    {
      name: "4to6 TCP 1400B",
      packet: [{ eth: {} }, { ipv4: v4 }, { tcp: { flags: "PA" } }, { payload: { size: 1400 } }],
    },
    { name: "4to6 UDP 64B", packet: [{ eth: {} }, { ipv4: v4 }, { udp: {} }, { payload: { size: 64 } }] },
    {
      name: "4to6 ICMP echo",
      packet: [{ eth: {} }, { ipv4: v4 }, { icmp: { type: 0, id: 1, seq: 1 } }, { payload: { size: 56 } }],
    },
    {
      name: "4to6 ICMP error",
      packet: [
        { eth: {} },
        { ipv4: v4 },
        { icmp: { type: 3, code: 3 } },
        { ipv4: { src: "192.0.2.1", dst: "198.51.100.2" } },
        { udp: {} },
        { payload: { size: 64 } },
      ],
    },
  ];
}
