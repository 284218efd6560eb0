/**
 * Removing what an owner made, from its record: the one teardown natlab has.
 * A run's own teardown, `natlab down`, `natlab clean` and the sweep every
 * natlab command starts with all go through teardownOwned().
 *
 * The sweep takes only what a record lists, and only when its owner is gone
 * (a dead process; an `up` lab is never swept). A namespace named natlab-*
 * with no record (made by an older natlab, or by hand) is left alone: only
 * `natlab clean --force` removes those, and says so.
 */
import { existsSync, readdirSync, renameSync, rmdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { run } from "./command.ts";
import { killNamespacePids, natlabNamespaces, removeNamespace } from "./netns.ts";
import { isAlive, OWNER_DIR, type OwnerRecord, ownerLive, processStartTime, readRecords } from "./owner.ts";

export interface Removed {
  namespaces: string[];
  processes: string[];
  pins: string[];
  temp: string[];
  tracefs: string[];
}

/** Removes a tracefs instance; tracefs refuses (EBUSY) while a reader holds its trace_pipe open. */
export function removeTraceInstance(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
}

/** Stops a recorded process: SIGTERM, then SIGKILL if it is still there; never a newer process with the same pid. */
async function stopProcess(pid: number, startTime: string): Promise<boolean> {
  if (!isAlive(pid, startTime)) return false;
  for (const signal of ["SIGTERM", "SIGKILL"] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return true; // gone between the check and the signal
    }
    for (let i = 0; i < 20 && isAlive(pid, startTime); i++) await new Promise((r) => setTimeout(r, 25));
    if (!isAlive(pid, startTime)) return true;
  }
  return true;
}

/**
 * Takes down what a record lists: its processes, then the processes left in
 * its namespaces (a namespace lives on while a process holds it), the plan's
 * teardown steps, any namespace those did not remove, pins, temporary files.
 */
export async function teardownOwned(r: OwnerRecord): Promise<Removed> {
  const removed: Removed = { namespaces: [], processes: [], pins: [], temp: [], tracefs: [] };
  for (const p of [...r.processes].reverse()) {
    if (p.pid !== process.pid && (await stopProcess(p.pid, p.startTime)))
      removed.processes.push(`${p.what} (pid ${p.pid})`);
  }
  const present = new Set(natlabNamespaces());
  const mine = r.namespaces.filter((ns) => present.has(ns));
  // First what still runs inside: `ip netns del` would leave it holding a namespace nobody can name.
  for (const ns of mine) {
    const n = await killNamespacePids(ns);
    if (n) removed.processes.push(`${n} in ${ns}`);
  }
  for (const step of r.teardown) {
    // A step naming a namespace runs in it; a namespace already gone has nothing to undo.
    if (step.ns && !present.has(step.ns)) continue;
    await run(step.argv, { ns: step.ns, allowFail: true, timeoutSec: 30 }).catch(() => {});
  }
  // Belt and braces: whatever the steps did, no namespace of this owner survives, nor a process in one.
  for (const ns of mine) {
    await removeNamespace(ns);
    removed.namespaces.push(ns);
  }
  for (const pin of r.pins) {
    if (!existsSync(pin)) continue;
    rmSync(pin, { recursive: true, force: true });
    removed.pins.push(pin);
  }
  for (const t of r.temp) {
    if (!existsSync(t)) continue;
    rmSync(t, { recursive: true, force: true });
    removed.temp.push(t);
  }
  // A tracefs instance goes with rmdir (its files are the kernel's), once its reader above is stopped.
  for (const dir of r.tracefs ?? []) {
    if (existsSync(dir) && removeTraceInstance(dir)) removed.tracefs.push(dir);
  }
  return removed;
}

/** "1 namespace, 2 processes (tcpdump on host:za, trace_pipe reader)" */
export function describeRemoved(x: Removed): string {
  const n = (k: number, one: string, many: string) => `${k} ${k === 1 ? one : many}`;
  const parts = [n(x.namespaces.length, "namespace", "namespaces")];
  if (x.processes.length) parts.push(`${n(x.processes.length, "process", "processes")} (${x.processes.join(", ")})`);
  if (x.pins.length) parts.push(n(x.pins.length, "bpffs pin", "bpffs pins"));
  if (x.temp.length) parts.push(n(x.temp.length, "temporary directory", "temporary directories"));
  if (x.tracefs.length) parts.push(n(x.tracefs.length, "tracefs instance", "tracefs instances"));
  return parts.join(", ");
}

/** Why an owner's things may go: its process is gone (or was replaced under the same pid). */
function deathReason(r: OwnerRecord): string {
  const what = r.kind === "up" ? "natlab up/step" : `natlab ${r.kind}`;
  return processStartTime(r.pid) === undefined
    ? `${what} pid ${r.pid} is no longer running`
    : `${what} pid ${r.pid} ended (the pid now belongs to another process)`;
}

export interface Swept {
  record: OwnerRecord;
  why: string;
  removed: Removed;
}

/**
 * Takes a record for tearing down, by renaming it to name this process: a
 * second natlab finds it taken, and if this one dies half way the sweep
 * finds the claim of a dead process and finishes the job. Undefined when
 * another process took it first.
 */
