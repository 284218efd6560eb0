/**
 * tshark as the independent oracle for the packet codec.
 *  (a) packets we build, written to a pcap: our parse and checksum verdicts
 *      against tshark's decode, frame by frame (needs tshark, not root);
 *  (b) real traffic between two namespaces (natlab-h2-*), captured with
 *      tcpdump: ping, ping -6, oversized pings (fragments), UDP to a closed
 *      port (ICMP errors quoting our UDP), TCP connects (needs root).
 *      NATLAB_SAVE_CODEC_FIXTURES=1 copies these captures to fixtures/codec/,
 *      which the unit tests read.
 */
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test, { type ExecutionContext } from "ava";
import {
  build,
  checksumVerdicts,
  decode,
  describe,
  normalizeIp,
  type Packet,
  readPcap,
  tcpFlagBits,
  writePcap,
} from "../../harness/packet/index.ts";

const hasTshark = spawnSync("tshark", ["--version"]).status === 0;
const isRoot = process.getuid?.() === 0;

/** tshark fields we compare, and how to read each from our parsed layers. */
const FIELDS: Record<string, [layer: string, get: (f: Record<string, unknown>) => unknown]> = {
  "ip.src": ["ipv4", (f) => f.src],
  "ip.dst": ["ipv4", (f) => f.dst],
  "ip.len": ["ipv4", (f) => f.len],
  "ip.hdr_len": ["ipv4", (f) => (f.ihl as number) * 4],
  "ip.id": ["ipv4", (f) => f.id],
  "ip.ttl": ["ipv4", (f) => f.ttl],
  "ip.proto": ["ipv4", (f) => f.proto],
  "ip.flags.df": ["ipv4", (f) => (f.df ? 1 : 0)],
  "ip.flags.mf": ["ipv4", (f) => (f.mf ? 1 : 0)],
  "ip.frag_offset": ["ipv4", (f) => f.frag],
  "ip.checksum": ["ipv4", (f) => f.chksum],
  "ipv6.src": ["ipv6", (f) => f.src],
  "ipv6.dst": ["ipv6", (f) => f.dst],
  "ipv6.plen": ["ipv6", (f) => f.plen],
  "ipv6.nxt": ["ipv6", (f) => f.nh],
  "ipv6.hlim": ["ipv6", (f) => f.hlim],
  "ipv6.flow": ["ipv6", (f) => f.fl],
  "ipv6.hopopts.nxt": ["hbh", (f) => f.nh],
  "ipv6.hopopts.len": ["hbh", (f) => f.len],
  "ipv6.dstopts.nxt": ["dstopts", (f) => f.nh],
  "ipv6.routing.type": ["routing", (f) => f.type],
  "ipv6.routing.segleft": ["routing", (f) => f.segleft],
  "ipv6.fraghdr.nxt": ["frag", (f) => f.nh],
  "ipv6.fraghdr.offset": ["frag", (f) => f.offset],
  "ipv6.fraghdr.more": ["frag", (f) => (f.m ? 1 : 0)],
  "ipv6.fraghdr.ident": ["frag", (f) => f.id],
  "tcp.srcport": ["tcp", (f) => f.sport],
  "tcp.dstport": ["tcp", (f) => f.dport],
  "tcp.seq_raw": ["tcp", (f) => f.seq],
  "tcp.ack_raw": ["tcp", (f) => f.ack],
  "tcp.hdr_len": ["tcp", (f) => (f.dataofs === undefined ? undefined : (f.dataofs as number) * 4)],
  "tcp.flags": ["tcp", (f) => (f.flags === undefined ? undefined : tcpFlagBits(f.flags as string))],
  "tcp.window_size_value": ["tcp", (f) => f.window],
  "tcp.checksum": ["tcp", (f) => f.chksum],
  "udp.srcport": ["udp", (f) => f.sport],
  "udp.dstport": ["udp", (f) => f.dport],
  "udp.length": ["udp", (f) => f.len],
  "udp.checksum": ["udp", (f) => f.chksum],
  "icmp.type": ["icmp", (f) => f.type],
  "icmp.code": ["icmp", (f) => f.code],
  "icmp.checksum": ["icmp", (f) => f.chksum],
  "icmp.ident": ["icmp", (f) => f.id],
  "icmp.seq": ["icmp", (f) => f.seq],
  "icmp.mtu": ["icmp", (f) => f.mtu],
  "icmpv6.type": ["icmpv6", (f) => f.type],
  "icmpv6.code": ["icmpv6", (f) => f.code],
  "icmpv6.checksum": ["icmpv6", (f) => f.chksum],
  "icmpv6.mtu": ["icmpv6", (f) => f.mtu],
  "icmpv6.echo.identifier": ["icmpv6", (f) => f.id],
  "icmpv6.echo.sequence_number": ["icmpv6", (f) => f.seq],
};
/** Checksum status fields: tshark's 0 bad, 1 good, 2 unverified, 3 not present, 4 illegal. */
const STATUS: Record<string, string> = {
  ipv4: "ip.checksum.status",
  tcp: "tcp.checksum.status",
  udp: "udp.checksum.status",
  icmp: "icmp.checksum.status",
  icmpv6: "icmpv6.checksum.status",
};

