/**
 * Labs that stay up, as a new user meets them on a fresh clone:
 * `natlab up labs/article.yaml`, exec a ping in it, its flows, ls, stats,
 * a `natlab run` of the same lab beside it, down; and nothing is left.
 */
import test from "ava";
import { existsSync } from "node:fs";
import { recordPath } from "../../harness/exec/owner.ts";
import { namespacesOfRun, natlab, ownerRecords } from "./helpers.ts";

test("up, exec, flows, ls, stats and down on the article lab, and nothing is left behind", async (t) => {
  const up = await natlab(["up", "labs/article.yaml"]);
  t.is(up.code, 0, up.out);
  const runId = /lab article is up \(run ([0-9a-f]{6})/.exec(up.out)?.[1];
  if (!runId) return t.fail(`no run id in:\n${up.out}`);
  t.regex(up.out, /natlab shell article host/, "it says how to enter the lab");
  t.regex(up.out, /natlab down article/, "it says how to remove the lab");
  try {
    // The lab survived the command that built it.
    t.deepEqual(namespacesOfRun(runId), [`natlab-${runId}-host`]);
    t.is(ownerRecords().get(runId)?.kind, "up");

    const ping = await natlab(["exec", "article", "host", "--", "ping", "-c", "1", "64:ff9b:1:fffe::c0a8:202"]);
    t.is(ping.code, 0, ping.out);
    t.regex(ping.out, /1 packets transmitted, 1 received/);

    const flows = await natlab(["flows", "article"]);
    t.is(flows.code, 0, flows.out);
    t.regex(flows.out, /article: 9 passed, 0 failed, 0 skipped/, flows.out);

    const ls = await natlab(["ls"]);
    t.is(ls.code, 0, ls.out);
    const row = ls.out.split("\n").find((l) => l.includes(runId)) ?? "";
    t.regex(row, /^article\s+[0-9a-f]{6}\s+up\s+\d+m?\d*s\s+host\s+bpf\/nat64\.o 64:ff9b:1:fffe::\/96$/, ls.out);

    const stats = await natlab(["stats", "article"]);
    t.is(stats.code, 0, stats.out);
    t.regex(stats.out, /up now/);
    t.regex(stats.out, /6to4\.translated\.icmp\s+[1-9]/, "the ping and the flows went through the translator");

    // Another run of the same lab builds its own namespaces and leaves this one alone.
    const run = await natlab(["run", "labs/article.yaml", "--filter", "crafted udp"]);
    t.is(run.code, 0, run.out);
    t.deepEqual(namespacesOfRun(runId), [`natlab-${runId}-host`], "the up lab is still there after a run of the same lab");

    const wrongNs = await natlab(["exec", "article", "nowhere", "--", "true"]);
    t.is(wrongNs.code, 2);
    t.regex(wrongNs.out, /lab article has no namespace nowhere \(it has: host\)/);
  } finally {
    const down = await natlab(["down", "article"]);
    t.is(down.code, 0, down.out);
    t.regex(down.out, /lab article \(run [0-9a-f]{6}\) is down: removed 1 namespace/);
  }
  t.deepEqual(namespacesOfRun(runId), [], "no namespace of the lab is left");
  t.false(existsSync(recordPath(runId)), "no owner record is left");
  const again = await natlab(["exec", "article", "host", "--", "true"]);
  t.is(again.code, 2);
  t.regex(again.out, /lab article is not up/);
});
