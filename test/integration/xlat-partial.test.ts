/**
 * CHECKSUM_PARTIAL: what a local socket sends with TX offload on (veth's
 * default) carries only the pseudo-header sum in its TCP/UDP checksum field;
 * the final checksum is computed later, from that seed. The translator must
 * move the seed to the IPv4 pseudo-header (bpf_l4_csum_replace with
 * BPF_F_PSEUDO_HDR), or every packet leaves with a wrong checksum.
 *
 *   A (IPv6, translator on za) --veth-- B (IPv4 router, yb: tx off) --veth-- C (tcpdump)
 *
 * B forwards the still-partial skb out of a device without offload, so the
 * kernel finishes the checksum there and C captures final checksums: tshark
 * judges them. A non-neutral prefix, written into the attached programs'
 * nat64_config maps by harness/bpf/config.ts. The build without L4 fixes
 * must fail the same check.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { buildBpf, NAT64_NOCSUM_OBJECT, NAT64_OBJECT } from "../../harness/bpf/build.ts";
import { findTranslator, writePrefix } from "../../harness/bpf/config.ts";
import { readStats } from "../../harness/bpf/stats.ts";
import { run } from "../../harness/exec/command.ts";
import { embedIpv4 } from "../../harness/packet/prefix.ts";

const isRoot = process.getuid?.() === 0;
const serial = isRoot ? test.serial : test.serial.skip;
const PREFIX = "2001:db8:64::/96";
const tag = `natlab-h1-${process.pid}`;
const [A, B, C] = ["a", "b", "c"].map((x) => `${tag}-${x}`);
const dir = mkdtempSync(join(tmpdir(), "natlab-h1-partial-"));

async function teardown() {
  for (const ns of [A, B, C]) await run(["ip", "netns", "del", ns], { allowFail: true });
}
test.after.always(async () => {
  if (isRoot) await teardown();
  rmSync(dir, { recursive: true, force: true });
});

async function lab(object: string) {
  await teardown();
  const sh = async (ns: string | undefined, argv: string) => run(argv.split(" "), { ns });
  for (const ns of [A, B, C]) {
    await sh(undefined, `ip netns add ${ns}`);
    await sh(ns, "ip link set lo up");
  }
  await sh(A, `ip link add za address 02:00:00:00:00:0a type veth peer name zb address 02:00:00:00:00:0b netns ${B}`);
  await sh(B, `ip link add yb address 02:00:00:00:01:0b type veth peer name yc address 02:00:00:00:01:0c netns ${C}`);
  await sh(A, "ip link set za up");
  await sh(B, "ip link set zb up");
  await sh(B, "ip link set yb up");
  await sh(C, "ip link set yc up");
  await sh(A, `ip addr add ${embedIpv4(PREFIX, "192.168.2.1")}/96 dev za nodad`);
  await sh(A, `ip neigh add ${embedIpv4(PREFIX, "10.9.0.2")} lladdr 02:00:00:00:00:0b dev za`);
  await sh(B, "ip addr add 192.168.2.2/24 dev zb");
  await sh(B, "ip addr add 10.9.0.1/24 dev yb");
  await sh(B, "ip neigh add 192.168.2.1 lladdr 02:00:00:00:00:0a dev zb");
  await sh(B, "sysctl -qw net.ipv4.ip_forward=1");
  await sh(B, "ethtool -K yb tx off");
  await sh(C, "ip addr add 10.9.0.2/24 dev yc");
  await sh(C, "ip route add 192.168.2.0/24 via 10.9.0.1");
  await sh(A, "tc qdisc add dev za clsact");
  await sh(A, `tc filter add dev za egress bpf da obj ${object} sec 6to4`);
  await sh(A, `tc filter add dev za ingress bpf da obj ${object} sec 4to6`);
  await writePrefix(A, "za", "egress", PREFIX);
  await writePrefix(A, "za", "ingress", PREFIX);
}

function startCapture(pcap: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const p = spawn("ip", ["netns", "exec", C, "tcpdump", "-i", "yc", "-U", "--immediate-mode", "-w", pcap], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    p.stderr.on("data", (d: Buffer) => {
      err += d.toString();
      if (err.includes("listening on")) resolve(p);
    });
    p.on("exit", () => reject(new Error(`tcpdump in ${C} exited: ${err}`)));
  });
}

/** TCP and UDP from A through the translator; tshark's checksum verdicts for A's packets as seen in C. */
async function traffic(object: string): Promise<{ tcp: string[]; udp: string[]; stats: Record<string, number> }> {
  await lab(object);
  const pcap = join(dir, `${object.split("/").pop()}.pcap`);
  const cap = await startCapture(pcap);
  const tcpServer = spawn("ip", ["netns", "exec", C, "socat", "-T2", "TCP-LISTEN:8080,reuseaddr", "SYSTEM:echo hello"]);
  const udpServer = spawn("ip", ["netns", "exec", C, "socat", "-T2", "UDP-RECVFROM:5353", "SYSTEM:echo hello"]);
  await new Promise((r) => setTimeout(r, 300));
  const dst = embedIpv4(PREFIX, "10.9.0.2");
  await run(["socat", "-T2", "-", `TCP:[${dst}]:8080,connect-timeout=2`], { ns: A, allowFail: true, timeoutSec: 5 });
  await run(["socat", "-T2", "-", `UDP:[${dst}]:5353`], { ns: A, stdin: "x\n", allowFail: true, timeoutSec: 5 });
  await new Promise((r) => setTimeout(r, 500));
  cap.kill("SIGINT");
  tcpServer.kill();
  udpServer.kill();
  await new Promise((r) => cap.on("exit", r));
  const stats = await readStats((await findTranslator(A, "za", "egress")).maps.nat64_stats);
  await teardown();
  const t = spawnSync(
    "tshark",
    [
      "-r",
      pcap,
      "-o",
      "tcp.check_checksum:TRUE",
      "-o",
      "udp.check_checksum:TRUE",
      "-Y",
      "ip.src == 192.168.2.1",
      "-T",
      "fields",
      "-e",
      "tcp.checksum.status",
      "-e",
      "udp.checksum.status",
    ],
    { encoding: "utf8" },
  );
  const rows = t.stdout.split("\n").filter((l) => l.trim() !== "");
  return {
    tcp: rows.map((l) => l.split("\t")[0]).filter((v) => v !== ""),
    udp: rows.map((l) => l.split("\t")[1]).filter((v) => v !== ""),
    stats,
  };
}

test.before(async () => {
  if (isRoot) {
    await buildBpf();
  }
});

serial("partial checksums from local sockets come out right after 6to4 (non-neutral prefix)", async (t) => {
  const r = await traffic(NAT64_OBJECT);
  t.true(r.tcp.length >= 3, `TCP packets from A reached C: ${JSON.stringify(r)}`);
  t.deepEqual([...new Set(r.tcp)], ["1"], "tshark: every TCP checksum good");
  t.deepEqual(r.udp, ["1"], "tshark: the UDP checksum good");
  t.true(r.stats["6to4.translated.tcp"] >= 3, "the egress translator counted them");
});

serial("... and wrong without the L4 checksum fixes (nat64-nocsum.o)", async (t) => {
  await buildBpf("nat64-nocsum.o");
  const r = await traffic(NAT64_NOCSUM_OBJECT);
  t.true(r.tcp.length >= 1, "the SYN reached C");
  t.true(
    r.tcp.every((s) => s === "0"),
    `tshark: TCP checksums bad (${r.tcp.join(",")})`,
  );
});
