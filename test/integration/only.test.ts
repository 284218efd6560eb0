/**
 * `only: true` can fail: the article lab's crafted UDP flow expects the
 * datagram and zb's port-unreachable answer on zb, and nothing else. With the
 * second expectation taken out, the same traffic must fail the flow, naming
 * the frame nobody expected.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { natlab, ROOT } from "./helpers.ts";

test("a frame no expectation covers fails a flow that says only: true", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "natlab-only-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const lab = readFileSync(join(ROOT, "labs/article.yaml"), "utf8");
  const start = lab.indexOf('      - on: "host:zb"\n        why: >-\n          nothing listens on port 7');
  const end = lab.indexOf("    # Exactly these two packets");
  t.true(start > 0 && end > start, "found the port-unreachable expectation to remove");
  writeFileSync(join(dir, "article.yaml"), lab.slice(0, start) + lab.slice(end));

  const r = await natlab(["run", join(dir, "article.yaml"), "--filter", "crafted udp"]);
  t.log(r.out);
  t.not(r.code, 0);
  t.regex(r.out, /1 unexpected frame \(the flow says `only: true`\)/);
  t.regex(r.out, /host:zb frame \d+: IPv4 192\.168\.2\.2 > 192\.168\.2\.1 ICMP unreachable code 3/);
});
