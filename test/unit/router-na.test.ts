/**
 * What a router-based translator (bpf-tc, tayga, jool) cannot run, from the
 * frame alone (harness/translators/tc.ts): a translation longer than the
 * datapath's links is "not applicable", never a pass or a difference.
 */
import test from "ava";
import { build, type Packet } from "../../harness/packet/index.ts";
import { translationTooLong } from "../../harness/translators/tc.ts";

const udp = (bytes: number, ipv4: Record<string, unknown> = {}) =>
  build([
    { eth: {} },
    { ipv4: { src: "198.51.100.10", dst: "192.0.2.33", ttl: 64, df: true, ...ipv4 } },
    { udp: { sport: 53, dport: 40000 } },
    { payload: { size: bytes } },
  ] as Packet);

test("translationTooLong: 1500 bytes of IPv4 grow past a 1500-byte link, 1480 do not", (t) => {
  t.regex(translationTooLong(udp(1472)) ?? "", /longer than the router's link MTU \(1500 bytes of IP\)/);
  t.is(translationTooLong(udp(1452)), undefined, "1480 of IPv4 make 1500 of IPv6");
});

test("translationTooLong: a fragment's Fragment Header counts; an ICMP error is cut to 1280; natlab's own size wins", (t) => {
  t.truthy(translationTooLong(udp(1452, { df: false, mf: true, id: 7 })), "1480 of IPv4: 40 + 8 + 1460 = 1508");
  t.is(translationTooLong(udp(1420, { df: false, mf: true, id: 7 })), undefined, "40 + 8 + 1428 = 1476");
  const error = build([
    { eth: {} },
    { ipv4: { src: "203.0.113.5", dst: "192.0.2.33", ttl: 64 } },
    { icmp: { type: 11, code: 0 } },
    { ipv4: { src: "192.0.2.33", dst: "198.51.100.10", ttl: 1 } },
    { udp: { sport: 40000, dport: 53 } },
    { payload: { size: 1444 } },
  ] as Packet);
  t.is(translationTooLong(error), undefined, "a 1500-byte ICMPv4 error becomes 1280 bytes of ICMPv6");
  t.is(translationTooLong(udp(1472), 1280), undefined, "the size natlab's output has");
  t.is(translationTooLong(udp(100), 1501) !== undefined, true);
});
