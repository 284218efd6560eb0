/**
 * Checks a schema-valid lab for what a schema cannot say: names that refer
 * to each other (namespaces, devices, flows), addresses that must parse, and
 * MACs that must differ. Each problem carries the data path of the offending
 * value, so load.ts can give its line and column.
 */
import { isIP } from "node:net";
import type { Packet } from "../packet/layers.ts";
import { parsePrefix } from "../packet/prefix.ts";
import { suggest } from "./issues.ts";
import type { Flow, Lab } from "./schema.ts";
import { type DataPath, formatPath, type Problem } from "./where.ts";

/** Prefix lengths RFC 6052 section 2.2 allows for an IPv4-embedded IPv6 prefix. */
const NAT64_PREFIX_LENGTHS = [32, 40, 48, 56, 64, 96];

/** The smallest MTU IPv6 allows on a link (RFC 8200 section 5). */
const IPV6_MIN_MTU = 1280;

/**
 * What is wrong with a NAT64 prefix, or undefined. The one rule for a lab's
 * `prefix:` and for `--prefix` on the command line, so both say the same.
 */
export function nat64PrefixProblem(prefix: string): string | undefined {
  const problems: string[] = [];
  const family = checkCidr(prefix, [], (_p, m) => problems.push(m));
  if (!family) return problems[0];
  const len = Number(prefix.split("/")[1]);
  if (family === 4) return "the NAT64 prefix must be IPv6";
  if (!NAT64_PREFIX_LENGTHS.includes(len))
    return `a NAT64 prefix is /32, /40, /48, /56, /64 or /96 (RFC 6052 section 2.2), got /${len}`;
  try {
    parsePrefix(prefix);
  } catch (err) {
    // The u-octet and the bits past the length: parsePrefix words them, with the prefix meant.
    return (err as Error).message.replace(/^prefix "[^"]*": /, "");
  }
  return undefined;
}

