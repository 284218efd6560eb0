/**
 * harness/match failure text: the field table and the whole flow failure.
 */
import test from "ava";
import { Expect } from "../../harness/lab/schema.ts";
import {
  type Frame,
  formatDiff,
  formatFlowFailure,
  formatUnexpected,
  matchCapture,
  matchPacket,
} from "../../harness/match/index.ts";
import type { Packet } from "../../harness/packet/layers.ts";

const ANSI = /\x1b\[/;

function tcp4(ttl: number, chksum: number, payloadHex?: string): Packet {
  return [
    { eth: { dst: "02:00:00:00:00:0b", src: "02:00:00:00:00:0a", type: 0x0800 } },
    {
      ipv4: {
        version: 4,
        ihl: 5,
        tos: 0,
        len: 40,
        id: 1,
        df: true,
        mf: false,
        rf: false,
        frag: 0,
        ttl,
        proto: 6,
        chksum: 0x5555,
        src: "192.168.2.1",
        dst: "192.168.2.2",
        options: [],
      },
    },
    {
      tcp: {
        sport: 40000,
        dport: 80,
        seq: 1,
        ack: 0,
        dataofs: 5,
        reserved: 0,
        flags: "S",
        window: 1000,
        chksum,
        urgptr: 0,
        options: "",
      },
    },
    ...(payloadHex ? [{ payload: { hex: payloadHex } }] : []),
  ];
}

test("formatDiff: a table with the mismatch marked, matching named fields for context, no colour when asked", (t) => {
  const want: Packet = [{ eth: {} }, { ipv4: { src: "192.168.2.1", ttl: 64 } }];
  const got = tcp4(63, 0x1c46);
  const text = formatDiff(want, got, matchPacket(want, got).fields, { color: false });
  const lines = text.split("\n");
  t.regex(lines[0], /^\s+field\s+expected\s+actual$/);
  t.regex(text, /^ {2}ipv4\.src\s+192\.168\.2\.1\s+192\.168\.2\.1$/m);
  t.regex(text, /^✗ ipv4\.ttl\s+64\s+63$/m);
  t.notRegex(text, ANSI);
  t.regex(formatDiff(want, got, matchPacket(want, got).fields, { color: true }), ANSI);
});

test("formatDiff: checksum problems show the right value beside the wrong one", (t) => {
  const want: Packet = [{ eth: {} }, { ipv4: { ttl: 63 } }, { tcp: { dport: 80 } }];
  const got = tcp4(63, 0x9a2e);
  const problems = [{ layer: "tcp", field: "chksum", expected: 0x1c46, actual: 0x9a2e }];
  const text = formatDiff(want, got, matchPacket(want, got).fields, { problems, color: false });
  t.regex(text, /^✗ tcp\.chksum\s+valid \(0x1c46\)\s+0x9a2e {2}\(bad: expected 0x1c46\)$/m);
  t.regex(text, /^ {2}tcp\.dport\s+80\s+80$/m);
});

test("formatDiff: lines stay within 100 columns and long hex is cut with its length", (t) => {
  const long = "ab".repeat(1400);
  const want: Packet = [{ eth: {} }, { ipv4: {} }, { tcp: {} }, { payload: { hex: "cd".repeat(1400) } }];
  const got = tcp4(63, 1, long);
  const text = formatDiff(want, got, matchPacket(want, got).fields, { color: false });
  for (const line of text.split("\n")) t.true([...line].length <= 100, `too wide: ${line}`);
  t.regex(text, /… \(1400 bytes\)/);
});

test("formatFlowFailure: expectation, device, count, the closest frame's diff and the capture path", (t) => {
  const expect = Expect.parse({
    on: "router:eth1",
    why: "the SYN leaves as IPv4 with one hop less",
    packet: [{ eth: {} }, { ipv4: { ttl: 64 } }, { tcp: { flags: "S" } }],
  });
  const frames: Frame[] = [
    { index: 1, packet: tcp4(63, 0x1c46), problems: [], ts: 100.0 },
    {
      index: 2,
      packet: [
        { eth: { type: 0x86dd } },
        { ipv6: { src: "fe80::1", dst: "ff02::2" } },
        { icmpv6: { type: 133, code: 0 } },
      ],
      problems: [],
      ts: 100.1,
    },
  ];
  const result = matchCapture(expect, frames, { noise: false });
  const text = formatFlowFailure({
    index: 2,
    expect,
    result,
    frames,
    pcap: "results/article/flows/syn/router-eth1.pcap",
    color: false,
  });
  t.regex(text, /^expect\[2\] on router:eth1: the SYN leaves as IPv4 with one hop less$/m);
  t.regex(text, /wanted at least 1 matching, got 0 \(2 frames captured, 1 noise set aside\)/);
  t.regex(text, /closest: frame 1 \(\+0\.000s\)/);
  t.regex(text, /✗ ipv4\.ttl\s+64\s+63/);
  t.regex(text, /wireshark results\/article\/flows\/syn\/router-eth1\.pcap/);
  t.notRegex(text, ANSI);
  for (const line of text.split("\n")) t.true([...line].length <= 94, `wider than 100 columns once indented: ${line}`);
});

test("formatFlowFailure: an empty capture says so; too many matches are listed", (t) => {
  const expect = Expect.parse({ on: "router:eth1", count: "==0", packet: [{ eth: {} }, { ipv4: {} }] });
  const frames: Frame[] = [{ index: 1, packet: tcp4(63, 1), problems: [], ts: 5 }];
  const many = formatFlowFailure({
    index: 0,
    expect,
    result: matchCapture(expect, frames, { noise: false }),
    frames,
    color: false,
  });
  t.regex(many, /wanted none matching, got 1/);
  t.regex(many, /matching frames:\n {4}frame 1 /);
  const none = Expect.parse({ on: "router:eth1", packet: [{ eth: {} }, { ipv4: {} }] });
  const empty = formatFlowFailure({
    index: 0,
    expect: none,
    result: matchCapture(none, [], { noise: false }),
    frames: [],
    color: false,
  });
  t.regex(empty, /nothing was captured on router:eth1/);
});

test("formatFlowFailure: bad checksums of matching frames are listed with expected and actual", (t) => {
  const expect = Expect.parse({ on: "a:b", checksums: "valid", packet: [{ eth: {} }, { ipv4: {} }, { tcp: {} }] });
  const frames: Frame[] = [
    {
      index: 7,
      packet: tcp4(63, 0x9a2e),
      problems: [{ layer: "tcp", field: "chksum", expected: 0x1c46, actual: 0x9a2e }],
      ts: 1,
    },
  ];
  const text = formatFlowFailure({
    index: 0,
    expect,
    result: matchCapture(expect, frames, { noise: false }),
    frames,
    color: false,
  });
  t.regex(text, /bad checksums in matching frame 7/);
  t.regex(text, /✗ tcp\.chksum: expected 0x1c46, actual 0x9a2e/);
});

test("formatUnexpected lists each stray frame with its device", (t) => {
  const text = formatUnexpected([{ on: "r:e1", index: 3, packet: tcp4(63, 1) }], { "r:e1": "x/r-e1.pcap" });
  t.regex(text, /^1 unexpected frame/);
  t.regex(text, /r:e1 frame 3: /);
  t.regex(text, /capture: x\/r-e1\.pcap/);
});

test('formatFlowFailure: "more than" wanted and reached exactly shows the closest other frame too', (t) => {
  const expect = Expect.parse({ on: "a:b", count: ">1", packet: [{ eth: {} }, { ipv4: { ttl: 63 } }] });
  const frames: Frame[] = [
    { index: 1, packet: tcp4(63, 1), problems: [], ts: 1 },
    { index: 2, packet: tcp4(62, 1), problems: [], ts: 2 },
  ];
  const text = formatFlowFailure({
    index: 0,
    expect,
    result: matchCapture(expect, frames, { noise: false }),
    frames,
    color: false,
  });
  t.regex(text, /wanted more than 1 matching, got 1/);
  t.regex(text, /matching frames:\n {4}frame 1 /);
  t.regex(text, /closest: frame 2 \(\+1\.000s\)/);
  t.regex(text, /✗ ipv4\.ttl\s+63\s+62/);
});
