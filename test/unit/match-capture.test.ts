/**
 * harness/match against whole captures: counts, the closest frame, checksum
 * validity, direction and noise filters, `only`.
 */
import test from "ava";
import { Expect } from "../../harness/lab/schema.ts";
import { countHolds, type Frame, matchCapture, onlyCheck, parseCount } from "../../harness/match/index.ts";
import type { Packet } from "../../harness/packet/layers.ts";

function udp4(ttl: number, dport = 53): Packet {
  return [
    { eth: { dst: "02:00:00:00:00:0b", src: "02:00:00:00:00:0a", type: 0x0800 } },
    {
      ipv4: {
        version: 4,
        ihl: 5,
        tos: 0,
        len: 33,
        id: 7,
        df: true,
        mf: false,
        rf: false,
        frag: 0,
        ttl,
        proto: 17,
        chksum: 0x1111,
        src: "192.168.2.1",
        dst: "192.168.2.2",
        options: [],
      },
    },
    { udp: { sport: 5000, dport, len: 13, chksum: 0x2222 } },
    { payload: { hex: "68656c6c6f" } },
  ];
}
const ns: Packet = [
  { eth: { dst: "33:33:ff:00:00:01", src: "02:00:00:00:00:0a", type: 0x86dd } },
  { ipv6: { version: 6, tc: 0, fl: 0, plen: 24, nh: 58, hlim: 255, src: "::", dst: "ff02::1:ff00:1" } },
  { icmpv6: { type: 135, code: 0, chksum: 0x3333, rest: 0 } },
];

function frame(index: number, packet: Packet, extra: Partial<Frame> = {}): Frame {
  return { index, packet, problems: [], ts: 1000 + index / 100, ...extra };
}
const want = (e: Record<string, unknown>) =>
  Expect.parse({ on: "router:eth1", packet: [{ eth: {} }, { ipv4: { ttl: 63 } }, { udp: { dport: 53 } }], ...e });

test("count: a number is exact; strings compare", (t) => {
  t.deepEqual(parseCount(3), { op: "==", n: 3 });
  t.deepEqual(parseCount("3"), { op: "==", n: 3 });
  t.deepEqual(parseCount(">=1"), { op: ">=", n: 1 });
  t.true(countHolds(parseCount("==0"), 0));
  t.false(countHolds(parseCount("==0"), 1));
  t.true(countHolds(parseCount("<=3"), 3));
  t.false(countHolds(parseCount(">2"), 2));
  t.true(countHolds(parseCount("<2"), 1));
  t.throws(() => parseCount("about 3"), { message: /count "about 3"/ });
});

test("frames that match are counted; the closest non-matching one is kept with its diff", (t) => {
  const frames = [frame(1, ns), frame(2, udp4(64)), frame(3, udp4(64, 54)), frame(4, udp4(63))];
  const r = matchCapture(want({ count: 2 }), frames, { noise: false });
  t.false(r.ok);
  t.deepEqual(r.matched, [4]);
  t.deepEqual(r.count, { wanted: { op: "==", n: 2 }, got: 1, ok: false });
  t.is(r.best?.index, 2, "frame 2 differs only in ttl, frame 3 in ttl and port");
  t.deepEqual(
    r.best?.fields.filter((f) => !f.ok),
    [{ path: "ipv4.ttl", expected: 63, actual: 64, ok: false }],
  );
  t.deepEqual(r.frames, { total: 4, noise: 1, otherDirection: 0 });
  t.true(matchCapture(want({}), frames, { noise: false }).ok, 'default count ">=1"');
  t.false(matchCapture(want({ count: "==0" }), frames, { noise: false }).ok);
});

test("checksums: valid fails a matched frame with a checksum problem, and names it", (t) => {
  const problem = { layer: "udp", field: "chksum", expected: 0x2223, actual: 0x2222 };
  const frames = [frame(1, udp4(63), { problems: [problem] }), frame(2, udp4(63))];
  const r = matchCapture(want({ checksums: "valid" }), frames, { noise: false });
  t.false(r.ok);
  t.true(r.count.ok);
  t.deepEqual(r.checksumFailures, [{ index: 1, problems: [problem] }]);
  t.true(matchCapture(want({ checksums: "any" }), frames, { noise: false }).ok);
});

test("direction: frames of the other direction are set aside when the frames carry one", (t) => {
  const frames = [
    frame(1, udp4(63), { direction: "in" }),
    frame(2, udp4(63), { direction: "out" }),
    frame(3, udp4(63)),
  ];
  const r = matchCapture(want({ direction: "out" }), frames, { noise: false });
  t.deepEqual(r.matched, [2, 3]);
  t.is(r.frames.otherDirection, 1);
});

test("noise is dropped unless the flow keeps it or the expectation describes it", (t) => {
  const frames = [frame(1, ns)];
  const nsWanted = (noise: boolean) =>
    matchCapture(Expect.parse({ on: "a:b", packet: [{ eth: {} }, { ipv6: {} }, { icmpv6: { type: 135 } }] }), frames, {
      noise,
    });
  t.true(nsWanted(false).ok);
  t.true(nsWanted(true).ok);
  const anyV6 = (noise: boolean) =>
    matchCapture(Expect.parse({ on: "a:b", packet: [{ eth: {} }, { ipv6: {} }] }), frames, { noise });
  t.false(anyV6(false).ok);
  t.true(anyV6(true).ok);
});

test("only: frames on a captured device that match no expectation there are listed", (t) => {
  const expects = [want({})];
  const captures = {
    "router:eth1": [frame(1, ns), frame(2, udp4(63)), frame(3, udp4(64))],
    "client:eth0": [frame(1, udp4(63))],
  };
  const r = onlyCheck(expects, captures);
  t.false(r.ok);
  t.deepEqual(
    r.unexpected.map((u) => [u.on, u.index]),
    [
      ["router:eth1", 3],
      ["client:eth0", 1],
    ],
  );
  t.is(onlyCheck(expects, captures, { noise: true }).unexpected.length, 3, "kept noise counts too");
  t.true(onlyCheck(expects, { "router:eth1": [frame(1, ns), frame(2, udp4(63))] }).ok);
});
