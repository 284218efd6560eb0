/**
 * Labs that stay up, as a new user meets them on a fresh clone:
 * `natlab up labs/article.yaml`, exec a ping in it, its flows, ls, stats,
 * a `natlab run` of the same lab beside it, down; and nothing is left. And
 * what `natlab up` refuses or explains: a stale build (rebuilt), a wrong
 * --object (refused before any step), a failing step (no stack trace).
 */

import { existsSync, statSync, utimesSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { run } from "../../harness/exec/command.ts";
import { recordPath } from "../../harness/exec/owner.ts";
import { namespacesOfRun, natlab, ownerRecords, ROOT } from "./helpers.ts";

test.serial("up, exec, flows, ls, stats and down on the article lab, and nothing is left behind", async (t) => {
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
    t.deepEqual(
      namespacesOfRun(runId),
      [`natlab-${runId}-host`],
      "the up lab is still there after a run of the same lab",
    );

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

test.serial(
  "natlab up checks what natlab run checks before it builds: a stale translator rebuilt, a wrong object refused",
  async (t) => {
    // As on a fresh clone or after an edit: the translator's source newer than its object (content unchanged).
    const source = join(ROOT, "bpf/nat64.c");
    const object = join(ROOT, "bpf/nat64.o");
    const later = new Date(Date.now() + 2000);
    utimesSync(source, later, later);
    // An object without the lab's sections (the foreign fixture translator's are xlat64 and xlat46).
    await run(["make", "-s", "-C", join(ROOT, "test/fixtures/foreign")]);
    const r = await natlab(["up", "labs/article.yaml", "--object", "test/fixtures/foreign/siit96.o"]);
    t.is(r.code, 1, r.out);
    t.regex(r.out, /rebuilding \(make -C bpf\)/, "the stale build is rebuilt first");
    t.true(statSync(object).mtimeMs >= later.getTime() - 1000, "nat64.o was rebuilt");
    t.regex(
      r.out,
      /^labs\/article\.yaml:\d+:\d+: bpf\[0\]\.section: --object \S+siit96\.o has no program section `4to6`/m,
    );
    t.notRegex(r.out, /is up|setup step|Error:/, "refused before any step, without a stack trace");
    const mine = [...ownerRecords().values()].filter(
      (x) => x.labPath === join(ROOT, "labs/article.yaml") && x.kind === "up",
    );
    t.deepEqual(
      mine.map((x) => x.runId),
      [],
      "no lab of this tree was left up",
    );
  },
);

test.serial(
  "natlab up with a step that fails: the step, its command and output, no stack trace, nothing left",
  async (t) => {
    const r = await natlab(["up", "test/fixtures/labs/bad-setup.yaml"]);
    t.is(r.code, 1, r.out);
    t.regex(r.out, /^natlab: setup step \d+\/\d+ failed: nftables ruleset for `left`/m);
    t.regex(r.out, /nft -f -` exited with 1:\n.*syntax error/);
    t.notRegex(r.out, /^\s+at /m, "no stack trace: the failure is explained, not a bug");
    const runId = /natlab-([0-9a-f]{6})-left/.exec(r.out)?.[1];
    if (!runId) return t.fail(r.out);
    t.deepEqual(namespacesOfRun(runId), [], "the namespaces built before the failure are removed");
    t.false(existsSync(recordPath(runId)), "no owner record is left");
  },
);
