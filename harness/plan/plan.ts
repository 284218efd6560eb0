/**
 * Lab -> Plan: the ordered commands that build a lab and take it down, as
 * plain data. Pure: no command runs here (harness/exec runs plans, and
 * `natlab script` prints them as shell).
 *
 * A step with `ns` runs inside that network namespace (the executor wraps it
 * in `ip netns exec NS`); a step without runs on the host and names its
 * namespaces itself (`ip netns add`, a veth pair spanning two namespaces).
 * Nothing is ever added to the host's own namespace.
 */
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { dirname, join, resolve } from "node:path";
import { DEFAULT_NAT64_PREFIX, labFile } from "../lab/load.ts";
import type { Endpoint, Lab } from "../lab/schema.ts";
import { clsactSteps, isLiteralTc, literalSteps } from "./attach.ts";
import { chooseVariant, type Features, type Variant } from "./features.ts";

export { chooseVariant };

import { stepKeys, unmatchedReason } from "./writeup.ts";

export interface Step {
  id: string;
  phase: "setup" | "teardown";
  /** Real netns name: argv runs inside it. Absent: argv runs on the host. */
  ns?: string;
  argv: string[];
  /** One line: why this step exists. */
  why: string;
  /** argv that reverses this step, run where the step runs. */
  undo?: string[];
  stdin?: string;
  ignoreFailure?: boolean;
  /** Write-up steps this one stands in for. */
  replaces?: { n: number; text: string }[];
}

export interface Plan {
  lab: string;
  runId: string;
  variant: Variant;
  /** lab namespace name -> real netns name */
  namespaces: Record<string, string>;
  setup: Step[];
  teardown: Step[];
  notes: string[];
  /** The kernel features the variant was chosen from. */
  features: Features;
  /** Started by the executor after setup, not plan steps; here so scripts can show them. */
  services: { name: string; ns: string; cmd: string[] }[];
}

export interface PlanOptions {
  runId: string;
  features: Features;
  /** The project directory: BPF objects and bin/natlab are found from here. */
  root: string;
  variant?: Variant;
  /** The lab file (for nftables files named relative to it); default: where loadLab read the lab from. */
  labPath?: string;
  readFile?: (path: string) => string;
}

/** Real namespace names carry the run id, so parallel runs never meet and cleanup removes only its own. */
export function realNamespace(runId: string, ns: string): string {
  return `natlab-${runId}-${ns}`;
}

/**
 * IPv6 noise a fresh link makes by itself: DAD probes, router solicitations,
 * RAs taken in, unsolicited MLD reports. Off in every namespace, so captures
 * hold only a flow's own packets (docs/environment.md, "IPv6 noise"). `default` is what new
 * devices copy; `all` is set too so a reader of either sees the same answer.
 * MLD reports are not stopped by an interval of 0, only hurried: measured on
 * a veth here, all of them leave within ~40 ms of link up (unset: 16 packets
 * of RS/DAD/MLD spread over 6 s), so captures started after setup miss them.
 */
export const NOISE_SYSCTLS = [
  "accept_dad",
  "accept_ra",
  "router_solicitations",
  "mldv1_unsolicited_report_interval",
  "mldv2_unsolicited_report_interval",
].flatMap((k) => ["all", "default"].map((scope) => `net.ipv6.conf.${scope}.${k}=0`));

/** A sysctl about one device (net.ipv6.conf.eth0.forwarding) can only be set once the device exists. */
function isDeviceSysctl(key: string): boolean {
  const m = /^net\.ipv[46]\.(conf|neigh)\.([^.]+)\./.exec(key);
  return m !== null && m[2] !== "all" && m[2] !== "default";
}

export interface Draft extends Omit<Step, "phase"> {
  /** What the step acts on (see writeup.ts), for matching write-up steps. */
  keys?: string[];
}