export function claimRecord(file: string): string | undefined {
  const claimed = `${file.replace(/\.sweep-\d+-\d+$/, "")}.sweep-${process.pid}-${processStartTime(process.pid) ?? 0}`;
  try {
    renameSync(file, claimed);
    return claimed;
  } catch {
    return undefined;
  }
}

/**
 * Removes what dead owners left. A record is claimed by renaming it first, so
 * two natlab commands starting at once never tear the same things down twice.
 */
export async function sweepDead(dir = OWNER_DIR): Promise<Swept[]> {
  const out: Swept[] = [];
  for (const { file, record } of readRecords(dir)) {
    // A record a dead sweeper had claimed is swept again; an unclaimed one only when its owner is gone.
    const claimedBefore = !file.endsWith(".json");
    if (!claimedBefore && ownerLive(record)) continue;
    const claimed = claimRecord(file);
    if (!claimed) continue; // another natlab claimed it first
    const why = deathReason(record);
    const removed = await teardownOwned(record);
    rmSync(claimed, { force: true });
    out.push({ record, why, removed });
  }
  // Half-written records of writers that died mid-write.
  for (const name of safeList(dir)) {
    const m = /\.tmp-(\d+)$/.exec(name);
    if (m && processStartTime(Number(m[1])) === undefined) rmSync(join(dir, name), { force: true });
  }
  return out;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

const TRACE_INSTANCES = "/sys/kernel/tracing/instances";

/**
 * tracefs instances named natlab-<run-id> that no owner record names: a run
 * records its instance before making it and removes it before its record, so
 * these were left by a sweep of a natlab that did not know of instances (or
 * whose rmdir failed). One a reader still holds open refuses rmdir and stays.
 */
export function sweepTraceInstances(dir = OWNER_DIR): string[] {
  const names = safeList(TRACE_INSTANCES).filter((n) => n.startsWith("natlab-"));
  if (!names.length) return [];
  // Every record, claimed ones too: an instance of a run being swept is that sweep's business.
  const owned = new Set(safeList(dir).map((f) => `natlab-${f.replace(/\.json.*$/, "")}`));
  return names.filter((n) => !owned.has(n) && removeTraceInstance(join(TRACE_INSTANCES, n)));
}

/** One line per swept owner, as every natlab command prints it. */
export function sweptLine(s: Swept): string {
  return `removed what run ${s.record.runId} (lab ${s.record.lab}) left behind: ${describeRemoved(s.removed)}; ${s.why}`;
}

/** natlab-* namespaces that no record names at all (an older natlab's, or made by hand). */
export function unownedNamespaces(dir = OWNER_DIR): string[] {
  const owned = new Set(readRecords(dir).flatMap((x) => x.record.namespaces));
  return natlabNamespaces().filter((ns) => !owned.has(ns));
}

/** Commands natlab runs as a part of another natlab (a plan step, a VM worker): their parent swept already. */
const NO_SWEEP = new Set(["bpf-config", "matrix-worker", "clean"]);

/**
 * What every natlab command does first: remove what dead owners left, one
 * line each. Without root there is nothing it could remove, so it is quiet.
 */
export async function sweepBeforeCommand(cmd: string | undefined, log: (line: string) => void): Promise<void> {
  if (cmd === undefined || NO_SWEEP.has(cmd) || process.getuid?.() !== 0 || !existsSync(OWNER_DIR)) return;
  // The SIGKILL test's knock-out (test/integration/sigkill.test.ts): without the sweep, that test must fail.
  if (process.env.NATLAB_TEST_KNOCKOUT === "sweep") return;
  for (const s of await sweepDead()) log(sweptLine(s));
  const instances = sweepTraceInstances();
  if (instances.length)
    log(`removed ${instances.length} tracefs instance(s) that no owner record names: ${instances.join(" ")}`);
}

/**
 * `natlab clean`: dead owners' things, with what and why; live runs and up
 * labs are named and kept; namespaces no record names are reported, and
 * removed only with --force.
 */
export async function clean(opts: { force: boolean }, log: (line: string) => void): Promise<void> {
  const swept = await sweepDead();
  for (const s of swept) log(sweptLine(s));
  const instances = sweepTraceInstances();
  if (instances.length)
    log(`removed ${instances.length} tracefs instance(s) that no owner record names: ${instances.join(" ")}`);
  for (const { record: r } of readRecords()) {
    if (!ownerLive(r)) continue;
    const what =
      r.kind === "up"
        ? `lab ${r.lab} is up (run ${r.runId}): \`natlab down ${r.lab}\` removes it`
        : `run ${r.runId} (lab ${r.lab}, natlab ${r.kind} pid ${r.pid}) is still running`;
    log(`kept ${r.namespaces.length} namespace(s): ${what}`);
  }
  const orphans = unownedNamespaces();
  if (orphans.length && !opts.force) {
    log(
      `left alone ${orphans.length} natlab namespace(s) that no owner record names (made by an older natlab, or by hand; ` +
        `they may belong to a run in progress): ${orphans.join(" ")}. \`natlab clean --force\` removes them`,
    );
  } else if (orphans.length) {
    for (const ns of orphans) await removeNamespace(ns);
    log(`removed ${orphans.length} namespace(s) that no owner record names (--force): ${orphans.join(" ")}`);
  }
  if (!swept.length && !orphans.length && !instances.length)
    log("nothing left over: no dead natlab run's namespaces, processes, pins or files");
}
