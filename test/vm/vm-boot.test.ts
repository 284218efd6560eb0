/**
 * natlab inside a VM on Debian's stock 6.1 kernel, which has the tc pieces this machine's
 * kernel lacks (sch_prio, cls_matchall, act_bpf, act_csum).
 *
 * One VM boot runs every phase and leaves its results in a shared directory; each test then
 * judges one phase:
 *   - the kernel is 6.1 and the four modules load;
 *   - node and tsx run on the read-only root;
 *   - a pass-through tc program (TC_ACT_PIPE) attaches with the write-up's syntax
 *     (prio root qdisc, matchall, act_bpf followed by act_csum) and traffic crosses it;
 *   - with the translator built for act_csum (nat64-pipe.o), the write-up's literal steps
 *     1-21 and a ping across the translation, both ways.
 * Skipped, with the reason, when qemu or the kernel package cannot be had.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { QEMU } from "../../harness/vm/accel.ts";
import { cachedKernel, type PreparedKernel, prepareKernel } from "../../harness/vm/kernels.ts";
import { PROJECT_DIR, runInVm, type VmResult } from "../../harness/vm/qemu.ts";

const KERNEL = "debian-6.1";
/** The translator built for act_bpf followed by act_csum (TC_ACT_PIPE on success; make -C bpf builds it). */
const PIPE_OBJECT = join(PROJECT_DIR, "bpf/nat64-pipe.o");

/** Why the VM cannot be had here, or undefined when it can. */
function unavailable(): string | undefined {
  if (!existsSync(QEMU)) return `${QEMU} missing (apt-get install -y qemu-system-x86)`;
  if (cachedKernel(KERNEL)) return undefined;
  if (process.getuid?.() !== 0) return `kernel ${KERNEL} not cached and building it needs root`;
  const search = () =>
    execFileSync("apt-cache", ["search", "--names-only", "^linux-image-6\\.1\\.0-[0-9]+-amd64$"], {
      encoding: "utf8",
    }).trim();
  try {
    // A fresh machine may have no package lists yet: fetch them once, as prepareKernel would.
    if (!search()) execFileSync("apt-get", ["update", "-q"], { stdio: "ignore" });
    if (!search()) return "no linux-image-6.1.*-amd64 package in the Debian archive apt knows (Debian 12 needed)";
  } catch (e) {
    return `apt could not be asked for the kernel package: ${(e as Error).message}`;
  }
  return undefined;
}

const why = unavailable();
const vmTest = why ? test.serial.skip : test.serial;
if (why) test.serial.skip(`VM tests skipped: ${why}`, () => {});

const share = mkdtempSync(join(tmpdir(), "natlab-h4-vm-"));
const pipeObject = existsSync(PIPE_OBJECT) ? PIPE_OBJECT : undefined;
let kernel: PreparedKernel;
let run: VmResult;
const timings: Record<string, number> = {};

/** A tc program that changes nothing and passes the packet on to the next action. */
const PASS_C = `
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#define SEC(name) __attribute__((section(name), used))
SEC("6to4") int pass_6to4(struct __sk_buff *skb) { return TC_ACT_PIPE; }
SEC("4to6") int pass_4to6(struct __sk_buff *skb) { return TC_ACT_PIPE; }
char _license[] SEC("license") = "GPL";
`;