export function planLab(lab: Lab, opts: PlanOptions): Plan {
  const variant = chooseVariant(opts.features, opts.variant);
  const real = (ns: string) => realNamespace(opts.runId, ns);
  const namespaces = Object.fromEntries(Object.keys(lab.namespaces).map((ns) => [ns, real(ns)]));
  const steps: Draft[] = [];
  const notes: string[] = [];
  const step = (s: Draft) => steps.push(s);

  for (const ns of Object.keys(lab.namespaces)) {
    step({
      id: `netns:${ns}`,
      argv: ["ip", "netns", "add", real(ns)],
      why: `a fresh network namespace for \`${ns}\``,
      undo: ["ip", "netns", "del", real(ns)],
    });
  }
  for (const ns of Object.keys(lab.namespaces)) {
    step({
      id: `lo:${ns}`,
      ns: real(ns),
      argv: ["ip", "link", "set", "lo", "up"],
      why: "loopback starts down in a new namespace; local sockets need it",
    });
  }
  for (const ns of Object.keys(lab.namespaces)) {
    step({
      id: `quiet:${ns}`,
      ns: real(ns),
      argv: ["sysctl", "-qw", ...NOISE_SYSCTLS],
      why: "no DAD, router solicitations or RAs, MLD reports only at link up: captures hold only the flows' packets",
    });
  }
  const sysctlSteps = (device: boolean) => {
    for (const [ns, n] of Object.entries(lab.namespaces)) {
      for (const [k, v] of Object.entries(n.sysctls)) {
        if (isDeviceSysctl(k) !== device) continue;
        step({
          id: `sysctl:${ns}:${k}`,
          ns: real(ns),
          argv: ["sysctl", "-qw", `${k}=${v}`],
          why: `the lab sets ${k} in \`${ns}\``,
          keys: [`sysctl:${ns}:${k}`],
        });
      }
    }
  };
  sysctlSteps(false);

  // Links: one command creates both ends, each directly in its namespace.
  lab.links.forEach((link) => {
    const { a, b } = link;
    const end = (e: Endpoint) => ["netns", real(e.ns), ...(e.mac ? ["address", e.mac] : [])];
    step({
      id: `veth:${a.ns}:${a.dev}`,
      // `name` spelled out: iproute2 would read a device called `a` as an abbreviation of `address`.
      argv: ["ip", "link", "add", "name", a.dev, ...end(a), "type", "veth", "peer", "name", b.dev, ...end(b)],
      why: `veth pair ${a.ns}:${a.dev} <-> ${b.ns}:${b.dev}${a.mac || b.mac ? ", fixed MACs so expectations can name them" : ""}`,
      undo: ["ip", "-n", real(a.ns), "link", "del", a.dev],
      keys: [`link:${a.ns}:${a.dev}`, `link:${b.ns}:${b.dev}`],
    });
    for (const e of [a, b]) {
      const ns = real(e.ns);
      if (e.arp === false) {
        step({
          id: `arp:${e.ns}:${e.dev}`,
          ns,
          argv: ["ip", "link", "set", "dev", e.dev, "arp", "off"],
          why: "no ARP: neighbours are static, as in the write-up",
          keys: [`arp:${e.ns}:${e.dev}`],
        });
      }
      const mtu = e.mtu ?? link.mtu;
      if (mtu !== undefined) {
        step({
          id: `mtu:${e.ns}:${e.dev}`,
          ns,
          argv: ["ip", "link", "set", "dev", e.dev, "mtu", String(mtu)],
          why: `MTU ${mtu} as the lab asks`,
          keys: [`mtu:${e.ns}:${e.dev}`],
        });
      }
      step({
        id: `up:${e.ns}:${e.dev}`,
        ns,
        argv: ["ip", "link", "set", "dev", e.dev, "up"],
        why: `bring ${e.dev} up`,
        keys: [`up:${e.ns}:${e.dev}`],
      });
    }
  });
  for (const link of lab.links) {
    for (const e of [link.a, link.b]) {
      if (!e.offloads || Object.keys(e.offloads).length === 0) continue;
      const args = Object.entries(e.offloads).flatMap(([k, on]) => [k, on ? "on" : "off"]);
      step({
        id: `offloads:${e.ns}:${e.dev}`,
        ns: real(e.ns),
        argv: ["ethtool", "-K", e.dev, ...args],
        why: `offloads on ${e.dev}: with tx off, captures show final checksums instead of CHECKSUM_PARTIAL ones`,
      });
    }
  }
  for (const [ns, n] of Object.entries(lab.namespaces)) {
    for (const d of n.devices) {
      // Without the dummy driver a tun device nobody reads holds addresses just as well (they are local either way).
      const asTun = d.type === "tun" || !opts.features.dummy;
      const argv = asTun
        ? ["ip", "tuntap", "add", "dev", d.name, "mode", "tun"]
        : ["ip", "link", "add", "name", d.name, "type", "dummy"];
      const why =
        d.type === "tun"
          ? `tun device ${d.name} for a user-space program (e.g. tayga)`
          : `dummy device ${d.name} to hold addresses${asTun ? " (a tun nobody reads: this kernel has no dummy driver)" : ""}`;
      step({ id: `${d.type}:${ns}:${d.name}`, ns: real(ns), argv, why });
      if (d.mtu !== undefined)
        step({
          id: `mtu:${ns}:${d.name}`,
          ns: real(ns),
          argv: ["ip", "link", "set", "dev", d.name, "mtu", String(d.mtu)],
          why: `MTU ${d.mtu} as the lab asks`,
        });
      step({
        id: `up:${ns}:${d.name}`,
        ns: real(ns),
        argv: ["ip", "link", "set", "dev", d.name, "up"],
        why: `bring ${d.name} up`,
        keys: [`up:${ns}:${d.name}`],
      });
    }
  }
  sysctlSteps(true);

  const addressStep = (ns: string, dev: string, cidr: string) => {
    const v6 = cidr.includes(":");
    step({
      id: `addr:${ns}:${dev}:${cidr}`,
      ns: real(ns),
      argv: ["ip", "addr", "add", cidr, "dev", dev, ...(v6 ? ["nodad"] : [])],
      why: `address ${cidr} on ${dev}${v6 ? " (nodad: usable at once, no DAD probe in captures)" : ""}`,
      keys: [`addr:${ns}:${dev}:${cidr.toLowerCase()}`],
    });
  };
  for (const link of lab.links)
    for (const e of [link.a, link.b]) for (const c of e.addresses) addressStep(e.ns, e.dev, c);
  for (const [ns, n] of Object.entries(lab.namespaces))
    for (const d of n.devices) for (const c of d.addresses) addressStep(ns, d.name, c);

  for (const [ns, n] of Object.entries(lab.namespaces)) {
    for (const nb of n.neighbours) {
      step({
        id: `neigh:${ns}:${nb.dev}:${nb.addr}`,
        ns: real(ns),
        argv: ["ip", "neigh", "replace", nb.addr, "lladdr", nb.mac, "dev", nb.dev, "nud", "permanent"],
        why: `static neighbour ${nb.addr} -> ${nb.mac} on ${nb.dev}: no ARP/ND exchange before the first packet`,
        keys: [`neigh:${ns}:${nb.dev}:${nb.addr.toLowerCase()}`],
      });
    }
  }
  for (const [ns, n] of Object.entries(lab.namespaces)) {
    n.routes.forEach((r, i) => {
      const family = r.family ?? (r.to === "default" ? String(isIP(r.via ?? "")) : undefined);
      const argv = [
        "ip",
        ...(family === "4" || family === "6" ? [`-${family}`] : []),
        "route",
        "add",
        r.to,
        ...(r.via ? ["via", r.via] : []),
        ...(r.dev ? ["dev", r.dev] : []),
        ...(r.src ? ["src", r.src] : []),
        ...(r.mtu !== undefined ? ["mtu", String(r.mtu)] : []),
      ];
      step({
        id: `route:${ns}:${i}`,
        ns: real(ns),
        argv,
        why: `route to ${r.to}${r.via ? ` via ${r.via}` : ""}${r.dev ? ` on ${r.dev}` : ""}`,
        keys: [`route:${ns}:${r.to}`],
      });
    });
  }
  for (const [ns, n] of Object.entries(lab.namespaces)) {
    if (n.nftables === undefined) continue;
    let text: string;
    let from: string;
    if (typeof n.nftables === "string") {
      text = n.nftables;
      from = "written in the lab file";
    } else {
      const file = opts.labPath ?? labFile(lab);
      const path = file ? join(dirname(file), n.nftables.file) : resolve(opts.root, n.nftables.file);
      text = (opts.readFile ?? ((p: string) => readFileSync(p, "utf8")))(path);
      from = `from ${path}`;
    }
    step({
      id: `nft:${ns}`,
      ns: real(ns),
      argv: ["nft", "-f", "-"],
      stdin: text,
      why: `nftables ruleset for \`${ns}\`, ${from}`,
      keys: [`nft:${ns}`],
    });
  }

  if (variant === "clsact") clsactSteps(lab, real, opts.root, step);
  else literalSteps(lab, real, opts.root, step, notes);
  for (const b of lab.bpf) {
    if (!b.prefix || b.prefix === DEFAULT_NAT64_PREFIX) continue;
    const [ns, dev] = b.dev.split(":");
    step({
      id: `prefix:${ns}:${dev}:${b.hook}`,
      argv: [
        join(opts.root, "bin/natlab"),
        "bpf-config",
        "--ns",
        real(ns),
        "--dev",
        dev,
        "--hook",
        b.hook,
        "--prefix",
        b.prefix,
      ],
      why: `the program at ${dev} ${b.hook} translates with prefix ${b.prefix} instead of ${DEFAULT_NAT64_PREFIX}`,
    });
  }

  const setup = attachWriteup(lab, variant, steps, notes).map((s) => finish(s, "setup"));
  const nsNames = Object.keys(lab.namespaces).reverse();
  const teardown: Step[] = nsNames.map((ns) => ({
    id: `netns-del:${ns}`,
    phase: "teardown",
    argv: ["ip", "netns", "del", real(ns)],
    why: `deleting \`${ns}\` removes its devices, veth peers, routes, nft rules, qdiscs and BPF attachments`,
    ignoreFailure: true,
  }));
  const services = lab.services.map((s) => ({ name: s.name, ns: real(s.ns), cmd: s.cmd }));
  return {
    lab: lab.name,
    runId: opts.runId,
    variant,
    namespaces,
    setup: uniqueIds(setup),
    teardown,
    notes,
    features: opts.features,
    services,
  };
}

