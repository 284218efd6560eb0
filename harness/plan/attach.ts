/**
 * Attaching the translator: the clsact way every BPF-capable kernel offers,
 * or the write-up's literal prio/matchall/act_bpf/act_csum way.
 */
import { resolve } from "node:path";
import type { BpfAttach, Lab } from "../lab/schema.ts";
import type { Draft } from "./plan.ts";

/** BPF the way this kernel can: a clsact qdisc per device, then direct-action cls_bpf filters. */
export function clsactSteps(lab: Lab, real: (ns: string) => string, root: string, step: (s: Draft) => void): void {
  const seen = new Set<string>();
  for (const b of lab.bpf) {
    const [ns, dev] = b.dev.split(":");
    if (seen.has(b.dev)) continue;
    seen.add(b.dev);
    step({
      id: `clsact:${ns}:${dev}`,
      ns: real(ns),
      argv: ["tc", "qdisc", "add", "dev", dev, "clsact"],
      why: `clsact gives ${dev} an ingress and an egress hook for BPF (stands in for prio + ingress qdiscs)`,
      keys: [`tc-qdisc:${ns}:${dev}`],
    });
  }
  for (const b of lab.bpf) {
    const [ns, dev] = b.dev.split(":");
    step({
      id: `bpf:${ns}:${dev}:${b.hook}`,
      ns: real(ns),
      argv: ["tc", "filter", "add", "dev", dev, b.hook, "bpf", "da", "obj", resolve(root, b.object), "sec", b.section],
      why: `${b.section} at ${dev} ${b.hook}, direct action: the program's verdict is final, checksums fixed inside it`,
      keys: [`tc-filter:${ns}:${dev}:${b.section}`],
    });
  }
}

/**
 * BPF as the write-up did it (prio root qdisc, ingress qdisc, matchall +
 * act_bpf + act_csum): from the lab's `literal` block, else generated from
 * its bpf attachments.
 */
export function literalSteps(
  lab: Lab,
  real: (ns: string) => string,
  root: string,
  step: (s: Draft) => void,
  notes: string[],
): void {
  notes.push("literal variant: `action csum` runs after `action bpf` only if the program returns TC_ACT_PIPE");
  const tcSteps = lab.literal?.steps.filter(isLiteralTc);
  if (tcSteps && tcSteps.length > 0) {
    tcSteps.forEach((s, i) => {
      // Objects named relative to the project root are made absolute; the write-up's /usr/src/... stays.
      const argv = s.argv.map((a, k) => (s.argv[k - 1] === "obj" ? resolve(root, a) : a));
      const clearing = s.argv[1] === "filter" && s.argv[2] === "del";
      step({
        id: `literal:${s.ns}:${s.n ?? i}`,
        ns: real(s.ns),
        argv,
        why: `write-up step ${s.n ?? "?"}${clearing ? ": clears an earlier run's filters (none in a fresh namespace, so failure is fine)" : ", as written"}`,
        ignoreFailure: clearing || undefined,
      });
    });
    return;
  }
  const byDev = new Map<string, BpfAttach[]>();
  for (const b of lab.bpf) byDev.set(b.dev, [...(byDev.get(b.dev) ?? []), b]);
  for (const [ref, attaches] of byDev) {
    const [ns, dev] = ref.split(":");
    if (attaches.some((b) => b.hook === "egress")) {
      step({
        id: `prio:${ns}:${dev}`,
        ns: real(ns),
        argv: ["tc", "qdisc", "replace", "dev", dev, "root", "prio"],
        why: `a classful root qdisc on ${dev} to hang the egress filter on`,
      });
    }
    if (attaches.some((b) => b.hook === "ingress")) {
      step({
        id: `ingress:${ns}:${dev}`,
        ns: real(ns),
        argv: ["tc", "qdisc", "replace", "dev", dev, "ingress", "handle", "ffff:"],
        why: `the ingress qdisc on ${dev} for the ingress filter`,
      });
    }
    for (const b of attaches) {
      const parent = b.hook === "ingress" ? ["parent", "ffff:"] : [];
      step({
        id: `matchall:${ns}:${dev}:${b.hook}`,
        ns: real(ns),
        argv: [
          "tc",
          "filter",
          "add",
          "dev",
          dev,
          ...parent,
          "matchall",
          "action",
          "bpf",
          "obj",
          resolve(root, b.object),
          "sec",
          b.section,
          "action",
          "csum",
          "ip4h",
          "tcp",
          "udp",
          "icmp",
        ],
        why: `${b.section} on every packet at ${dev} ${b.hook}, then act_csum recomputes the checksums the program left`,
      });
    }
  }
}

/** A write-up tc step that builds something (not `tc -s filter show`). */
export function isLiteralTc(s: { argv: string[] }): boolean {
  return s.argv[0] === "tc" && !s.argv.includes("show");
}
