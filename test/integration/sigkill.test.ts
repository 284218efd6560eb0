/**
 * Nothing is left after a SIGKILL: natlab is killed at 20 random moments
 * (during setup, flows, teardown and `natlab up`); after the next natlab
 * command, none of those runs' namespaces, processes, pins, temporary files
 * or owner records is left. Counted by the run ids this test started, as
 * other labs may run beside it. The kills run five at a time, to keep the
 * test near a minute.
 */
import test from "ava";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { namespacePids } from "../../harness/exec/netns.ts";
import { isAlive, OWNER_DIR, type OwnerRecord, processStartTime } from "../../harness/exec/owner.ts";
import { NATLAB, namespacesOfRun, natlab, ownerRecords, ROOT, runIdOf } from "./helpers.ts";

const LAB = "test/fixtures/labs/killed.yaml";
type Phase = "setup" | "flows" | "teardown" | "up";

interface Killed {
  phase: Phase;
  runId: string;
  /** What existed right after the kill: the record, namespaces, processes (pid, start time), temp paths. */
  record?: OwnerRecord;
  namespaces: string[];
  processes: { pid: number; start: string }[];
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

async function killAt(phase: Phase): Promise<Killed | undefined> {
  const child = spawn(NATLAB, phase === "up" ? ["up", LAB] : ["run", LAB], { cwd: ROOT, stdio: "ignore" });
  const exited = new Promise((r) => child.on("exit", r));
  // A generous bound: a loaded machine starts node slowly.
  const runId = await runIdOf(child.pid, 120_000);
  if (!runId) {
    child.kill("SIGKILL");
    return undefined;
  }
  const rec = () => ownerRecords().get(runId);
  const hasTcpdump = () => (rec()?.processes ?? []).some((p) => p.what.startsWith("tcpdump"));
  if (phase === "setup" || phase === "up") {
    await until(child, () => namespacesOfRun(runId).length > 0);
    await sleep(random(150));
  } else if (phase === "flows") {
    await until(child, hasTcpdump);
    await sleep(random(1000));
  } else {
    // Teardown begins once the flows are over and the trace_pipe reader is stopped.
    await until(child, hasTcpdump);
    await until(child, () => !(rec()?.processes ?? []).some((p) => p.what === "trace_pipe reader"));
    await sleep(random(40));
  }
  child.kill("SIGKILL");
  await exited;
  const namespaces = namespacesOfRun(runId);
  const record = rec();
  const processes = [
    ...(record?.processes ?? []).map((p) => ({ pid: p.pid, start: p.startTime })),
    ...(await Promise.all(namespaces.map(namespacePids))).flat().map((pid) => ({ pid, start: processStartTime(pid) ?? "" })),
  ].filter((p) => p.start !== "");
  return { phase, runId, record, namespaces, processes };
}

test("after SIGKILL at 20 random moments, the next natlab command leaves nothing of those runs", async (t) => {
  const phases: Phase[] = ["setup", "flows", "teardown", "up"];
  const killed: Killed[] = [];
  for (let group = 0; group < 4; group++) {
    const batch = await Promise.all(Array.from({ length: 5 }, (_, i) => killAt(phases[(group * 5 + i) % 4])));
    const mine = batch.filter((k): k is Killed => k !== undefined);
    t.is(mine.length, 5, "every killed natlab had written its owner record");
    // The next natlab command: any one sweeps first.
    const next = await natlab(["ls"]);
    t.is(next.code, 0, next.out);
    for (const k of mine) {
      // A natlab started beside the test (anyone's) may have claimed the run first: wait, bounded, for its sweep to end.
      const deadline = Date.now() + 60_000;
      while (readdirSync(OWNER_DIR).some((f) => f.startsWith(`${k.runId}.json.sweep-`)) && Date.now() < deadline) await sleep(50);
      const what = `${k.phase} kill of run ${k.runId}`;
      t.deepEqual(namespacesOfRun(k.runId), [], `${what}: no namespace left`);
      t.deepEqual(k.processes.filter((p) => isAlive(p.pid, p.start)), [], `${what}: no process left`);
      t.deepEqual((k.record?.pins ?? []).filter((p) => existsSync(p)), [], `${what}: no pin left`);
      t.deepEqual((k.record?.temp ?? []).filter((p) => existsSync(p)), [], `${what}: no temporary file left`);
      t.deepEqual(readdirSync(OWNER_DIR).filter((f) => f.startsWith(k.runId)), [], `${what}: no owner record left`);
    }
    killed.push(...mine);
  }
  t.is(killed.length, 20);
  for (const p of phases) t.is(killed.filter((k) => k.phase === p).length, 5);
  // (Which natlab swept a run is not asserted: a natlab started by someone else beside the test may sweep first.)
  // The kills did leave things for the sweep to take (else this test proves nothing).
  t.true(killed.filter((k) => k.namespaces.length > 0).length >= 10, "most kills left namespaces behind");
  t.true(killed.some((k) => k.processes.length > 0), "some kills left processes behind");
  t.log(killed.map((k) => `${k.phase}: ${k.namespaces.length} ns, ${k.processes.length} processes`).join("; "));
});
