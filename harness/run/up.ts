/**
 * Labs that stay up: built like a `natlab run` builds them (the same plan,
 * executor and services), then released instead of torn down. The owner
 * record (exec/owner.ts) is what keeps track of them afterwards: `ls` lists
 * the records, `exec`, `shell`, `flows` and `stats` find the namespaces
 * through them, and `down` runs the record's teardown, the one a run uses.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { HostExecutor, type StepEvent } from "../exec/host.ts";
import { type OwnerRecord, ownerLive, readRecords, recordPath } from "../exec/owner.ts";
import { claimRecord, type Removed, teardownOwned } from "../exec/sweep.ts";
import type { Background } from "../flow/process.ts";
import { startService } from "../flow/services.ts";
import { loadLab } from "../lab/load.ts";
import { labPath } from "../lab/names.ts";
import type { Step } from "../plan/plan.ts";
import { ROOT } from "../root.ts";
import { type LabRunOptions, ownerInfo, type PreparedLab, prepareLab } from "./lab.ts";
import { preflight } from "./preflight.ts";

/** A lab file from what the user typed: a path, or the name of a lab under labs/. */
export function labFileOf(arg: string): string {
  return labPath(arg, ROOT);
}

/** Labs that are up now (built, kept until `natlab down`). */
export function upLabs(): OwnerRecord[] {
  return readRecords()
    .map((x) => x.record)
    .filter((r) => r.kind === "up" && r.ready);
}

/** The up lab the user names (by lab name or lab file), or a UsageError saying which are up. */
export function findUpLab(arg: string, cmd: string): OwnerRecord {
  const name = arg.endsWith(".yaml") || arg.includes("/") ? loadLab(labFileOf(arg)).name : arg;
  const found = upLabs().filter((r) => r.lab === name || r.runId === name);
  if (found.length === 1) return found[0];
  const up = upLabs().map((r) => r.lab);
  if (found.length > 1)
    throw new UsageError(
      `natlab ${cmd}: ${found.length} labs named ${name} are up: name one by run id (${found.map((r) => r.runId).join(", ")})`,
    );
  throw new UsageError(
    `natlab ${cmd}: lab ${name} is not up (${up.length ? `up: ${up.join(", ")}` : "no lab is up"}); \`natlab up ${arg}\` builds it`,
  );
}

/** The real namespace of a lab namespace in an up lab, or a UsageError naming the lab's namespaces. */
export function namespaceOf(r: OwnerRecord, ns: string, cmd: string): string {
  const prefix = `natlab-${r.runId}-`;
  const real = `${prefix}${ns}`;
  if (r.namespaces.includes(real)) return real;
  const names = r.namespaces.map((n) => n.slice(prefix.length));
  throw new UsageError(`natlab ${cmd}: lab ${r.lab} has no namespace ${ns} (it has: ${names.join(", ")})`);
}

export interface UpHooks {
  /** Before a step runs; `natlab step` waits for Enter here. Returning false stops the build (and removes it). */
  before?(step: Step, index: number, total: number): Promise<boolean>;
  /** After a step ran. */
  after?(e: StepEvent, prepared: PreparedLab): Promise<void>;
  note?(text: string): void;
}

export interface UpResult {
  prepared: PreparedLab;
  ms: number;
  /** False when a `before` hook stopped the build: nothing is left. */
  up: boolean;
}

/**
 * Builds a lab that stays up: setup, services (their output in the lab's
 * scratch directory), then the record marks it up. A failure or Ctrl-C in
 * between removes everything, as in a run.
 */
export async function bringUp(
  labPath: string,
  opts: Pick<LabRunOptions, "root" | "variant" | "object" | "prefix">,
  hooks: UpHooks = {},
): Promise<UpResult> {
  // What natlab run checks before it builds, checked here too: the translator build (rebuilt when missing or
  // older than its sources), --object and --prefix, each object's sections and the nftables files at file:line.
  await preflight([labPath], {
    root: opts.root,
    object: opts.object,
    prefix: opts.prefix,
    note: hooks.note ?? (() => {}),
  });
  const t0 = Date.now();
  const prepared = prepareLab(labPath, opts);
  const { lab, plan, nsOf } = prepared;
  const already = upLabs().find((r) => r.lab === lab.name);
  if (already)
    throw new UsageError(
      `natlab up: lab ${lab.name} is already up (run ${already.runId}): \`natlab down ${lab.name}\` first`,
    );
  const exec = new HostExecutor(plan, { kind: "up", ready: false, ...ownerInfo(prepared, opts) });
  const runDir = mkdtempSync(join(tmpdir(), `natlab-${prepared.runId}-`));
  exec.owner.addTemp(runDir);
  const services: Background[] = [];
  try {
    for (let i = 0; i < plan.setup.length; i++) {
      if (hooks.before && !(await hooks.before(plan.setup[i], i, plan.setup.length))) {
        await exec.teardown();
        return { prepared, ms: Date.now() - t0, up: false };
      }
      await exec.runStep(i);
      await hooks.after?.({ index: i, total: plan.setup.length, step: plan.setup[i] }, prepared);
    }
    for (const svc of lab.services) {
      services.push(await startService(svc, nsOf(svc.ns), runDir, opts.root, true));
      hooks.note?.(`service ${svc.name} is ready`);
    }
  } catch (err) {
    for (const s of services.reverse()) await s.stop();
    await exec.teardown();
    rmSync(runDir, { recursive: true, force: true });
    throw err;
  }
  for (const s of services) s.keep();
  exec.release();
  return { prepared, ms: Date.now() - t0, up: true };
}

/** What `natlab up` prints: the lab is up, how to enter it, how to remove it. */
export function upMessage(p: PreparedLab, ms: number): string {
  const names = Object.keys(p.plan.namespaces);
  const ns = names[0] ?? "NS";
  const lines = [
    `lab ${p.lab.name} is up (run ${p.runId}, built in ${(ms / 1000).toFixed(2)}s): ${names.length} namespace(s): ${Object.values(p.plan.namespaces).join(" ")}`,
    `  enter it:      natlab shell ${p.lab.name} ${ns}`,
    `  run in it:     natlab exec ${p.lab.name} ${ns} -- ip -br addr`,
    `  its flows:     natlab flows ${p.lab.name}`,
    `  its counters:  natlab stats ${p.lab.name}`,
    `  remove it:     natlab down ${p.lab.name}`,
  ];
  return lines.join("\n");
}

/**
 * Takes an up lab down through its record's teardown (the one a run uses).
 * The record is claimed by a rename first, so two `down`s never race.
 */
export async function takeDown(r: OwnerRecord): Promise<Removed | undefined> {
  const claimed = claimRecord(recordPath(r.runId));
  if (!claimed) return undefined; // someone else is taking it down
  const removed = await teardownOwned(r);
  rmSync(claimed, { force: true });
  return removed;
}

/** For `ls`: every lab that is up, and every run in progress. */
export function listed(): OwnerRecord[] {
  return readRecords()
    .map((x) => x.record)
    .filter((r) => r.kind !== "flows" && ownerLive(r))
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}