export function checkLab(lab: Lab): Problem[] {
  const problems: Problem[] = [];
  const add = (path: DataPath, message: string): void => {
    problems.push({ path, message });
  };
  const nsNames = Object.keys(lab.namespaces);
  const known = (ns: string) => lab.namespaces[ns] !== undefined;
  const nsList = nsNames.join(", ") || "(none)";

  // Devices, and duplicates within one namespace.
  const devices = new Map<string, Map<string, DataPath>>();
  for (const ns of nsNames) devices.set(ns, new Map());
  const defineDev = (ns: string, dev: string, path: DataPath) => {
    const devs = devices.get(ns);
    if (!devs) return;
    if (dev === "lo") return add(path, `\`lo\` already exists in every namespace; give this device another name`);
    const first = devs.get(dev);
    if (first)
      return add(path, `device \`${dev}\` is defined twice in namespace \`${ns}\` (first at ${formatPath(first)})`);
    devs.set(dev, path);
  };
  const checkNs = (ns: string, path: DataPath) => {
    if (!known(ns)) add(path, `no namespace \`${ns}\` in this lab (namespaces: ${nsList})${suggest(ns, nsNames)}`);
  };

  // An IPv6 address needs IPv6 on its device, and a link that can carry 1280 bytes.
  const checkIpv6Device = (
    ns: string,
    dev: string,
    family: number,
    path: DataPath,
    mtu?: { value: number; path: DataPath },
  ) => {
    if (family !== 6) return;
    const off = ipv6Disabled(lab, ns, dev);
    if (off)
      add(path, `namespace \`${ns}\` disables IPv6 (sysctl ${off}: 1), so \`${dev}\` cannot hold an IPv6 address`);
    else if (mtu && mtu.value < IPV6_MIN_MTU) {
      add(
        mtu.path,
        `MTU ${mtu.value} is below ${IPV6_MIN_MTU}, the least IPv6 allows (RFC 8200 section 5), and ${ns}:${dev} has an IPv6 address`,
      );
    }
  };

  lab.links.forEach((link, i) => {
    for (const end of ["a", "b"] as const) {
      const e = link[end];
      checkNs(e.ns, ["links", i, end, "ns"]);
      defineDev(e.ns, e.dev, ["links", i, end, "dev"]);
      const mtu =
        e.mtu !== undefined
          ? { value: e.mtu, path: ["links", i, end, "mtu"] }
          : link.mtu !== undefined
            ? { value: link.mtu, path: ["links", i, "mtu"] }
            : undefined;
      let v6Reported = false;
      e.addresses.forEach((a, k) => {
        const family = checkCidr(a, ["links", i, end, "addresses", k], add);
        if (!v6Reported) checkIpv6Device(e.ns, e.dev, family, ["links", i, end, "addresses", k], mtu);
        v6Reported ||= family === 6;
      });
    }
    if (link.a.mac && link.b.mac && link.a.mac.toLowerCase() === link.b.mac.toLowerCase()) {
      add(["links", i, "b", "mac"], `both ends of this link have MAC ${link.b.mac}; give each end its own`);
    }
  });
  for (const [ns, n] of Object.entries(lab.namespaces)) {
    n.devices.forEach((d, i) => {
      const p: DataPath = ["namespaces", ns, "devices", i];
      defineDev(ns, d.name, [...p, "name"]);
      const mtu = d.mtu === undefined ? undefined : { value: d.mtu, path: [...p, "mtu"] };
      let v6Reported = false;
      d.addresses.forEach((a, k) => {
        const family = checkCidr(a, [...p, "addresses", k], add);
        if (!v6Reported) checkIpv6Device(ns, d.name, family, [...p, "addresses", k], mtu);
        v6Reported ||= family === 6;
      });
    });
  }

  const checkLocalDev = (ns: string, dev: string, path: DataPath) => {
    const devs = devices.get(ns);
    if (devs && dev !== "lo" && !devs.has(dev)) {
      add(
        path,
        `no device \`${dev}\` in namespace \`${ns}\` (devices: ${[...devs.keys()].join(", ") || "none"})${suggest(dev, [...devs.keys()])}`,
      );
    }
  };
  const checkNsDev = (ref: string, path: DataPath) => {
    const [ns, dev] = ref.split(":");
    if (!known(ns))
      return add(path, `no namespace \`${ns}\` in this lab (namespaces: ${nsList})${suggest(ns, nsNames)}`);
    checkLocalDev(ns, dev, path);
  };

  for (const [ns, n] of Object.entries(lab.namespaces)) {
    const base: DataPath = ["namespaces", ns];
    n.routes.forEach((r, i) => {
      const p = [...base, "routes", i];
      if (r.dev) checkLocalDev(ns, r.dev, [...p, "dev"]);
      let family = r.family ? Number(r.family) : 0;
      if (r.to === "default") {
        if (!r.via && !r.family)
          add([...p, "to"], "a default route needs `via` or `family` (4 or 6) to say which family it is for");
      } else if (r.to.includes("/")) {
        family = checkCidr(r.to, [...p, "to"], add) || family;
      } else {
        family = checkIp(r.to, [...p, "to"], add) || family;
      }
      if (r.via) {
        const viaFamily = checkIp(r.via, [...p, "via"], add);
        // An IPv4 route via an IPv6 next hop is valid (RFC 5549, `via inet6`), so only IPv6-via-IPv4 is refused.
        if (family === 6 && viaFamily === 4)
          add([...p, "via"], `an IPv6 route cannot go via the IPv4 address ${r.via}`);
      }
      if (r.src) {
        const srcFamily = checkIp(r.src, [...p, "src"], add);
        if (family && srcFamily && srcFamily !== family)
          add([...p, "src"], `an IPv${family} route cannot have the IPv${srcFamily} source ${r.src}`);
      }
      const off = family === 6 ? ipv6Disabled(lab, ns, r.dev) : undefined;
      if (off) add([...p, "to"], `namespace \`${ns}\` disables IPv6 (sysctl ${off}: 1): it cannot have an IPv6 route`);
    });
    n.neighbours.forEach((nb, i) => {
      checkLocalDev(ns, nb.dev, [...base, "neighbours", i, "dev"]);
      const family = checkIp(nb.addr, [...base, "neighbours", i, "addr"], add);
      const off = family === 6 ? ipv6Disabled(lab, ns, nb.dev) : undefined;
      if (off)
        add(
          [...base, "neighbours", i, "addr"],
          `namespace \`${ns}\` disables IPv6 (sysctl ${off}: 1): it cannot have an IPv6 neighbour`,
        );
    });
  }

  const hooks = new Map<string, number>();
  lab.bpf.forEach((b, i) => {
    checkNsDev(b.dev, ["bpf", i, "dev"]);
    const problem = b.prefix === undefined ? undefined : nat64PrefixProblem(b.prefix);
    if (problem) add(["bpf", i, "prefix"], problem);
    // With direct action, the first program's verdict ends the hook: a second one never sees what the first accepts.
    const first = hooks.get(`${b.dev} ${b.hook}`);
    if (first !== undefined)
      add(
        ["bpf", i, "hook"],
        `${b.dev} ${b.hook} already has a program (bpf[${first}]); one program per device and hook`,
      );
    else hooks.set(`${b.dev} ${b.hook}`, i);
  });

  const serviceNames = new Set(lab.services.map((s) => s.name));
  const services = new Map<string, number>();
  lab.services.forEach((s, i) => {
    checkNs(s.ns, ["services", i, "ns"]);
    const first = services.get(s.name);
    if (first !== undefined)
      add(["services", i, "name"], `service name \`${s.name}\` is already used by services[${first}]`);
    else services.set(s.name, i);
  });

  const flowNames = new Map<string, number>();
  lab.flows.forEach((f, i) => {
    const fp: DataPath = ["flows", i];
    const first = flowNames.get(f.name);
    if (first !== undefined) add([...fp, "name"], `flow name \`${f.name}\` is already used by flows[${first}]`);
    else flowNames.set(f.name, i);

    if (f.run) {
      const [kind, spec] = Object.entries(f.run)[0] as [string, Record<string, unknown>];
      const rp: DataPath = [...fp, "run", kind];
      const ns = spec.ns as string;
      checkNs(ns, [...rp, "ns"]);
      const families: Record<string, number> = {};
      for (const field of ["to", "from", "bind"]) {
        if (typeof spec[field] === "string") families[field] = checkIp(spec[field] as string, [...rp, field], add);
      }
      // `bind` is the server's own address, which may be of the other family (the translated side); `from` is the sender's.
      if (families.from && families.to && families.from !== families.to) {
        add(
          [...rp, "from"],
          `a ping to the IPv${families.to} address ${spec.to} cannot come from the IPv${families.from} address ${spec.from}`,
        );
      }
      if (typeof spec.dev === "string" && known(ns)) checkLocalDev(ns, spec.dev, [...rp, "dev"]);
      if (typeof spec.server === "string" && !known(spec.server) && !serviceNames.has(spec.server)) {
        add([...rp, "server"], `no namespace or service \`${spec.server}\` in this lab (namespaces: ${nsList})`);
      }
    }
    if (f.inject) {
      checkNsDev(f.inject.dev, [...fp, "inject", "dev"]);
      checkPacket(f.inject.packet, [...fp, "inject", "packet"], add);
    }
    f.capture.forEach((c, k) => {
      checkNsDev(c, [...fp, "capture", k]);
    });
    f.expect.forEach((e, k) => {
      checkNsDev(e.on, [...fp, "expect", k, "on"]);
      checkPacket(e.packet, [...fp, "expect", k, "packet"], add);
      if (e.offloads !== undefined && !f.offloads.includes(e.offloads)) {
        add(
          [...fp, "expect", k, "offloads"],
          `this expectation applies only with offloads ${e.offloads}, and the flow runs only with offloads ${f.offloads.join(" and ")}: it would never be checked (add ${e.offloads} to the flow's \`offloads\`, or remove this line)`,
        );
      }
      if (isStream(f) && !certainOnStream(e.count)) add([...fp, "expect", k, "count"], STREAM_COUNT);
    });
    f.conntrack.forEach((c, k) => {
      checkNs(c.ns, [...fp, "conntrack", k, "ns"]);
      for (const dir of ["orig", "reply"] as const) {
        for (const end of ["src", "dst"] as const) {
          const v = c[dir]?.[end];
          const family = v ? checkIp(v, [...fp, "conntrack", k, dir, end], add) : 0;
          const want = c.family === "ipv4" ? 4 : c.family === "ipv6" ? 6 : 0;
          if (v && family && want && family !== want)
            add(
              [...fp, "conntrack", k, dir, end],
              `\`${v}\` is not an IPv${want} address, and this entry is of family ${c.family}`,
            );
        }
      }
    });
    f.kernelCounters.forEach((c, k) => {
      if (c.ns !== "all") checkNs(c.ns, [...fp, "kernelCounters", k, "ns"]);
    });
    f.stats.forEach((s, k) => {
      checkNsDev(s.dev, [...fp, "stats", k, "dev"]);
      for (const [name, count] of Object.entries(s.counters)) {
        if (isStream(f) && !certainOnStream(count)) add([...fp, "stats", k, "counters", name], STREAM_COUNT);
      }
    });
  });

  lab.literal?.steps.forEach((s, i) => {
    checkNs(s.ns, ["literal", "steps", i, "ns"]);
  });
  return problems;
}

