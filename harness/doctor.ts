/**
 * `natlab doctor`: everything a lab run needs, checked, each missing thing
 * with the command that fixes it.
 */
import { accessSync, constants, existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { toolEnv } from "./exec/command.ts";
import { detectFeatures } from "./plan/features.ts";
import { ROOT } from "./root.ts";

interface Item {
  what: string;
  ok: boolean;
  /** informational: reported, never fails the doctor */
  optional?: boolean;
  detail?: string;
  fix?: string;
}

/** tool -> Debian package */
const TOOLS: [string, string, boolean?][] = [
  ["clang", "clang"],
  ["llc", "llvm"],
  ["bpftool", "bpftool"],
  ["ip", "iproute2"],
  ["tc", "iproute2"],
  ["ss", "iproute2"],
  ["nft", "nftables"],
  ["conntrack", "conntrack"],
  ["ethtool", "ethtool"],
  ["tcpdump", "tcpdump"],
  ["tcpreplay", "tcpreplay"],
  ["tshark", "tshark"],
  ["ping", "iputils-ping"],
  ["traceroute", "traceroute"],
  ["socat", "socat"],
  ["iperf3", "iperf3"],
  ["tayga", "tayga"],
  ["make", "make"],
  ["qemu-system-x86_64", "qemu-system-x86", true],
  ["busybox", "busybox-static", true],
];

/** Where a tool is on the PATH natlab runs tools with (see toolEnv): looked up here, no process per tool. */
function which(tool: string): string | undefined {
  for (const dir of (toolEnv().PATH ?? "").split(":")) {
    const path = join(dir, tool);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {}
  }
  return undefined;
}

function mounted(type: string, path: string): boolean {
  return readFileSync("/proc/mounts", "utf8")
    .split("\n")
    .some((l) => {
      const [, mnt, fstype] = l.split(" ");
      return mnt === path && fstype === type;
    });
}

export async function checks(): Promise<Item[]> {
  const items: Item[] = [];
  const root = process.getuid?.() === 0;
  items.push({
    what: "running as root",
    ok: root,
    fix: "run natlab as root (sudo -i), or use the Vagrant VM: vagrant up && vagrant ssh -c 'cd /natlab && npm test'",
  });
  const caps = /CapEff:\s*([0-9a-f]+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? "0";
  const eff = BigInt(`0x${caps}`);
  const has = (bit: number) => (eff & (1n << BigInt(bit))) !== 0n;
  items.push({
    what: "capabilities CAP_NET_ADMIN, CAP_SYS_ADMIN, CAP_BPF",
    ok: has(12) && has(21) && has(39),
    detail: `CapEff ${caps}`,
    fix: "run as real root (not in a user namespace)",
  });
  for (const [tool, pkg, optional] of TOOLS) {
    const at = which(tool);
    items.push({
      what: `${tool}${optional ? " (for --kernel VMs)" : ""}`,
      ok: !!at,
      optional,
      detail: at,
      fix: `apt-get install -y ${pkg}`,
    });
  }
  items.push({
    what: "libbpf headers",
    ok: existsSync("/usr/include/bpf/bpf_helpers.h"),
    fix: "apt-get install -y libbpf-dev",
  });
  const f = detectFeatures();
  items.push({
    what: `kernel ${f.kernel}: clsact (sch_ingress)`,
    ok: f.clsact,
    detail: f.source,
    fix: "a kernel with CONFIG_NET_SCH_INGRESS",
  });
  items.push({ what: "kernel: cls_bpf", ok: f.clsBpf, fix: "a kernel with CONFIG_NET_CLS_BPF" });
  const literal = f.prio && f.matchall && f.actBpf && f.actCsum;
  items.push({
    what: "kernel: sch_prio, cls_matchall, act_bpf, act_csum (the write-up's literal steps)",
    ok: literal,
    optional: true,
    detail: literal
      ? "available: --variant literal works"
      : `missing ${["prio", "matchall", "actBpf", "actCsum"].filter((k) => !f[k as keyof typeof f]).join(", ")}: labs use clsact + cls_bpf da, checksums fixed in the program`,
  });
  items.push({ what: "BTF (/sys/kernel/btf/vmlinux)", ok: existsSync("/sys/kernel/btf/vmlinux"), optional: true });
  items.push({
    what: "bpffs mounted at /sys/fs/bpf",
    ok: mounted("bpf", "/sys/fs/bpf"),
    optional: true,
    detail: "natlab mounts it when it needs it",
    fix: "mount -t bpf bpf /sys/fs/bpf",
  });
  items.push({
    what: "tracefs mounted at /sys/kernel/tracing (bpf_printk)",
    ok: mounted("tracefs", "/sys/kernel/tracing"),
    optional: true,
    detail: "natlab mounts it when it needs it",
    fix: "mount -t tracefs nodev /sys/kernel/tracing",
  });
  let runNetns = true;
  try {
    if (existsSync("/run/netns")) accessSync("/run/netns", constants.W_OK);
  } catch {
    runNetns = false;
  }
  items.push({ what: "/run/netns writable (ip netns add)", ok: runNetns, fix: "run as root" });
  items.push({
    what: "npm packages (node_modules)",
    ok: existsSync(join(ROOT, "node_modules/.package-lock.json")),
    fix: "npm ci",
  });
  const obj = join(ROOT, "bpf/nat64.o");
  const fresh = existsSync(obj) && statSync(obj).mtimeMs >= statSync(join(ROOT, "bpf/nat64.c")).mtimeMs;
  items.push({ what: "bpf/nat64.o built and up to date", ok: fresh, fix: "natlab build" });
  try {
    const { vmDoctor } = await import("./vm/doctor.ts");
    for (const v of (await vmDoctor()).items)
      items.push({ what: `VM: ${v.what}`, ok: v.ok, optional: true, fix: v.fix, detail: v.detail });
  } catch {
    // the VM executor is optional
  }
  return items;
}

export async function doctor(): Promise<number> {
  const items = await checks();
  let bad = 0;
  for (const i of items) {
    const mark = i.ok ? "ok  " : i.optional ? "info" : "FAIL";
    if (!i.ok && !i.optional) bad++;
    console.log(`${mark}  ${i.what}${i.detail ? `  (${i.detail})` : ""}`);
    if (!i.ok && i.fix) console.log(`      fix: ${i.fix}`);
  }
  console.log(bad ? `\n${bad} problem(s): fix them and run natlab doctor again` : "\neverything natlab needs is here");
  return bad ? 1 : 0;
}
