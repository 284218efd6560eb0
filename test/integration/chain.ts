/**
 * A generated lab: N namespaces in a chain n0 - n1 - ... - n(N-1), one veth
 * and one IPv6 /64 per hop, forwarding in the middle, host routes both ways,
 * and one flow: a ping from n0 to the far end. Written as JSON (a subset of
 * YAML) into a temporary file, so it goes through loadLab like any lab.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The /64 of hop i: 2001:db8:<i>::/64. */
const hop = (i: number) => `2001:db8:${i.toString(16)}::`;

export function chainLab(n: number, name = `chain${n}`): object {
  const src = `${hop(0)}1`;
  const dst = `${hop(n - 2)}2`;
  const namespaces: Record<string, object> = {};
  for (let i = 0; i < n; i++) {
    const routes = [];
    if (i < n - 1) routes.push({ to: `${dst}/128`, via: `${hop(i)}2` });
    if (i > 0) routes.push({ to: `${src}/128`, via: `${hop(i - 1)}1` });
    const middle = i > 0 && i < n - 1;
    namespaces[`n${i}`] = { sysctls: middle ? { "net.ipv6.conf.all.forwarding": 1 } : {}, routes };
  }
  const links = [];
  for (let i = 0; i < n - 1; i++) {
    links.push({
      a: { ns: `n${i}`, dev: "e1", addresses: [`${hop(i)}1/64`] },
      b: { ns: `n${i + 1}`, dev: "e0", addresses: [`${hop(i)}2/64`] },
    });
  }
  return {
    name,
    description: `${n} namespaces in a chain: a ping crosses ${n - 2} routers`,
    namespaces,
    links,
    flows: [{ name: `ping across ${n - 1} hops`, run: { ping: { ns: "n0", to: dst, count: 1 } } }],
  };
}

/** The chain lab as a file; returns its path. */
export function writeChainLab(n: number, name?: string): string {
  const dir = mkdtempSync(join(tmpdir(), "natlab-test-chain-"));
  const file = join(dir, `${name ?? `chain${n}`}.yaml`);
  writeFileSync(file, `${JSON.stringify(chainLab(n, name), null, 1)}\n`);
  return file;
}
