/**
 * Checks a schema-valid lab for what a schema cannot say: names that refer
 * to each other (namespaces, devices, flows), addresses that must parse, and
 * MACs that must differ. Each problem carries the data path of the offending
 * value, so load.ts can give its line and column.
 */
import { isIP } from "node:net";
import type { Packet } from "../packet/layers.ts";
import type { Lab } from "./schema.ts";
import { type DataPath, formatPath, type Problem } from "./where.ts";

/** Prefix lengths RFC 6052 section 2.2 allows for an IPv4-embedded IPv6 prefix. */
const NAT64_PREFIX_LENGTHS = [32, 40, 48, 56, 64, 96];

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
    if (first) return add(path, `device \`${dev}\` is defined twice in namespace \`${ns}\` (first at ${formatPath(first)})`);
    devs.set(dev, path);
  };
  const checkNs = (ns: string, path: DataPath) => {
    if (!known(ns)) add(path, `no namespace \`${ns}\` in this lab (namespaces: ${nsList})`);
  };

  lab.links.forEach((link, i) => {
    for (const end of ["a", "b"] as const) {
      const e = link[end];
      checkNs(e.ns, ["links", i, end, "ns"]);
      defineDev(e.ns, e.dev, ["links", i, end, "dev"]);
      e.addresses.forEach((a, k) => {
        checkCidr(a, ["links", i, end, "addresses", k], add);
      });
    }
    if (link.a.mac && link.b.mac && link.a.mac.toLowerCase() === link.b.mac.toLowerCase()) {
      add(["links", i, "b", "mac"], `both ends of this link have MAC ${link.b.mac}; give each end its own`);
    }
  });
  for (const [ns, n] of Object.entries(lab.namespaces)) {
    n.devices.forEach((d, i) => {
      defineDev(ns, d.name, ["namespaces", ns, "devices", i, "name"]);
      d.addresses.forEach((a, k) => {
        checkCidr(a, ["namespaces", ns, "devices", i, "addresses", k], add);
      });
    });
  }

  const checkLocalDev = (ns: string, dev: string, path: DataPath) => {
    const devs = devices.get(ns);
    if (devs && dev !== "lo" && !devs.has(dev)) {
      add(path, `no device \`${dev}\` in namespace \`${ns}\` (devices: ${[...devs.keys()].join(", ") || "none"})`);
    }
  };
  const checkNsDev = (ref: string, path: DataPath) => {
    const [ns, dev] = ref.split(":");
    if (!known(ns)) return add(path, `no namespace \`${ns}\` in this lab (namespaces: ${nsList})`);
    checkLocalDev(ns, dev, path);
  };

  for (const [ns, n] of Object.entries(lab.namespaces)) {
    const base: DataPath = ["namespaces", ns];
    n.routes.forEach((r, i) => {
      const p = [...base, "routes", i];
      if (r.dev) checkLocalDev(ns, r.dev, [...p, "dev"]);
      let family = r.family ? Number(r.family) : 0;
      if (r.to === "default") {
        if (!r.via && !r.family) add([...p, "to"], "a default route needs `via` or `family` (4 or 6) to say which family it is for");
      } else if (r.to.includes("/")) {
        family = checkCidr(r.to, [...p, "to"], add) || family;
      } else {
        family = checkIp(r.to, [...p, "to"], add) || family;
      }
      if (r.via) {
        const viaFamily = checkIp(r.via, [...p, "via"], add);
        // An IPv4 route via an IPv6 next hop is valid (RFC 5549, `via inet6`), so only IPv6-via-IPv4 is refused.
        if (family === 6 && viaFamily === 4) add([...p, "via"], `an IPv6 route cannot go via the IPv4 address ${r.via}`);
      }
      if (r.src) checkIp(r.src, [...p, "src"], add);
    });
    n.neighbours.forEach((nb, i) => {
      checkLocalDev(ns, nb.dev, [...base, "neighbours", i, "dev"]);
      checkIp(nb.addr, [...base, "neighbours", i, "addr"], add);
    });
  }

  lab.bpf.forEach((b, i) => {
    checkNsDev(b.dev, ["bpf", i, "dev"]);
    if (b.prefix) {
      const p: DataPath = ["bpf", i, "prefix"];
      const family = checkCidr(b.prefix, p, add);
      const len = Number(b.prefix.split("/")[1]);
      if (family === 4) add(p, "the NAT64 prefix must be IPv6");
      else if (family === 6 && !NAT64_PREFIX_LENGTHS.includes(len)) {
        add(p, `a NAT64 prefix is /32, /40, /48, /56, /64 or /96 (RFC 6052 section 2.2), got /${len}`);
      }
    }
  });

  const serviceNames = new Set(lab.services.map((s) => s.name));
  lab.services.forEach((s, i) => {
    checkNs(s.ns, ["services", i, "ns"]);
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
      for (const field of ["to", "from", "bind"]) {
        if (typeof spec[field] === "string") checkIp(spec[field] as string, [...rp, field], add);
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
    });
    f.conntrack.forEach((c, k) => {
      checkNs(c.ns, [...fp, "conntrack", k, "ns"]);
      for (const dir of ["orig", "reply"] as const) {
        for (const end of ["src", "dst"] as const) {
          const v = c[dir]?.[end];
          if (v) checkIp(v, [...fp, "conntrack", k, dir, end], add);
        }
      }
    });
    f.kernelCounters.forEach((c, k) => {
      if (c.ns !== "all") checkNs(c.ns, [...fp, "kernelCounters", k, "ns"]);
    });
    f.stats.forEach((s, k) => {
      checkNsDev(s.dev, [...fp, "stats", k, "dev"]);
    });
  });

  lab.literal?.steps.forEach((s, i) => {
    checkNs(s.ns, ["literal", "steps", i, "ns"]);
  });
  return problems;
}

type Add = (path: DataPath, message: string) => void;

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
