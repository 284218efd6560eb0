/**
 * The two designs side by side. That every lab in labs/ passes is the
 * parallel test's to show (test/integration/parallel.test.ts: all labs with
 * -j 3, twice at once), which on two cores takes less time than one lab after
 * another did; the article lab has its own test too (article.test.ts).
 */
import { join } from "node:path";
import test from "ava";
import { natlab, runDirs } from "./helpers.ts";

test.serial("the NAT66 design's conntrack table stands beside the NAT44 design's", async (t) => {
  const r = await natlab(["run", "-j", "2", "labs/nat44-design.yaml", "labs/nat66-nat64.yaml", "--filter", "ping"]);
  t.is(r.code, 0, r.out);
  const dir = runDirs(r.out)["nat66-nat64"];
  t.regex(r.out, /conntrack side by side: results\/nat66-nat64\/[0-9a-f]{6}\/compare-nat44-design\.md/);
  const { readFileSync } = await import("node:fs");
  const md = readFileSync(join(dir, "compare-nat44-design.md"), "utf8");
  t.regex(
    md,
    /\| ping \(offloads on\) \| `ipv6 icmpv6 2001:db8:d0be:f00d::2 → 64:ff9b:1:fffe::cb00:7101, reply 64:ff9b:1:fffe::cb00:7101 → 64:ff9b:1:fffe::c633:6401`/,
  );
  t.regex(md, /`ipv4 icmp 192\.168\.255\.2 → 203\.0\.113\.1, reply 203\.0\.113\.1 → 198\.51\.100\.1`/);
});