/** The script the VM runs: each phase writes its output to $R/<phase>.* and its time to $R/times. */
function vmScript(r: string, pipe: string | undefined): string {
  return `
R='${r}'
now() { date +%s.%N; }
phase() { awk -v n="$1" -v a="$2" -v b="$(now)" 'BEGIN { printf "%s %.2f\\n", n, b - a }' >>$R/times; }

t=$(now)
uname -r >$R/uname
for m in sch_prio cls_matchall act_bpf act_csum; do
  if modprobe $m; then echo "$m ok"; else echo "$m failed"; fi
done >$R/modprobe 2>&1
phase modules $t

t=$(now); node --version >$R/node 2>&1; phase node $t
t=$(now); node_modules/.bin/tsx $R/hello.ts >$R/tsx 2>&1; phase tsx $t

# Pass-through program, za and zb in two namespaces so that traffic really crosses the veth.
t=$(now)
(
  set -x
  O=$R/pass.o A="ip netns exec natlab-h4-a" B="ip netns exec natlab-h4-b"
  ip netns add natlab-h4-a && ip netns add natlab-h4-b
  ip link add za netns natlab-h4-a addr 02:00:00:00:00:0a arp off type veth peer name zb netns natlab-h4-b addr 02:00:00:00:00:0b arp off
  $A tc qdisc replace dev za root prio
  $A tc qdisc replace dev za ingress handle ffff:
  $A tc filter add dev za parent ffff: matchall action bpf obj $O sec 4to6 action csum ip4h tcp udp icmp
  $A tc filter add dev za matchall action bpf obj $O sec 6to4 action csum ip4h tcp udp icmp
  $A ip link set dev za up
  $B ip link set dev zb up
  $A ip address add dev za 64:ff9b:1:fffe::c0a8:201/96 nodad
  $B ip address add dev zb 64:ff9b:1:fffe::c0a8:202/96 nodad
  $A ip address add dev za 192.168.2.1/24
  $B ip address add dev zb 192.168.2.2/24
  $A ip neigh add 64:ff9b:1:fffe::c0a8:202 lladdr 02:00:00:00:00:0b dev za
  $B ip neigh add 64:ff9b:1:fffe::c0a8:201 lladdr 02:00:00:00:00:0a dev zb
  $A ip neigh add 192.168.2.2 lladdr 02:00:00:00:00:0b dev za
  $B ip neigh add 192.168.2.1 lladdr 02:00:00:00:00:0a dev zb
  $A ping -c 2 -W 2 64:ff9b:1:fffe::c0a8:202; echo "ping6 $?" >$R/pass.rc
  $A ping -c 2 -W 2 192.168.2.2; echo "ping4 $?" >>$R/pass.rc
  $A tc -s filter show dev za >$R/pass.egress
  $A tc -s filter show dev za ingress >$R/pass.ingress
  ip netns del natlab-h4-a; ip netns del natlab-h4-b
) >$R/pass.log 2>&1
phase pass-through $t

${
  pipe
    ? `# The write-up's steps 1-21, literally, with the translator built for act_csum.
t=$(now)
ip netns add natlab-h4-w
ip netns exec natlab-h4-w bash -x -c '
  O=${pipe}
  ip link add za addr 02:00:00:00:00:0a arp off type veth peer name zb addr 02:00:00:00:00:0b arp off;
  ip neigh add 192.168.2.1 lladdr 02:00:00:00:00:0a dev zb;
  ip neigh add 192.168.2.2 lladdr 02:00:00:00:00:0b dev za;
  ip neigh add 64:ff9b:1:fffe::c0a8:202 lladdr 02:00:00:00:00:0b dev za;
  ip neigh add 64:ff9b:1:fffe::c0a8:201 lladdr 02:00:00:00:00:0a dev zb;
  tc qdisc replace dev za root prio;
  tc qdisc replace dev zb root prio;
  tc filter del dev za;
  tc filter del dev za ingress;
  tc qdisc replace dev za ingress handle ffff:;
  tc qdisc replace dev zb ingress handle ffff:;
  tc filter add dev za parent ffff: matchall action bpf obj $O sec 4to6 csum ip ip4h tcp udp icmp;
  tc filter add dev za matchall action bpf obj $O sec 6to4 csum ip tcp udp icmp;
  ip link set dev za up;
  ip link set dev zb up;
  ip link set dev za arp off;
  ip link set dev zb arp off;
  ip address add dev za 64:ff9b:1:fffe::c0a8:201/96;
  ip address add dev zb 192.168.2.2/24;
  ping -c 2 -W 2 64:ff9b:1:fffe::c0a8:202; echo "ping6 $?" >$0/writeup.rc
  ping -c 2 -W 2 192.168.2.1; echo "ping4 $?" >>$0/writeup.rc
  tc -s filter show dev za;
  tc -s filter show dev za ingress;
' $R >$R/writeup.log 2>&1
ip netns del natlab-h4-w
phase write-up $t
`
    : "echo 'no nat64-pipe.o: write-up steps not run' >$R/writeup.log"
}
`;
}