type Add = (path: DataPath, message: string) => void;

/** The sysctl that turns IPv6 off for `dev` in `ns`, if one does (all, default, or the device's own). */
function ipv6Disabled(lab: Lab, ns: string, dev?: string): string | undefined {
  const sysctls = lab.namespaces[ns]?.sysctls ?? {};
  const keys = ["all", "default", ...(dev ? [dev] : [])].map((d) => `net.ipv6.conf.${d}.disable_ipv6`);
  return keys.find((k) => String(sysctls[k] ?? sysctls[k.replaceAll(".", "/")] ?? "0") === "1");
}

/** A TCP stream: how many segments it takes depends on the stack's batching, not on the translator. */
function isStream(f: Flow): boolean {
  return f.run !== undefined && "tcp" in f.run;
}

const STREAM_COUNT =
  'how many segments a TCP stream takes depends on how the stack batched them (GSO, GRO, timing), not on the translator: count ">=1" or 0 ' +
  "here; the traffic helper already checks every byte (labs/README.md, What an expectation may count)";

/** Counts that hold on every run of a stream: at least one, or none. */
function certainOnStream(count: number | string): boolean {
  const m = /^(>=|<=|==|>|<)?(\d+)$/.exec(String(count).trim());
  if (!m) return true; // the schema reports malformed counts
  const [op, n] = [m[1] ?? "==", Number(m[2])];
  return (op === ">=" && n <= 1) || (op === ">" && n === 0) || (op === "==" && n === 0);
}

