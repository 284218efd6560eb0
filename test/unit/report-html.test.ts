/**
 * The report's pure parts: following a packet across the translator, the
 * ladder's rows and arrows, the nftables summary, the topology's DOT, and
 * escaping. (The page in a browser: test/integration/report.test.ts.)
 */
import test from "ava";
import { loadLab } from "../../harness/lab/load.ts";
import { build, type Packet, parse } from "../../harness/packet/index.ts";
import { esc, scriptJson } from "../../harness/report/html/escape.ts";
import { type LadderFrame, ladderSvg, packetKey, predecessors, rowsToDraw } from "../../harness/report/html/ladder.ts";
import { nftLines, summariseNft } from "../../harness/report/html/nft.ts";
import { topologyDot } from "../../harness/report/html/topology.ts";
import { ROOT } from "../../harness/root.ts";

/** A packet as a capture gives it: built, then parsed (every field filled). */
const wire = (p: Packet): Packet => parse(build(p));
const echo6: Packet = [
  { eth: {} },
  { ipv6: { src: "64:ff9b:1:fffe::c0a8:201", dst: "64:ff9b:1:fffe::c0a8:202" } },
  { icmpv6: { type: 128, id: 7, seq: 1 } },
  { payload: { text: "abc" } },
];
const echo4: Packet = [
  { eth: {} },
  { ipv4: { src: "192.168.2.1", dst: "192.168.2.2" } },
  { icmp: { type: 8, id: 7, seq: 1 } },
  { payload: { text: "abc" } },
];
const reply4: Packet = [
  { eth: {} },
  { ipv4: { src: "192.168.2.2", dst: "192.168.2.1" } },
  { icmp: { type: 0, id: 7, seq: 1 } },
  { payload: { text: "abc" } },
];
const arp: Packet = [{ eth: { type: 0x0806 } }, { payload: { hex: "0001" } }];

const frame = (
  lane: number,
  index: number,
  ts: number,
  packet: Packet,
  marks: LadderFrame["marks"] = [],
): LadderFrame => ({
  lane,
  index,
  ts,
  packet: wire(packet),
  noise: false,
  problems: 0,
  marks,
});

test("packetKey follows a packet across RFC 7915: an echo keeps its key from IPv6 to IPv4; a reply does not share it", (t) => {
  t.is(packetKey(wire(echo6)), packetKey(wire(echo4)));
  t.not(packetKey(wire(echo4)), packetKey(wire(reply4)));
  t.is(packetKey(wire(arp)), undefined);
  const syn6: Packet = [
    { eth: {} },
    { ipv6: { src: "2001:db8::1", dst: "64:ff9b:1:fffe::c0a8:202" } },
    { tcp: { sport: 1, dport: 2, seq: 9, flags: "S" } },
  ];
  const syn4: Packet = [
    { eth: {} },
    { ipv4: { src: "198.51.100.1", dst: "192.168.2.2" } },
    { tcp: { sport: 3, dport: 2, seq: 9, flags: "S" } },
  ];
  t.is(packetKey(wire(syn6)), packetKey(wire(syn4)), "ports may change (NAT), the sequence number does not");
  const probe = (dport: number): Packet => [
    { eth: {} },
    { ipv4: { src: "198.51.100.1", dst: "203.0.113.1", ttl: 1 } },
    { udp: { sport: 5, dport } },
    { payload: { size: 32 } },
  ];
  t.not(
    packetKey(wire(probe(33435))),
    packetKey(wire(probe(33436))),
    "traceroute's probes carry one payload to different ports",
  );
});

test("predecessors: the same packet on another lane within a second; never on its own lane", (t) => {
  const rows = [
    frame(0, 1, 10, echo6),
    frame(1, 1, 10.001, echo4),
    frame(1, 2, 10.002, reply4),
    frame(0, 2, 12, echo6),
  ];
  t.deepEqual(predecessors(rows), [-1, 0, -1, -1]);
});

