/**
 * Every lab in labs/ passes for real, through the CLI (the article lab has
 * its own test, test/integration/article.test.ts). A lab's failure output
 * is the test's log: field-level diffs, pcap paths, program output.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { natlab, ROOT, runDirs } from "./helpers.ts";

const labs = readdirSync(join(ROOT, "labs"))
  .filter((f) => f.endsWith(".yaml") && f !== "article.yaml")
  .sort();

for (const file of labs) {
  test.serial(`labs/${file} passes`, async (t) => {
    const r = await natlab(["run", `labs/${file}`]);
    t.log(r.out);
    t.is(r.code, 0, `natlab run labs/${file}`);
    t.regex(r.out, /: \d+ passed, 0 failed/);
  });
}

test.serial("the NAT66 design's conntrack table stands beside the NAT44 design's", async (t) => {
  const r = await natlab(["run", "labs/nat44-design.yaml", "labs/nat66-nat64.yaml", "--filter", "ping"]);
  t.is(r.code, 0, r.out);
  const dir = runDirs(r.out)["nat66-nat64"];
  t.regex(r.out, /conntrack side by side: results\/nat66-nat64\/[0-9a-f]{6}\/compare-nat44-design\.md/);
  const { readFileSync } = await import("node:fs");
  const md = readFileSync(join(dir, "compare-nat44-design.md"), "utf8");
  t.regex(md, /\| ping \(offloads on\) \| `ipv6 icmpv6 2001:db8:d0be:f00d::2 → 64:ff9b:1:fffe::cb00:7101, reply 64:ff9b:1:fffe::cb00:7101 → 64:ff9b:1:fffe::c633:6401`/);
  t.regex(md, /`ipv4 icmp 192\.168\.255\.2 → 203\.0\.113\.1, reply 203\.0\.113\.1 → 198\.51\.100\.1`/);
});
