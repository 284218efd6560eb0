/**
 * Nothing is left after a SIGKILL: natlab is killed at 20 random moments
 * (five each during setup, flows, teardown and `natlab up`); after the next
 * natlab command, none of those runs' namespaces, processes, pins, temporary
 * files, tracefs instances or owner records is left. Counted by the run ids
 * this test started, as other labs may run beside it.
 *
 * The kills go five at a time, a new natlab starting as soon as one is
 * killed (most of the time is node starting natlab, on two cores); a
 * natlab that starts after a kill sweeps that run already, which is the very
 * thing under test. Then one more command, `natlab ls`, and the checks.
 *
 * Knock-out: NATLAB_TEST_KNOCKOUT=sweep makes natlab skip its sweep (read
 * only by harness/exec/sweep.ts, for this test); the test must then fail.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import test from "ava";
import { namespacePids } from "../../harness/exec/netns.ts";
import { isAlive, OWNER_DIR, type OwnerRecord, processStartTime } from "../../harness/exec/owner.ts";
import { mapLimit } from "../../harness/run/pool.ts";
import { NATLAB, namespacesOfRun, natlab, ownerRecords, ROOT, runIdOf } from "./helpers.ts";

const LAB = "test/fixtures/labs/killed.yaml";
type Phase = "setup" | "flows" | "teardown" | "up";
const PHASES: Phase[] = ["setup", "flows", "teardown", "up"];

interface Killed {
  phase: Phase;
  runId: string;
  /** What existed right after the kill: the record, namespaces, processes (pid, start time). */
  record?: OwnerRecord;
  namespaces: string[];
  processes: { pid: number; start: string }[];
  instances: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const random = (ms: number) => Math.floor(Math.random() * ms);

/** Polls every 5 ms until cond() holds or the child exits; true when cond held. */
async function until(child: ChildProcess, cond: () => boolean): Promise<boolean> {
  while (child.exitCode === null && child.signalCode === null) {
    if (cond()) return true;
    await sleep(5);
  }
  return false;
}

/**
 * Starts natlab and kills it with SIGKILL at a random moment of `phase`.
 * Undefined when it ended before the kill came (an `up` that finished
 * building first): the caller takes that lab down and tries again.
 */
async function killAt(phase: Phase): Promise<Killed | undefined> {
  const child = spawn(NATLAB, phase === "up" ? ["up", LAB] : ["run", LAB], { cwd: ROOT, stdio: "ignore" });
  const exited = new Promise((r) => child.on("exit", r));
  // A generous bound: a loaded machine starts node slowly.
  const runId = await runIdOf(child.pid, 120_000);
  if (!runId) {
    child.kill("SIGKILL");
    throw new Error(`natlab ${phase === "up" ? "up" : "run"} (pid ${child.pid}) wrote no owner record in 120 s`);
  }
  const rec = () => ownerRecords().get(runId);
  const has = (what: (p: string) => boolean) => () => (rec()?.processes ?? []).some((p) => what(p.what));
  if (phase === "setup" || phase === "up") {
    // Setup takes some 13 steps of a few ms each: kill within its first 100 ms.
    await until(child, () => namespacesOfRun(runId).length > 0);
    await sleep(random(100));
  } else if (phase === "flows") {
    // The flow (ping -c 3) takes two seconds once its captures run.
    await until(
      child,
      has((w) => w.startsWith("tcpdump")),
    );
    await sleep(random(1000));
  } else {
    // Teardown begins once the flows are over and the trace_pipe reader is stopped.
    await until(
      child,
      has((w) => w.startsWith("tcpdump")),
    );
    await until(child, () => !has((w) => w === "trace_pipe reader")());
    await sleep(random(40));
  }
  if (child.exitCode !== null) {
    await natlab(["down", runId]);
    return undefined;
  }
  child.kill("SIGKILL");
  await exited;
  if (phase === "up" && rec()?.ready) {
    // The lab was marked up before the kill landed: from then on it lives without its process, by design,
    // as if `up` had ended first. Take it down and try again.
    await natlab(["down", runId]);
    return undefined;
  }
  const namespaces = namespacesOfRun(runId);
  const record = rec();
  const processes = [
    ...(record?.processes ?? []).map((p) => ({ pid: p.pid, start: p.startTime })),
    ...(await Promise.all(namespaces.map(namespacePids)))
      .flat()
      .map((pid) => ({ pid, start: processStartTime(pid) ?? "" })),
  ].filter((p) => p.start !== "");
  const instances = (record?.tracefs ?? []).filter((d) => existsSync(d));
  return { phase, runId, record, namespaces, processes, instances };
}

test("after SIGKILL at 20 random moments, the next natlab command leaves nothing of those runs", async (t) => {
  const phases = Array.from({ length: 20 }, (_, i) => PHASES[i % 4]);
  const killed = await mapLimit(phases, 5, async (phase) => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const k = await killAt(phase);
      if (k) return k;
    }
    throw new Error(`natlab ${phase} ended three times before the kill came`);
  });
  // The next natlab command: any one sweeps first.
  const next = await natlab(["ls"]);
  t.is(next.code, 0, next.out);
  // A natlab started beside the test (anyone's) may have claimed a run: wait, bounded, for its sweep to end.
  // One of an older natlab does not know tracefs instances: the next command of this one removes them.
  const claimed = () => readdirSync(OWNER_DIR).some((f) => killed.some((k) => f.startsWith(`${k.runId}.json.sweep-`)));
  if (claimed()) {
    const deadline = Date.now() + 60_000;
    while (claimed() && Date.now() < deadline) await sleep(50);
    t.is((await natlab(["ls"])).code, 0);
  }
  for (const k of killed) {
    const what = `${k.phase} kill of run ${k.runId}`;
    t.deepEqual(namespacesOfRun(k.runId), [], `${what}: no namespace left`);
    t.deepEqual(
      k.processes.filter((p) => isAlive(p.pid, p.start)),
      [],
      `${what}: no process left`,
    );
    t.deepEqual(
      (k.record?.pins ?? []).filter((p) => existsSync(p)),
      [],
      `${what}: no pin left`,
    );
    t.deepEqual(
      (k.record?.temp ?? []).filter((p) => existsSync(p)),
      [],
      `${what}: no temporary file left`,
    );
    t.deepEqual(
      (k.record?.tracefs ?? []).filter((p) => existsSync(p)),
      [],
      `${what}: no tracefs instance left`,
    );
    t.deepEqual(
      readdirSync(OWNER_DIR).filter((f) => f.startsWith(k.runId)),
      [],
      `${what}: no owner record left`,
    );
  }
  t.is(killed.length, 20);
  for (const p of PHASES) t.is(killed.filter((k) => k.phase === p).length, 5);
  // (Which natlab swept a run is not asserted: a natlab started by someone else beside the test may sweep first.)
  // The kills did leave things for the sweep to take (else this test proves nothing).
  t.true(killed.filter((k) => k.namespaces.length > 0).length >= 10, "most kills left namespaces behind");
  t.true(
    killed.some((k) => k.processes.length > 0),
    "some kills left processes behind",
  );
  t.true(
    killed.some((k) => k.instances.length > 0),
    "some kills left a tracefs instance behind",
  );
  t.log(
    killed
      .map(
        (k) => `${k.phase}: ${k.namespaces.length} ns, ${k.processes.length} processes, ${k.instances.length} tracefs`,
      )
      .join("; "),
  );
});
