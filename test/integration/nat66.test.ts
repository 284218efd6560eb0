/**
 * The nat66-nat64 lab depends on its NAT66 rule: without it, the client's
 * source 2001:db8:d0be:f00d::2 is not in the NAT64 prefix, 6to4 passes the
 * packet on untranslated, and the lab must fail, saying which expectation
 * broke (the IPv4 packets that never reach the server, the conntrack entry
 * that is not there).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { natlab, ROOT } from "./helpers.ts";

test("nat66-nat64 without its NAT66 rule fails, naming the broken expectations", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "natlab-nonat66-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(ROOT, "labs/nat66-nat64.yaml"), join(dir, "nat66-nat64.yaml"));
  const nft = readFileSync(join(ROOT, "labs/nat66.nft"), "utf8");
  const withoutRule = nft.replace(
    /^.*snat to.*$/m,
    "    # (the NAT66 rule is removed by test/integration/nat66.test.ts)",
  );
  t.not(withoutRule, nft, "the test found the NAT66 rule to remove");
  writeFileSync(join(dir, "nat66.nft"), withoutRule);

  const r = await natlab(["run", join(dir, "nat66-nat64.yaml"), "--filter", "ping"]);
  t.log(r.out);
  t.not(r.code, 0, "the lab must fail without NAT66");
  t.regex(r.out, /✗ ping/);
  t.regex(r.out, /expect\[\d+\] on server:eth0/, "the failure names the expectation on the server's link");
  t.regex(r.out, /wanted at least \d+ matching, got 0/);
  t.regex(r.out, /conntrack in router: no entry with/, "the failure names the missing NAT66 conntrack entry");
});