test.before(async (t) => {
  if (why) return;
  t.timeout(900_000, "first use downloads and builds the kernel, then boots it under emulation");
  let t0 = performance.now();
  kernel = await prepareKernel(KERNEL, { onProgress: (m) => t.log(`prepare: ${m}`) });
  timings.prepare = (performance.now() - t0) / 1000;

  t0 = performance.now();
  execFileSync(
    "clang",
    [
      "-O2",
      "-g",
      "-target",
      "bpf",
      `-I/usr/include/${process.arch === "x64" ? "x86_64" : "aarch64"}-linux-gnu`,
      "-c",
      "-x",
      "c",
      "-",
      "-o",
      join(share, "pass.o"),
    ],
    {
      input: PASS_C,
    },
  );
  writeFileSync(join(share, "hello.ts"), "const answer: number = 6 * 7;\nconsole.log('tsx ok', answer);\n");
  timings.clang = (performance.now() - t0) / 1000;

  run = await runInVm({ kernel, command: vmScript(share, pipeObject), shareDir: share, timeoutSec: 600 });
  timings.boot = run.bootSeconds;
  timings.vm = run.seconds;
  for (const line of readFileSync(join(share, "times"), "utf8").trim().split("\n")) {
    const [name, secs] = line.split(" ");
    timings[name] = Number(secs);
  }
  t.log(
    `timings (s): ${Object.entries(timings)
      .map(([k, v]) => `${k} ${v.toFixed(1)}`)
      .join(", ")}; accel ${run.accel}`,
  );
});

// NATLAB_KEEP_VM_RESULTS=1 keeps the phases' outputs for reading.
test.after.always((t) => {
  if (process.env.NATLAB_KEEP_VM_RESULTS) t.log(`results kept in ${share}`);
  else rmSync(share, { recursive: true, force: true });
});

const out = (name: string) => (existsSync(join(share, name)) ? readFileSync(join(share, name), "utf8") : "");

/** Packets counted by each action of `tc -s filter show`, in order: [["bpf", 2], ["csum", 2], ...]. */
function actionPackets(text: string): [string, number][] {
  return [...text.matchAll(/action order \d+: (\w+)[\s\S]*?Sent \d+ bytes (\d+) pkt/g)].map((m) => [
    m[1],
    Number(m[2]),
  ]);
}

vmTest("the VM runs Debian's 6.1 kernel and exits with the command's status", (t) => {
  t.is(run.exitCode, 0, run.console);
  t.regex(out("uname"), /^6\.1\./);
});

vmTest("sch_prio, cls_matchall, act_bpf and act_csum load", (t) => {
  t.is(out("modprobe").trim(), "sch_prio ok\ncls_matchall ok\nact_bpf ok\nact_csum ok");
});

vmTest("node and tsx run in the VM from the read-only root", (t) => {
  t.regex(out("node"), /^v\d+\./);
  t.is(out("tsx").trim(), "tsx ok 42");
});

vmTest("a TC_ACT_PIPE program attaches under prio/matchall with act_csum, and traffic crosses", (t) => {
  t.is(out("pass.rc").trim(), "ping6 0\nping4 0", out("pass.log"));
  for (const dir of ["egress", "ingress"]) {
    const actions = actionPackets(out(`pass.${dir}`));
    // One filter, two actions: the program, then the checksum fixer, both having seen traffic.
    t.deepEqual(
      actions.map(([kind]) => kind),
      ["bpf", "csum"],
      out(`pass.${dir}`),
    );
    for (const [kind, packets] of actions) t.true(packets > 0, `${dir} ${kind} saw no packets:\n${out(`pass.${dir}`)}`);
  }
});

(pipeObject ? vmTest : test.serial.skip)(
  "the write-up's literal steps with nat64-pipe.o: ping crosses the translator both ways",
  (t) => {
    t.is(out("writeup.rc").trim(), "ping6 0\nping4 0", out("writeup.log"));
    t.log(`packets per action, egress then ingress: ${JSON.stringify(actionPackets(out("writeup.log")))}`);
  },
);
