/**
 * What the running kernel offers for attaching the translator. The write-up's
 * steps need sch_prio, cls_matchall, act_bpf and act_csum ("literal"); every
 * kernel with sch_ingress and cls_bpf can run the clsact variant instead.
 *
 * Read from the kernel's own config (/proc/config.gz), else the distribution's
 * copy in /boot, else the module lists in /lib/modules (built-in or loadable).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { release } from "node:os";
import { gunzipSync } from "node:zlib";
import { UsageError } from "../errors.ts";

export interface Features {
  /** `uname -r` */
  kernel: string;
  /** sch_ingress: gives the `ingress` and `clsact` qdiscs */
  clsact: boolean;
  clsBpf: boolean;
  prio: boolean;
  matchall: boolean;
  actBpf: boolean;
  actCsum: boolean;
  /** the dummy netdevice driver (labs' `type: dummy` devices; a tun stands in without it) */
  dummy: boolean;
  /** where the answers came from, e.g. "/proc/config.gz" */
  source: string;
}

type Flag = "clsact" | "clsBpf" | "prio" | "matchall" | "actBpf" | "actCsum" | "dummy";

/** Each feature: its kernel config option and its module name. */
export const FEATURE_OPTIONS: Record<Flag, { config: string; module: string }> = {
  clsact: { config: "CONFIG_NET_SCH_INGRESS", module: "sch_ingress" },
  clsBpf: { config: "CONFIG_NET_CLS_BPF", module: "cls_bpf" },
  prio: { config: "CONFIG_NET_SCH_PRIO", module: "sch_prio" },
  matchall: { config: "CONFIG_NET_CLS_MATCHALL", module: "cls_matchall" },
  actBpf: { config: "CONFIG_NET_ACT_BPF", module: "act_bpf" },
  actCsum: { config: "CONFIG_NET_ACT_CSUM", module: "act_csum" },
  dummy: { config: "CONFIG_DUMMY", module: "dummy" },
};

const FLAGS = Object.keys(FEATURE_OPTIONS) as Flag[];

/** Features from kernel config text (`=y` built in, `=m` a module: both usable). */
export function featuresFromConfig(text: string, kernel = "unknown", source = "config"): Features {
  const set = new Set<string>();
  for (const line of text.split("\n")) {
    const m = /^(CONFIG_[A-Z0-9_]+)=([ym])\s*$/.exec(line);
    if (m) set.add(m[1]);
  }
  return withFlags(kernel, source, (f) => set.has(FEATURE_OPTIONS[f].config));
}

/** Features from module lists: modules.builtin and modules.dep name `kernel/net/sched/act_bpf.ko[.xz]`. */
export function featuresFromModules(lists: string, kernel = "unknown", source = "modules"): Features {
  const names = new Set<string>();
  for (const m of lists.matchAll(/([a-z0-9_-]+)\.ko(?:\.[a-z]+)?\b/g)) names.add(m[1].replace(/-/g, "_"));
  return withFlags(kernel, source, (f) => names.has(FEATURE_OPTIONS[f].module));
}

function withFlags(kernel: string, source: string, has: (f: Flag) => boolean): Features {
  const flags = Object.fromEntries(FLAGS.map((f) => [f, has(f)])) as Record<Flag, boolean>;
  return { kernel, ...flags, source };
}

export function detectFeatures(): Features {
  // uname -r, without running it.
  const kernel = release();
  if (existsSync("/proc/config.gz")) {
    return featuresFromConfig(gunzipSync(readFileSync("/proc/config.gz")).toString("utf8"), kernel, "/proc/config.gz");
  }
  const boot = `/boot/config-${kernel}`;
  if (existsSync(boot)) return featuresFromConfig(readFileSync(boot, "utf8"), kernel, boot);
  const dir = `/lib/modules/${kernel}`;
  const lists = ["modules.builtin", "modules.dep"].map((f) => `${dir}/${f}`).filter((f) => existsSync(f));
  if (lists.length > 0) {
    return featuresFromModules(lists.map((f) => readFileSync(f, "utf8")).join("\n"), kernel, lists.join(" + "));
  }
  // Nothing to read: assume only what every kernel that runs BPF at all has.
  const found = existsSync("/lib/modules") ? readdirSync("/lib/modules").join(", ") : "none";
  return {
    ...withFlags(
      kernel,
      `nothing readable (no /proc/config.gz, ${boot} or ${dir}; /lib/modules has: ${found})`,
      () => false,
    ),
    clsact: true,
    clsBpf: true,
  };
}

/** Modules the write-up's literal steps need that this kernel lacks. */
export function missingForLiteral(f: Features): string[] {
  const need: Flag[] = ["prio", "matchall", "actBpf", "actCsum", "clsact"];
  return need.filter((k) => !f[k]).map((k) => FEATURE_OPTIONS[k].module);
}

export type Variant = "clsact" | "literal";

/**
 * clsact unless literal is asked for; literal only when the kernel has what
 * it needs (sch_prio, cls_matchall, act_bpf, act_csum, sch_ingress).
 */
export function chooseVariant(f: Features, requested?: Variant): Variant {
  if (requested !== "literal") {
    if (!f.clsact || !f.clsBpf) {
      const missing = [!f.clsact && "sch_ingress", !f.clsBpf && "cls_bpf"].filter(Boolean).join(", ");
      throw new UsageError(
        `kernel ${f.kernel} lacks ${missing} (read from ${f.source}): the translator cannot be attached with tc`,
      );
    }
    return "clsact";
  }
  const missing = missingForLiteral(f);
  if (missing.length > 0) {
    throw new UsageError(
      `the literal variant needs ${missing.join(", ")}, which kernel ${f.kernel} lacks (read from ${f.source}); ` +
        "use the clsact variant, or boot a kernel that has them (e.g. Debian's linux-image-amd64 under qemu)",
    );
  }
  return "literal";
}

/**
 * The variant a lab runs with when none is asked for: the write-up's literal
 * steps where the lab has them (a `literal` block) and the kernel has what they
 * need, clsact everywhere else.
 */
export function defaultVariant(f: Features, hasLiteralSteps: boolean): Variant {
  return hasLiteralSteps && missingForLiteral(f).length === 0 ? "literal" : "clsact";
}

/** One line for headers: "6.18.44: clsact cls_bpf; no sch_prio cls_matchall act_bpf act_csum (from /proc/config.gz)". */
export function describeFeatures(f: Features): string {
  const has = FLAGS.filter((k) => f[k]).map((k) => (k === "clsact" ? "sch_ingress/clsact" : FEATURE_OPTIONS[k].module));
  const lacks = FLAGS.filter((k) => !f[k]).map((k) => FEATURE_OPTIONS[k].module);
  return `${f.kernel}: has ${has.join(" ") || "nothing"}${lacks.length ? `; lacks ${lacks.join(" ")}` : ""} (from ${f.source})`;
}
