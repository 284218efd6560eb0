/** Pure parts of the flow runner: conntrack and SNMP parsing, CHECKSUM_PARTIAL seeds, checks, the traffic pattern. */
import test from "ava";
import { withTopologyMacs } from "../../harness/flow/inject.ts";
import { parseConntrack, parseSnmp } from "../../harness/match/kernel.ts";
import { checkConntrack, checkCounters, checkStats } from "../../harness/match/state.ts";
import { partialSeed, withoutPartialSeeds } from "../../harness/packet/partial.ts";
import { CLIENT_SEED, firstDifference, pattern } from "../../harness/traffic/pattern.mjs";

const CT = `ipv6     10 tcp      6 431999 ESTABLISHED src=2001:db8:d0be:f00d::2 dst=64:ff9b:1:fffe::cb00:7101 sport=40000 dport=8080 src=64:ff9b:1:fffe::cb00:7101 dst=64:ff9b:1:fffe::c633:6401 sport=8080 dport=40000 [ASSURED] mark=0 use=1
ipv4     2 udp      17 29 src=192.168.255.2 dst=203.0.113.1 sport=5353 dport=5353 src=203.0.113.1 dst=198.51.100.1 sport=5353 dport=5353 mark=0 use=1
conntrack v1.4.7 (conntrack-tools): 2 flow entries have been shown.`;

test("conntrack -o extended lines: first src/dst are the original direction, second the reply", (t) => {
  const e = parseConntrack(CT);
  t.is(e.length, 2);
  t.deepEqual(e[0].orig, {
    src: "2001:db8:d0be:f00d::2",
    dst: "64:ff9b:1:fffe::cb00:7101",
    sport: "40000",
    dport: "8080",
  });
  t.is(e[0].reply.dst, "64:ff9b:1:fffe::c633:6401");
  t.is(e[1].family, "ipv4");
  t.is(e[1].proto, "udp");
});

test("a conntrack expectation matches addresses however they are written", (t) => {
  const entries = parseConntrack(CT);
  t.deepEqual(
    checkConntrack(
      { ns: "router", present: true, family: "ipv6", reply: { dst: "64:ff9b:1:fffe::198.51.100.1" } },
      entries,
    ),
    [],
  );
  const miss = checkConntrack({ ns: "router", present: true, orig: { src: "2001:db8::99" } }, entries);
  t.is(miss.length, 1);
  t.regex(miss[0], /no entry with orig 2001:db8::99/);
  t.regex(miss[0], /ESTABLISHED/, "the failure lists what the table holds");
});

test("/proc/net/snmp and snmp6 become nstat-style names", (t) => {
  const snmp = "Tcp: RtoAlgorithm InSegs InCsumErrors\nTcp: 1 10 0\nUdp: InDatagrams InCsumErrors\nUdp: 5 2\n";
  const snmp6 = "Icmp6InMsgs 3\nIcmp6InCsumErrors 0\nUdp6InCsumErrors 1\n";
  const c = parseSnmp(snmp, snmp6);
  t.is(c.TcpInSegs, 10);
  t.is(c.UdpInCsumErrors, 2);
  t.is(c.Udp6InCsumErrors, 1);
  t.deepEqual(
    checkCounters({ ns: "all", counters: ["UdpInCsumErrors"], equals: 0 }, "client", { UdpInCsumErrors: 2 }, c),
    [],
  );
  const bad = checkCounters(
    { ns: "all", counters: ["UdpInCsumErrors", "NoSuch"], equals: 0 },
    "client",
    { UdpInCsumErrors: 0 },
    c,
  );
  t.is(bad.length, 2);
  t.regex(bad[0], /went up by 2/);
  t.regex(bad[1], /does not exist/);
});

test("translator counters are checked as deltas against a count", (t) => {
  const before = { "host:za": { "6to4.translated": 3 } };
  const after = { "host:za": { "6to4.translated": 5 } };
  t.deepEqual(checkStats({ dev: "host:za", counters: { "6to4.translated": ">=2" } }, before, after), []);
  t.regex(checkStats({ dev: "host:za", counters: { "6to4.translated": 3 } }, before, after)[0], /went up by 2/);
});