/** One map per frame: field -> values, one per occurrence (quoted packets give a second). */
function tsharkFields(pcap: string): Record<string, string[]>[] {
  const names = [...Object.keys(FIELDS), ...Object.values(STATUS)];
  const args = ["-r", pcap, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=|", "-E", "separator=\t"];
  for (const pref of ["ip.check_checksum", "tcp.check_checksum", "udp.check_checksum"]) args.push("-o", `${pref}:TRUE`);
  // Keep fragments as they are on the wire, as our parser does.
  args.push("-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE");
  for (const n of names) args.push("-e", n);
  const r = spawnSync("tshark", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`tshark -r ${pcap} failed: ${r.stderr}`);
  return r.stdout
    .split("\n")
    .filter((l) => l.length > 0)
    .map((line) => {
      const cols = line.split("\t");
      const m: Record<string, string[]> = {};
      names.forEach((n, i) => {
        if (cols[i]) m[n] = cols[i].split("|");
      });
      return m;
    });
}

function canon(v: unknown): string {
  if (typeof v === "number") return String(v);
  if (typeof v === "string" && /^0x[0-9a-f]+$/i.test(v)) return String(parseInt(v, 16));
  if (typeof v === "string" && /^\d+$/.test(v)) return String(Number(v));
  if (v === "True") return "1";
  if (v === "False") return "0";
  if (typeof v === "string" && (v.includes(":") || /^\d+\.\d+\.\d+\.\d+$/.test(v))) return normalizeIp(v);
  return String(v);
}

/** How many values and checksum verdicts were compared, over a whole run. */
const counted = { values: 0, verdicts: 0 };

/** Differences between our decode of `frame` and tshark's, as readable lines ([] when they agree). */
function compare(frame: Buffer, linktype: number, theirs: Record<string, string[]>): string[] {
  const { packet, problems } = decode(frame, { linktype });
  const out: string[] = problems.map((p) => `our parser reports: ${p}`);
  for (const [field, [layer, get]] of Object.entries(FIELDS)) {
    const ours = packet
      .filter((l) => layer in l)
      .map((l) => get((l as Record<string, Record<string, unknown>>)[layer]))
      .filter((v) => v !== undefined)
      .map(canon);
    const their = (theirs[field] ?? []).map(canon);
    // tshark shows a field only where its type defines it (icmp.mtu only for code 4, ...): compare where it has one.
    const n = their.length;
    counted.values += n;
    if (ours.slice(0, n).join(",") !== their.join(",") || (n === 0 && ours.length > 0 && field.startsWith("ip"))) {
      out.push(`${field}: ours ${ours.join(",") || "-"}, tshark ${their.join(",") || "-"}`);
    }
  }
  // Checksum verdicts, per occurrence, where both sides checked.
  const verdicts = checksumVerdicts(frame, { linktype, quotedL4: true });
  for (const [layer, field] of Object.entries(STATUS)) {
    const layerIdx = packet.map((l, i) => (layer in l ? i : -1)).filter((i) => i >= 0);
    const theirs1 = theirs[field] ?? [];
    layerIdx.forEach((idx, k) => {
      const v = verdicts.find((x) => x.index === idx);
      const t = theirs1[k];
      if (!v || t === undefined || t === "2") return;
      counted.verdicts++;
      let theyOk = t === "1" || (t === "3" && layer === "udp");
      // tshark calls 0xffff bad where it computes 0x0000; both are zero in one's complement (docs/environment.md).
      if (!theyOk && v.ok && v.actual === 0xffff && v.expected === 0) theyOk = true;
      if (theyOk !== v.ok)
        out.push(
          `${field} of layer ${idx}: ours ${v.ok ? "good" : "bad"} (0x${v.actual.toString(16)}, expected 0x${v.expected.toString(16)}), tshark status ${t}`,
        );
    });
  }
  return out;
}

function compareCapture(t: ExecutionContext, pcap: string): number {
  const { linktype, frames } = readPcap(pcap);
  const theirs = tsharkFields(pcap);
  t.is(theirs.length, frames.length, "tshark saw as many frames as we read");
  let compared = 0;
  frames.forEach((f, i) => {
    const diffs = compare(f.data, linktype, theirs[i] ?? {});
    const what = describe(decode(f.data, { linktype }).packet);
    t.deepEqual(diffs, [], `frame ${i + 1} (${what}) of ${pcap}`);
    compared++;
  });
  return compared;
}

const A4 = "192.0.2.1";
const B4 = "198.51.100.2";
const R4 = "203.0.113.1";
const A6 = "64:ff9b:1:fffe::c000:201";
const B6 = "64:ff9b:1:fffe::c633:6402";
const C6 = "2001:db8::1";
const D6 = "2001:db8:1::2";

/** A 2-byte payload that makes the transport checksum come out to zero (the checksum computed over a zero payload). */
function zeroing(ip: Packet[number], l4: "tcp" | "udp"): string {
  const f = build([ip, { [l4]: { sport: 7, dport: 9 } } as Packet[number], { payload: { hex: "0000" } }]);
  return f
    .readUInt16BE(f.length - 2 - (l4 === "udp" ? 2 : 4))
    .toString(16)
    .padStart(4, "0");
}

const CASES: Packet[] = [
  [
    { eth: {} },
    { ipv4: { src: A4, dst: B4, df: true, id: 77 } },
    { tcp: { sport: 40000, dport: 80, options: "020405b40402080a0000000100000000" } },
  ],
  [
    { eth: {} },
    { ipv6: { src: A6, dst: B6, fl: 0xabcde } },
    { tcp: { sport: 40000, dport: 80, flags: "PA", seq: 1000, ack: 2000 } },
    { payload: { text: "hello" } },
  ],
  [{ eth: {} }, { ipv6: { src: C6, dst: D6 } }, { tcp: { flags: "SA", chksum: "bad" } }],
  [
    { eth: {} },
    { ipv6: { src: C6, dst: D6 } },
    { tcp: { sport: 7, dport: 9, chksum: 0xffff } },
    { payload: { hex: zeroing({ ipv6: { src: C6, dst: D6 } }, "tcp") } },
  ],
  [
    { eth: {} },
    { ipv4: { src: A4, dst: B4 } },
    { udp: { sport: 5000, dport: 5001, chksum: "bad" } },
    { payload: { size: 33 } },
  ],
  [
    { eth: {} },
    { ipv4: { src: A4, dst: B4 } },
    { udp: { sport: 5000, dport: 5001, chksum: 0 } },
    { payload: { size: 3 } },
  ],
  [
    { eth: {} },
    { ipv6: { src: C6, dst: D6 } },
    { udp: { sport: 5000, dport: 5001, chksum: 0 } },
    { payload: { size: 3 } },
  ],
  [
    { eth: {} },
    { ipv6: { src: C6, dst: D6 } },
    { udp: { sport: 7, dport: 9 } },
    { payload: { hex: zeroing({ ipv6: { src: C6, dst: D6 } }, "udp") } },
  ],
  [{ eth: {} }, { ipv4: { src: A4, dst: B4, chksum: "bad" } }, { icmp: { id: 1, seq: 2 } }, { payload: { size: 56 } }],
  [
    { eth: {} },
    { ipv4: { src: A4, dst: B4 } },
    { icmp: { type: 0, id: 1, seq: 2, chksum: "bad" } },
    { payload: { size: 56 } },
  ],
  [{ eth: {} }, { ipv6: { src: A6, dst: B6 } }, { icmpv6: { id: 1, seq: 2 } }, { payload: { size: 56 } }],
  [
    { eth: {} },
    { ipv6: { src: C6, dst: D6 } },
    { icmpv6: { type: 129, id: 1, seq: 2, chksum: "bad" } },
    { payload: { size: 56 } },
  ],
  [
    { eth: {} },
    { ipv4: { src: R4, dst: A4 } },
    { icmp: { type: 3, code: 4, mtu: 1400 } },
    { ipv4: { src: A4, dst: B4, df: true } },
    { tcp: { sport: 40000, dport: 80, flags: "PA" } },
    { payload: { size: 20 } },
  ],
  [
    { eth: {} },
    { ipv4: { src: R4, dst: A4 } },
    { icmp: { type: 11, quotelen: 28 } },
    { ipv4: { src: A4, dst: B4, ttl: 1 } },
    { udp: { sport: 33434, dport: 33435 } },
    { payload: { size: 32 } },
  ],
  [
    { eth: {} },
    { ipv4: { src: R4, dst: A4 } },
    { icmp: { type: 3, code: 1 } },
    { ipv4: { src: A4, dst: B4, chksum: "bad" } },
    { udp: { sport: 1, dport: 2 } },
  ],
  [
    { eth: {} },
    { ipv6: { src: "2001:db8::fe", dst: C6 } },
    { icmpv6: { type: 2, mtu: 1280, quotelen: 1232 } },
    { ipv6: { src: C6, dst: D6 } },
    { udp: { sport: 5000, dport: 5001 } },
    { payload: { size: 1400 } },
  ],
  [
    { eth: {} },
    { ipv6: { src: D6, dst: C6 } },
    { icmpv6: { type: 1, code: 4 } },
    { ipv6: { src: C6, dst: D6 } },
    { tcp: { sport: 40000, dport: 81 } },
  ],
  [
    { eth: {} },
    { ipv6: { src: D6, dst: C6 } },
    { icmpv6: { type: 4, code: 0, ptr: 6 } },
    { ipv6: { src: C6, dst: D6, nh: 200 } },
    { payload: { size: 8 } },
  ],
  [
    { eth: {} },
    { ipv4: { src: A4, dst: B4, options: [{ type: 1 }, { type: 7, data: "0400000000000000" }] } },
    { udp: { sport: 5000, dport: 5001 } },
    { payload: { size: 5 } },
  ],
  [
    { eth: {} },
    { ipv6: { src: C6, dst: D6 } },
    { hbh: { options: [{ type: 5, data: "0000" }] } },
    { dstopts: { options: [{ type: 0x1e, data: "aabbcc" }] } },
    { routing: { type: 0, segleft: 1, addresses: ["2001:db8::99"] } },
    { udp: { sport: 5000, dport: 5001 } },
    { payload: { size: 10 } },
  ],
  // Segment routing header: the final destination is Segment List[0] (RFC 8754); type 2: the last address.
  [
    { eth: {} },
    { ipv6: { src: C6, dst: D6 } },
    { routing: { type: 4, segleft: 1, reserved: 0x01000000, addresses: ["2001:db8::77", D6] } },
    { tcp: { sport: 1, dport: 2 } },
  ],
  [
    { eth: {} },
    { ipv6: { src: C6, dst: D6 } },
    { routing: { type: 2, segleft: 1, addresses: ["2001:db8::55"] } },
    { icmpv6: { id: 3, seq: 4 } },
  ],
  [
    { eth: {} },
    { ipv4: { src: R4, dst: A4 } },
    { icmp: { type: 3, code: 13 } },
    { ipv4: { src: A4, dst: B4 } },
    { icmp: { id: 9, seq: 1 } },
    { payload: { size: 8 } },
  ],
  [
    { eth: {} },
    { ipv6: { src: C6, dst: D6 } },
    { ipv4: { src: A4, dst: B4 } },
    { udp: { sport: 5000, dport: 5001 } },
    { payload: { size: 4 } },
  ],
  [
    { eth: {} },
    { ipv6: { src: C6, dst: D6 } },
    { frag: { id: 99, m: true } },
    { udp: { sport: 5000, dport: 5001, len: 3000 } },
    { payload: { size: 1000 } },
  ],
  [{ eth: {} }, { ipv6: { src: C6, dst: D6 } }, { frag: { id: 99, offset: 126, nh: 17 } }, { payload: { size: 1000 } }],
  [
    { eth: {} },
    { ipv4: { src: A4, dst: B4, mf: true, id: 5 } },
    { udp: { sport: 5000, dport: 5001, len: 3000 } },
    { payload: { size: 1000 } },
  ],
  [{ eth: {} }, { ipv4: { src: A4, dst: B4, frag: 126, id: 5, proto: 17 } }, { payload: { size: 1000 } }],
];

test("(a) packets we build: our parse and checksum verdicts agree with tshark", (t) => {
  if (!hasTshark) {
    t.log("tshark is not installed: skipped (apt-get install tshark)");
    return t.pass();
  }
  const dir = mkdtempSync(join(tmpdir(), "natlab-h2-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pcap = join(dir, "built.pcap");
  writePcap(pcap, CASES.map(build));
  t.is(compareCapture(t, pcap), CASES.length);
  t.log(`compared ${counted.values} field values and ${counted.verdicts} checksum verdicts with tshark`);
  // The comparison is not vacuous: tshark's decode of frame i+1 set against frame i disagrees.
  const theirs = tsharkFields(pcap);
  const frames = CASES.map(build);
  const shifted = frames.slice(0, -1).filter((f, i) => compare(f, 1, theirs[i + 1]).length > 0).length;
  t.is(shifted, frames.length - 1, "every shifted pair differs");
  // The verdicts are not vacuous: the cases with "bad" are seen as bad by both.
  const bad = CASES.map(build).filter((f) => checksumVerdicts(f).some((v) => !v.ok)).length;
  t.is(bad, 7, "frames with a wrong checksum");
});

/** Run a command; throw with its stderr when it fails. */
function run(argv: string[]): string {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${argv.join(" ")} failed (exit ${r.status}): ${r.stderr}`);
  return r.stdout;
}
const inNs = (ns: string, ...argv: string[]) => ["ip", "netns", "exec", ns, ...argv];
/** Start a long-running program in a namespace. */
const spawnIn = (ns: string, ...argv: string[]) => spawn("ip", ["netns", "exec", ns, ...argv], { stdio: "ignore" });
/** Run a program in a namespace that may fail (its failure is the point, e.g. a closed port). */
const tryIn = (ns: string, ...argv: string[]) =>
  spawnSync("ip", ["netns", "exec", ns, ...argv], { input: "", timeout: 10000 });

/** Start tcpdump and wait until it listens (it says so on stderr). */
async function startCapture(ns: string, dev: string, file: string): Promise<() => Promise<void>> {
  const p = spawn("ip", ["netns", "exec", ns, "tcpdump", "-i", dev, "-n", "-U", "--immediate-mode", "-w", file], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  await new Promise<void>((resolve, reject) => {
    let err = "";
    const timer = setTimeout(
      () => reject(new Error(`tcpdump on ${ns}:${dev} did not start within 10 s: ${err}`)),
      10000,
    );
    p.stderr.on("data", (d: Buffer) => {
      err += d.toString();
      if (err.includes("listening on")) {
        clearTimeout(timer);
        resolve();
      }
    });
    p.on("exit", (code) => reject(new Error(`tcpdump on ${ns}:${dev} exited (${code}): ${err}`)));
  });
  // Stop once (the test calls it, and the teardown again in case the test failed first).
  let stopped: Promise<void> | undefined;
  return () => {
    stopped ??= new Promise<void>((resolve) => {
      if (p.exitCode !== null || p.signalCode !== null) return resolve();
      p.on("exit", () => resolve());
      p.kill("SIGINT");
    });
    return stopped;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll `ok` until it holds, for at most 10 s. */
async function waitFor(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (ok()) return;
    await sleep(100);
  }
  throw new Error(`timed out after 10 s waiting for ${what}`);
}

test("(b) real traffic between two namespaces: our decode agrees with tshark", async (t) => {
  if (!hasTshark || !isRoot) {
    t.log("needs root and tshark: skipped");
    return t.pass();
  }
  const id = `${process.pid % 100000}`;
  const [na, nb] = [`natlab-h2-a${id}`, `natlab-h2-b${id}`];
  const dir = mkdtempSync(join(tmpdir(), "natlab-h2-"));
  t.teardown(() => {
    for (const ns of [na, nb]) spawnSync("ip", ["netns", "del", ns]);
    rmSync(dir, { recursive: true, force: true });
  });
  run(["ip", "netns", "add", na]);
  run(["ip", "netns", "add", nb]);
  run(["ip", "-n", na, "link", "add", "h2a", "type", "veth", "peer", "name", "h2b", "netns", nb]);
  for (const [ns, dev, v4, v6] of [
    [na, "h2a", "192.0.2.1/24", "2001:db8::1/64"],
    [nb, "h2b", "192.0.2.2/24", "2001:db8::2/64"],
  ]) {
    run(["ip", "-n", ns, "addr", "add", v4, "dev", dev]);
    run(["ip", "-n", ns, "addr", "add", v6, "dev", dev, "nodad"]);
    run(["ip", "-n", ns, "link", "set", dev, "up"]);
    run(["ip", "-n", ns, "link", "set", "lo", "up"]);
    // Final checksums in the capture, not CHECKSUM_PARTIAL (docs/environment.md).
    run(inNs(ns, "ethtool", "-K", dev, "tx", "off"));
  }
  const eth = join(dir, "eth.pcap");
  const any = join(dir, "any.pcap");
  const listeners = [
    spawnIn(nb, "socat", "-u", "TCP4-LISTEN:8080,reuseaddr", "OPEN:/dev/null"),
    spawnIn(nb, "socat", "-u", "TCP6-LISTEN:8086,reuseaddr", "OPEN:/dev/null"),
  ];
  t.teardown(() => {
    for (const l of listeners) l.kill();
  });
  await waitFor(
    () => ["8080", "8086"].every((p) => run(inNs(nb, "ss", "-Hltn")).includes(`:${p} `)),
    "socat listening in the peer namespace",
  );
  const stopEth = await startCapture(na, "h2a", eth);
  t.teardown(stopEth);
  const stopAny = await startCapture(na, "any", any);
  t.teardown(stopAny);
  run(inNs(na, "ping", "-c", "2", "-i", "0.2", "192.0.2.2"));
  run(inNs(na, "ping", "-6", "-c", "2", "-i", "0.2", "2001:db8::2"));
  run(inNs(na, "ping", "-c", "1", "-s", "2000", "192.0.2.2")); // IPv4 fragments
  run(inNs(na, "ping", "-6", "-c", "1", "-s", "2000", "2001:db8::2")); // IPv6 Fragment headers
  // UDP to a closed port: the answer is an ICMP error quoting our datagram.
  tryIn(na, "sh", "-c", "echo hello | socat - UDP4-SENDTO:192.0.2.2:5000");
  tryIn(na, "sh", "-c", "echo hello | socat - UDP6-SENDTO:[2001:db8::2]:5000");
  run(inNs(na, "sh", "-c", "echo hello | socat - TCP4:192.0.2.2:8080"));
  run(inNs(na, "sh", "-c", "echo hello | socat - TCP6:[2001:db8::2]:8086"));
  tryIn(na, "socat", "-T", "1", "-", "TCP6:[2001:db8::2]:9999"); // closed port: RST
  await sleep(500);
  await stopEth();
  await stopAny();

  const ethFrames = readPcap(eth);
  t.is(ethFrames.linktype, 1);
  const kinds = new Set(
    ethFrames.frames.map((f) =>
      describe(decode(f.data).packet)
        .replace(/[0-9a-f:.]+ > [0-9a-f:.]+/g, "A > B")
        .split(" ")
        .slice(0, 5)
        .join(" "),
    ),
  );
  t.log(`${ethFrames.frames.length} frames on h2a, kinds: ${[...kinds].join("; ")}`);
  for (const want of [
    "ICMP echo request",
    "ICMPv6 echo request",
    "ICMP unreachable",
    "ICMPv6 unreachable",
    "TCP",
    "frag",
  ]) {
    t.true(
      ethFrames.frames.some((f) => describe(decode(f.data).packet).includes(want)),
      `the capture has a ${want} packet`,
    );
  }
  const before = { ...counted };
  const n = compareCapture(t, eth);
  for (const f of ethFrames.frames) {
    const d = decode(f.data);
    // Every frame checks out: no wrong checksum in real traffic with tx offload off.
    t.deepEqual(
      checksumVerdicts(f.data).filter((v) => !v.ok),
      [],
      describe(d.packet),
    );
    // And builds back to the same bytes from the parsed fields.
    t.is(
      Buffer.concat([build(d.packet), d.trailer]).toString("hex"),
      f.data.toString("hex"),
      `rebuilt ${describe(d.packet)}`,
    );
  }
  if (process.env.NATLAB_SAVE_CODEC_FIXTURES) {
    copyFileSync(eth, "fixtures/codec/veth.pcap");
    copyFileSync(any, "fixtures/codec/any-sll2.pcap");
  }
  const anyFrames = readPcap(any);
  t.true([113, 276].includes(anyFrames.linktype), `tcpdump -i any wrote link type ${anyFrames.linktype}`);
  const m = compareCapture(t, any);
  t.log(
    `compared ${n} Ethernet frames and ${m} ${anyFrames.linktype === 276 ? "LINUX_SLL2" : "LINUX_SLL"} frames with tshark`,
  );
  t.log(`${counted.values - before.values} field values, ${counted.verdicts - before.verdicts} checksum verdicts`);
});
