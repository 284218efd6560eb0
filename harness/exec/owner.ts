/**
 * Owner records: every run, `up`, `step` and `flows` writes down, under
 * /run/natlab/, who it is (pid and the process's start time) and what it
 * made (namespaces, processes, bpffs pins, temporary files). SIGKILL, the
 * OOM killer or a power cut give natlab no chance to tear down; the next
 * natlab command reads these records and removes what belongs to owners that
 * are gone (see sweep.ts). /run is a tmpfs: after a reboot the records and
 * the namespaces are gone together.
 *
 * The start time (field 22 of /proc/PID/stat, in clock ticks since boot)
 * tells a live owner from a process that got its pid after it died.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const OWNER_DIR = "/run/natlab";

/** A process natlab started outside the namespaces it owns (a trace_pipe reader, a capture in an `up` lab). */
export interface OwnedProcess {
  pid: number;
  startTime: string;
  what: string;
}

export interface OwnerRecord {
  runId: string;
  /** The lab's name, as `natlab ls`, `exec` and `down` know it. */
  lab: string;
  /** The lab file, absolute: `flows` and `step` plan from it again. */
  labPath?: string;
  /** run: a `natlab run`; up: a lab that stays up (`up`, `step`); flows: flows against an up lab. */
  kind: "run" | "up" | "flows";
  /** For kind up: true once built. Then the lab has no live process and is kept until `natlab down`. */
  ready?: boolean;
  pid: number;
  startTime: string;
  createdAt: string;
  /** Real namespace names this owner made (never one it did not). */
  namespaces: string[];
  /** The plan's teardown steps, as data: `down` and the sweep run the same teardown as the run itself. */
  teardown: { argv: string[]; ns?: string }[];
  processes: OwnedProcess[];
  pins: string[];
  temp: string[];
  /** tracefs instances (directories under /sys/kernel/tracing/instances) that read its bpf_printk lines. */
  tracefs?: string[];
  results?: string;
  /** What `natlab ls` shows about the translator: object and prefix per attachment. */
  translators?: { dev: string; hook: string; object: string; prefix: string }[];
  /** How the lab was planned (for `flows` and `step` to plan it again identically). */
  variant?: string;
  overrides?: { object?: string; prefix?: string };
}

/** The start time of a process (clock ticks after boot), or undefined when it does not exist. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may hold spaces or ")": count from the last ")".
    const after = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return after[19];
  } catch {
    return undefined;
  }
}

/**
 * Whether pid is still the very process that was recorded (not a newer one
 * with a reused pid), and running: a zombie (state Z, dead and waiting for
 * its new parent, init, to reap it) is not.
 */
export function isAlive(pid: number, startTime: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const after = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return after[19] === startTime && after[0] !== "Z" && after[0] !== "X";
  } catch {
    return false;
  }
}

/** Whether an owner still holds its things: a live process, or an up lab that is built. */
export function ownerLive(r: OwnerRecord): boolean {
  if (r.kind === "up" && r.ready) return true;
  return isAlive(r.pid, r.startTime);
}

export function recordPath(runId: string, dir = OWNER_DIR): string {
  return join(dir, `${runId}.json`);
}

/** Every record, including those a sweeper claimed and did not finish (it died too). */
export function readRecords(dir = OWNER_DIR): { file: string; record: OwnerRecord }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: { file: string; record: OwnerRecord }[] = [];
  for (const name of names) {
    if (!/^[0-9a-z-]+\.json(\.sweep-\d+-\d+)?$/.test(name)) continue;
    const claim = /\.sweep-(\d+)-(\d+)$/.exec(name);
    // A sweep in progress by a live natlab is its business.
    if (claim && isAlive(Number(claim[1]), claim[2])) continue;
    try {
      out.push({ file: join(dir, name), record: JSON.parse(readFileSync(join(dir, name), "utf8")) as OwnerRecord });
    } catch {
      // Half written by an owner that died mid-write (writes go through a rename, so only a crash of the disk does this).
    }
  }
  return out;
}

/** Writes a record atomically (a reader never sees half of it). */
export function writeRecord(r: OwnerRecord, dir = OWNER_DIR): void {
  mkdirSync(dir, { recursive: true });
  const file = recordPath(r.runId, dir);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(r, null, 2)}\n`);
  renameSync(tmp, file);
}

/**
 * This process's record of what it made. The record exists before the first
 * thing it lists is made, and lists what will be made (the plan's
 * namespaces) from the start, so a kill at any moment leaves nothing unlisted.
 */
export class Owner {
  readonly record: OwnerRecord;
  private removed = false;

  constructor(
    init: Pick<OwnerRecord, "runId" | "lab" | "kind"> & Partial<OwnerRecord>,
    readonly dir = OWNER_DIR,
  ) {
    this.record = {
      namespaces: [],
      teardown: [],
      processes: [],
      pins: [],
      temp: [],
      ...init,
      pid: process.pid,
      startTime: processStartTime(process.pid) ?? "0",
      createdAt: new Date().toISOString(),
    };
    this.save();
  }

  save(): void {
    if (!this.removed) writeRecord(this.record, this.dir);
  }

  /** Note a process this owner started; returns the function that forgets it once it has ended. */
  addProcess(pid: number, what: string): () => void {
    const startTime = processStartTime(pid);
    if (startTime === undefined) return () => {};
    this.record.processes.push({ pid, startTime, what });
    this.save();
    return () => {
      this.record.processes = this.record.processes.filter((p) => !(p.pid === pid && p.startTime === startTime));
      this.save();
    };
  }

  addTemp(path: string): void {
    this.record.temp.push(path);
    this.save();
  }

  /** An up lab is built: from now on it lives without a process, until `natlab down`. */
  markUp(): void {
    this.record.ready = true;
    this.save();
  }

  /** The owner's things are gone: forget it. */
  remove(): void {
    this.removed = true;
    rmSync(recordPath(this.record.runId, this.dir), { force: true });
  }
}

/*
 * The owner of what the current piece of work starts. Per async context, not
 * per process: `natlab run -j` runs several labs in one process, and a
 * process-wide owner put one lab's tcpdump and servers in another lab's
 * record, whose teardown then killed them mid-flow.
 */
const current = new AsyncLocalStorage<Owner | undefined>();

/** The owner that processes started from here on (in this async context) are recorded under. */
export function setCurrentOwner(o: Owner | undefined): void {
  current.enterWith(o);
}

/** Runs fn in a scope of its own: an owner set inside it is seen only there (labs side by side). */
export function ownerScope<T>(fn: () => Promise<T>): Promise<T> {
  return current.run(undefined, fn);
}

/** Records a process under the current owner, if there is one; returns how to forget it. */
export function trackProcess(pid: number | undefined, what: string): () => void {
  const owner = current.getStore();
  if (!owner || pid === undefined) return () => {};
  return owner.addProcess(pid, what);
}