/** Checks an address; returns its family (4 or 6), or 0 when it does not parse. */
function checkIp(addr: string, path: DataPath, add: Add): number {
  const family = isIP(addr);
  if (!family) add(path, `\`${addr}\` is not an IPv4 or IPv6 address`);
  return family;
}

/** Checks ADDRESS/LENGTH; returns the family, or 0. */
function checkCidr(cidr: string, path: DataPath, add: Add): number {
  const [addr, len] = cidr.split("/");
  const family = isIP(addr);
  if (!family) {
    add(path, `\`${addr}\` in \`${cidr}\` is not an IPv4 or IPv6 address`);
    return 0;
  }
  const max = family === 4 ? 32 : 128;
  if (len === undefined || !/^\d+$/.test(len) || Number(len) > max) {
    add(path, `the prefix length of \`${cidr}\` must be 0 to ${max}`);
    return 0;
  }
  return family;
}

/** Addresses inside packet layers must parse too: a typo there would only show as a failed match. */
function checkPacket(packet: Packet, path: DataPath, add: Add): void {
  packet.forEach((layer, i) => {
    const [name, fields] = Object.entries(layer)[0] as [string, Record<string, unknown>];
    const lp: DataPath = [...path, i, name];
    const want = name === "ipv4" || name === "icmp" ? 4 : name === "ipv6" ? 6 : 0;
    for (const field of ["src", "dst", "gw"]) {
      const v = fields[field];
      if (typeof v !== "string" || !want) continue;
      if (isIP(v) !== want) add([...lp, field], `\`${v}\` is not an IPv${want} address`);
    }
    if (name === "routing" && Array.isArray(fields.addresses)) {
      fields.addresses.forEach((a: unknown, k: number) => {
        if (typeof a === "string" && isIP(a) !== 6) add([...lp, "addresses", k], `\`${a}\` is not an IPv6 address`);
      });
    }
  });
}