/** Marks which write-up steps each plan step stands in for; notes those with no counterpart. */
function attachWriteup(lab: Lab, variant: Variant, steps: Draft[], notes: string[]): Draft[] {
  const literal = lab.literal?.steps ?? [];
  for (const [i, s] of literal.entries()) {
    // In the literal variant the write-up's tc steps are run as they are, not stood in for.
    if (variant === "literal" && isLiteralTc(s)) continue;
    const n = s.n ?? i + 1;
    const text = s.argv.join(" ");
    const keys = stepKeys(s.ns, s.argv);
    const matches = steps.filter((d) => d.keys?.some((k) => keys.includes(k)));
    if (matches.length === 0) {
      notes.push(`write-up step ${n} \`${text}\`: ${unmatchedReason(s.argv)}`);
      continue;
    }
    for (const d of matches) d.replaces = [...(d.replaces ?? []), { n, text }];
  }
  return steps;
}

function finish(d: Draft, phase: Step["phase"]): Step {
  const { keys: _keys, ...rest } = d;
  return { phase, ...rest };
}

function uniqueIds(steps: Step[]): Step[] {
  const seen = new Map<string, number>();
  for (const s of steps) {
    const n = seen.get(s.id) ?? 0;
    seen.set(s.id, n + 1);
    if (n > 0) s.id = `${s.id}#${n + 1}`;
  }
  return steps;
}
