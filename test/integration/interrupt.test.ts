/**
 * Interruptions and `natlab clean` beside a live run:
 *   - Ctrl-C during setup stops setup and says "interrupted", not that a step failed;
 *   - `natlab clean` during a live run removes nothing of it.
 */

import { existsSync } from "node:fs";
import test from "ava";
import { recordPath } from "../../harness/exec/owner.ts";
import { writeChainLab } from "./chain.ts";
import { namespacesOfRun, natlab, runIdOf } from "./helpers.ts";

test("Ctrl-C during setup stops setup, says interrupted and leaves nothing", async (t) => {
  // 30 namespaces: a setup of a few hundred steps, long enough to be interrupted in the middle.
  const lab = writeChainLab(30, "interrupted");
  let runId: string | undefined;
  let sent = false;
  let during = 0;
  const r = await natlab(["run", lab], {
    onOutput: () => {},
    onSpawn: (child) => {
      void (async () => {
        runId = await runIdOf(child.pid);
        if (!runId) return;
        // Once the first namespaces exist, setup is under way.
        while (runId && namespacesOfRun(runId).length < 3 && child.exitCode === null)
          await new Promise((res) => setTimeout(res, 10));
        during = namespacesOfRun(runId).length;
        sent = true;
        child.kill("SIGINT");
      })();
    },
  });
  t.true(sent, r.out);
  t.true(during >= 3, "the interrupt came during setup");
  t.is(r.code, 130, r.out);
  t.regex(r.out, /interrupted during setup, before step \d+\/\d+/, r.out);
  t.notRegex(r.out, /setup failed/, r.out);
  t.notRegex(r.out, /setup \d+\/\d+ steps/, "setup did not run to its end");
  if (!runId) return;
  t.deepEqual(namespacesOfRun(runId), []);
  t.false(existsSync(recordPath(runId)));
});

test("natlab clean during a live run removes nothing of it", async (t) => {
  let runId: string | undefined;
  let clean: { code: number; out: string } | undefined;
  let after: string[] = [];
  const r = await natlab(["run", "test/fixtures/labs/slow.yaml"], {
    onSpawn: (child) => {
      void (async () => {
        runId = await runIdOf(child.pid);
        if (!runId) return;
        while (namespacesOfRun(runId).length < 2 && child.exitCode === null)
          await new Promise((res) => setTimeout(res, 20));
        const before = namespacesOfRun(runId);
        clean = await natlab(["clean"]);
        after = namespacesOfRun(runId);
        t.deepEqual(after, before, "clean left the live run's namespaces");
        child.kill("SIGINT");
      })();
    },
  });
  t.truthy(clean, r.out);
  t.is(clean?.code, 0, clean?.out);
  t.regex(
    clean?.out ?? "",
    new RegExp(`kept 2 namespace\\(s\\): run ${runId} \\(lab slow, natlab run pid \\d+\\) is still running`),
  );
  t.is(after.length, 2);
  t.is(r.code, 130, r.out);
  if (runId) t.deepEqual(namespacesOfRun(runId), []);
});