test("a CHECKSUM_PARTIAL seed is the folded pseudo-header sum of the packet as it is", (t) => {
  const packet = [
    { eth: {} },
    { ipv4: { src: "192.168.2.1", dst: "192.168.2.2", len: 60, ihl: 5 } },
    { tcp: { sport: 1, dport: 2 } },
  ];
  const s = partialSeed(packet);
  t.truthy(s);
  // 0xc0a8+0x0201+0xc0a8+0x0202+0x0006+0x0028 folded
  let sum = 0xc0a8 + 0x0201 + 0xc0a8 + 0x0202 + 0x0006 + 0x0028;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  t.is(s?.seed, sum);
  const right = { layer: "tcp", field: "chksum", expected: 0x1234, actual: sum };
  const wrong = { layer: "tcp", field: "chksum", expected: 0x1234, actual: sum ^ 0x0100 };
  t.deepEqual(withoutPartialSeeds(packet, [right]), [], "the right seed is accepted");
  t.deepEqual(withoutPartialSeeds(packet, [wrong]), [wrong], "a seed of other addresses is still a problem");
});

test("injected frames take their MACs from the topology unless the lab names them", (t) => {
  const dev = {
    ns: "host",
    dev: "za",
    mac: "02:00:00:00:00:0a",
    peer: { ns: "host", dev: "zb", mac: "02:00:00:00:00:0b" },
  };
  const p = withTopologyMacs([{ eth: {} }, { ipv6: {} }], dev);
  t.deepEqual(p[0], { eth: { src: "02:00:00:00:00:0a", dst: "02:00:00:00:00:0b" } });
  const q = withTopologyMacs([{ eth: { dst: "33:33:00:00:00:01" } }, { ipv6: {} }], dev);
  t.deepEqual(q[0], { eth: { src: "02:00:00:00:00:0a", dst: "33:33:00:00:00:01" } });
});

test("the traffic pattern finds the first damaged byte", (t) => {
  const data = pattern(CLIENT_SEED, 5000);
  t.is(firstDifference(CLIENT_SEED, data), -1);
  data[4321] ^= 1;
  t.is(firstDifference(CLIENT_SEED, data), 4321);
  t.notDeepEqual(pattern(CLIENT_SEED, 64), pattern(CLIENT_SEED + 1, 64));
});

test("trace lines name the translator's drop reason by its counter", async (t) => {
  const { nameDrops } = await import("../../harness/run/trace.ts");
  const { STAT_ITEMS } = await import("../../harness/bpf/stats.ts");
  const i = STAT_ITEMS.indexOf("dropped.truncated");
  t.is(
    nameDrops(`x: bpf_trace_printk: nat64 6to4: drop item ${i}`),
    `x: bpf_trace_printk: nat64 6to4: drop item ${i} (dropped.truncated)`,
  );
});

test("program ids are found in cls_bpf filters and in act_bpf actions alike", async (t) => {
  const { progIds } = await import("../../harness/bpf/config.ts");
  const clsact = [{ kind: "bpf", options: { handle: "0x1", prog: { id: 41, name: "nat64_6to4" } } }];
  const matchall = [
    {
      kind: "matchall",
      options: {
        actions: [
          { order: 1, kind: "bpf", prog: { id: 52, name: "nat64_4to6" } },
          { order: 2, kind: "csum" },
        ],
      },
    },
  ];
  t.deepEqual(progIds(clsact), [41]);
  t.deepEqual(progIds(matchall), [52]);
  t.deepEqual(progIds([]), []);
});

test("a crash of natlab inside the VM is told apart from a failing lab", async (t) => {
  const { crashOf } = await import("../../harness/vm/labs.ts");
  t.is(crashOf({ exitCode: 139, output: "" }), "signal 11");
  t.truthy(
    crashOf({
      exitCode: 1,
      output: "    at async handleMessage (node:internal/modules/esm/worker:196:18)\n\nNode.js v20.20.2\n",
    }),
  );
  t.is(
    crashOf({ exitCode: 1, output: "article: 8 passed, 1 failed, 0 skipped in 49.4s; results in results/article/\n" }),
    undefined,
  );
  t.is(crashOf({ exitCode: 0, output: "Node.js v20.20.2\n" }), undefined);
});