test("rowsToDraw keeps every marked frame and the earliest others, in time order", (t) => {
  const frames = Array.from({ length: 10 }, (_, i) =>
    frame(0, i + 1, 100 - i, echo4, i === 0 ? [{ expect: 0, kind: "matched" }] : []),
  );
  const { rows, omitted } = rowsToDraw(frames, 3);
  t.is(omitted, 7);
  t.deepEqual(
    rows.map((r) => r.index),
    [10, 9, 1],
    "the two earliest, and frame 1 because an expectation marked it",
  );
});

test("ladderSvg: a lane per device, a row per frame, the translation marked 6→4, marks and the closest miss", (t) => {
  const svg = ladderSvg({
    flow: "f0",
    lanes: [
      { name: "host:za (sent)", peerSide: 1 },
      { name: "host:zb", peerSide: -1 },
    ],
    frames: [
      frame(0, 1, 1, echo6),
      frame(1, 1, 1.001, echo4, [{ expect: 0, kind: "matched" }]),
      frame(1, 2, 1.002, reply4, [{ expect: 1, kind: "closest" }]),
    ],
  });
  t.is((svg.match(/<g class="frame/g) ?? []).length, 3);
  t.regex(svg, />host:za \(sent\)</);
  t.regex(svg, /class="xlat"[^>]*>6→4</);
  t.regex(svg, /data-flow="f0" data-frame="1:1"/);
  t.regex(svg, /class="frame v4 met"/);
  t.regex(svg, /class="frame v4 bad"/);
  t.regex(svg, /✓e0/);
  t.regex(svg, /✗e1 closest/);
  t.regex(ladderSvg({ flow: "f1", lanes: [{ name: "a:b", peerSide: 1 }], frames: [] }), /no frame was captured/);
});

test("summariseNft: tables, base chains with hook and policy, rules without their counters; other blocks skipped", (t) => {
  const text = `table ip6 transit {
  counter blocked {
    comment "x"
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    udp dport 9 counter name "blocked" drop
    counter accept
  }
}
table ip nat44 {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "eth1" counter snat to 198.51.100.1  # a comment
  }
}`;
  t.deepEqual(summariseNft(text), [
    {
      family: "ip6",
      name: "transit",
      chains: [
        {
          name: "forward",
          hook: "filter forward",
          policy: "accept",
          rules: ['udp dport 9 counter name "blocked" drop', "accept"],
        },
      ],
    },
    {
      family: "ip",
      name: "nat44",
      chains: [
        {
          name: "postrouting",
          hook: "nat postrouting",
          policy: "accept",
          rules: ['oifname "eth1" snat to 198.51.100.1'],
        },
      ],
    },
  ]);
  t.deepEqual(nftLines(summariseNft(text)).slice(0, 2), [
    "table ip6 transit",
    "  chain forward (filter forward, policy accept): 2 rules",
  ]);
});

test("topologyDot: namespaces as clusters, devices with MAC and addresses, BPF at its hooks, veth edges", (t) => {
  const lab = loadLab(`${ROOT}/labs/article.yaml`);
  const dot = topologyDot(lab, { real: { host: "natlab-abc123-host" } });
  t.regex(dot, /subgraph "cluster_host"/);
  t.regex(dot, /netns natlab-abc123-host/);
  t.regex(dot, /"host:za" \[label=<.*02:00:00:00:00:0a.*64:ff9b:1:fffe::c0a8:201\/96/);
  t.regex(dot, /tc egress: <b>nat64\.o sec 6to4<\/b><br\/>prefix 64:ff9b:1:fffe::\/96/);
  t.regex(dot, /"host:za" -- "host:zb" \[label="veth"\]/);
});

test("escaping: markup characters in text, and </script> inside embedded JSON", (t) => {
  t.is(esc(`<a href="x">&'`), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
  t.notRegex(scriptJson({ s: "</script><script>" }), /<\/script/);
  t.deepEqual(JSON.parse(scriptJson({ s: "</script>" })), { s: "</script>" });
});
