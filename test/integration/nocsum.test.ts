/**
 * The tests can fail: a translator built without its L4 checksum fix
 * (bpf/nat64-nocsum.o: nat64.c built with -DNAT64_NO_L4_CSUM_FIX) must fail
 *   - TCP and UDP with a prefix that is not checksum-neutral,
 *   - ICMP with any prefix (ICMPv6 has a pseudo-header, ICMP has none),
 * and the failure must show a field-level diff of the bad checksum.
 */
import test from "ava";
import { natlab } from "./helpers.ts";

const NOCSUM = "bpf/nat64-nocsum.o";

function flowBlock(out: string, name: string): string {
  const start = out.indexOf(`✗ ${name}`);
  if (start < 0) return "";
  const next = out.slice(start + 2).search(/\n {2}[✓✗-] /);
  return next < 0 ? out.slice(start) : out.slice(start, start + 2 + next);
}

test("without the checksum fix, the non-neutral lab fails TCP, UDP and ICMP with a checksum diff", async (t) => {
  const r = await natlab(["run", "labs/article-nonneutral.yaml", "--object", NOCSUM, "--filter", "crafted"]);
  t.log(r.out);
  t.not(r.code, 0, "the run must fail");
  for (const [flow, field] of [
    ["crafted tcp syn", "tcp.chksum"],
    ["crafted udp", "udp.chksum"],
    ["crafted icmpv6 echo", "icmp.chksum"],
  ]) {
    const block = flowBlock(r.out, flow);
    t.truthy(block, `${flow} fails`);
    t.true(block.includes(field), `${flow}'s failure names ${field}:\n${block}`);
    t.regex(block, /expected .*actual/s, `${flow}'s failure shows expected beside actual`);
  }
});

test("without the checksum fix, the neutral article lab still fails ICMP (and only ICMP)", async (t) => {
  const r = await natlab(["run", "labs/article.yaml", "--object", NOCSUM, "--filter", "crafted"]);
  t.log(r.out);
  t.not(r.code, 0);
  t.truthy(flowBlock(r.out, "crafted icmpv6 echo"), "ICMP fails with any prefix");
  t.regex(
    r.out,
    /✓ crafted tcp syn/,
    "TCP passes with the neutral prefix: that is why the default prefix hides a missing fix",
  );
  t.regex(r.out, /✓ crafted udp/);
});

test("without the checksum fix, real TCP traffic with offloads off shows bad checksums on the wire", async (t) => {
  const r = await natlab(["run", "labs/article-nonneutral.yaml", "--object", NOCSUM, "--filter", "tcp both ways"]);
  t.log(r.out);
  t.not(r.code, 0);
  t.truthy(flowBlock(r.out, "tcp both ways (offloads off)"), "the offloads-off TCP flow fails");
});