// What node and tsx print for an error in natlab's own code (captured from a TypeScript syntax error).
const TRANSFORM_UNCAUGHT = `
node:internal/modules/run_main:123
    triggerUncaughtException(
    ^
Error [TransformError]: Transform failed with 1 error:
/work/main/harness/cli.ts:42:23: ERROR: Unexpected ";"
    at failureErrorWithLog (/work/main/node_modules/esbuild/lib/main.js:1752:15)
    at /work/main/node_modules/esbuild/lib/main.js:1019:50
    at Pipe.onStreamRead (node:internal/stream_base_commons:191:23)

Node.js v20.20.2
`;
const TRANSFORM_CAUGHT = `golden addresses: 28/28
natlab: TransformError: Transform failed with 1 error:
/work/main/harness/matrix/column.ts:124:17: ERROR: Unexpected ";"
    at failureErrorWithLog (/work/main/node_modules/esbuild/lib/main.js:1752:15)
    at Pipe.onStreamRead (node:internal/stream_base_commons:191:23)
`;

test("an error in natlab's own code is a harness error, never an emulator crash to boot again for", async (t) => {
  const { crashOf, harnessErrorOf } = await import("../../harness/vm/labs.ts");
  t.is(
    harnessErrorOf({ exitCode: 1, output: TRANSFORM_UNCAUGHT }),
    'Error [TransformError]: Transform failed with 1 error:\n/work/main/harness/cli.ts:42:23: ERROR: Unexpected ";"',
  );
  t.is(crashOf({ exitCode: 1, output: TRANSFORM_UNCAUGHT }), undefined, "not retried as a crash");
  t.regex(harnessErrorOf({ exitCode: 1, output: TRANSFORM_CAUGHT }) ?? "", /column\.ts:124:17: ERROR: Unexpected/);
  t.regex(
    harnessErrorOf({
      exitCode: 1,
      output: "SyntaxError: The requested module './x.ts' does not provide an export named 'y'\n",
    }) ?? "",
    /^SyntaxError/,
  );
  // The emulator's crash stays a crash; a lab that fails or a run that passed is neither.
  const loaderCrash = "    at async handleMessage (node:internal/modules/esm/worker:196:18)\n\nNode.js v20.20.2\n";
  t.is(harnessErrorOf({ exitCode: 1, output: loaderCrash }), undefined);
  t.truthy(crashOf({ exitCode: 1, output: loaderCrash }));
  t.is(harnessErrorOf({ exitCode: 0, output: TRANSFORM_CAUGHT }), undefined);
  // A lab's message that merely mentions a SyntaxError, long before the end, is the lab's.
  const labLine = `  ✗ flow: SyntaxError in the peer's reply\n${"  ✓ flow\n".repeat(40)}article: 8 passed, 1 failed\n`;
  t.is(harnessErrorOf({ exitCode: 1, output: labLine }), undefined);
});

test("offloads are switched only when a flow wants the other setting", async (t) => {
  const { OffloadSwitch } = await import("../../harness/flow/offloads.ts");
  const calls: string[] = [];
  const sw = new OffloadSwitch(
    [
      { ns: "a", dev: "x" },
      { ns: "b", dev: "y" },
    ],
    async (ns, argv) => void calls.push(`${ns} ${argv.join(" ")}`),
  );
  t.is(await sw.set("on"), 2, "the first flow always sets it");
  t.is(await sw.set("on"), 0);
  t.is(await sw.set("off"), 2);
  t.is(await sw.set("off"), 0);
  t.deepEqual(calls, [
    "a ethtool -K x tx on",
    "b ethtool -K y tx on",
    "a ethtool -K x tx off",
    "b ethtool -K y tx off",
  ]);
});

test("inspect decodes once and gives what parse and checksumProblems give", async (t) => {
  const { build, checksumProblems, inspect, parse } = await import("../../harness/packet/index.ts");
  const frame = build([
    { eth: {} },
    { ipv4: { src: "192.0.2.1", dst: "192.0.2.2" } },
    { udp: { sport: 1, dport: 2, chksum: "bad" } },
    { payload: { text: "x" } },
  ]);
  const r = inspect(frame);
  t.deepEqual(r.packet, parse(frame));
  t.deepEqual(r.problems, checksumProblems(frame));
  t.is(r.problems.length, 1, "the bad UDP checksum is reported");
});
