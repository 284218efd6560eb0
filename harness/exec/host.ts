/**
 * The host executor: runs a plan's steps on this machine, each in its lab
 * namespace, and guarantees the teardown. Before the first step it writes the
 * owner record (what the plan will make, see owner.ts) and registers the
 * teardown with the cleanup registry, so a failed step, a thrown error,
 * Ctrl-C or SIGTERM all leave no namespace behind, and a SIGKILL leaves a
 * record the next natlab command sweeps with the very same teardown.
 */
import { Failure } from "../errors.ts";
import type { Plan, Step } from "../plan/plan.ts";
import { interrupted, onCleanup } from "./cleanup.ts";
import { CommandError, run } from "./command.ts";
import { Owner, type OwnerRecord, setCurrentOwner } from "./owner.ts";
import { teardownOwned } from "./sweep.ts";

export interface StepEvent {
  index: number;
  total: number;
  step: Step;
}

export class StepFailed extends Failure {
  constructor(
    readonly step: Step,
    readonly index: number,
    readonly total: number,
    override readonly cause: CommandError,
  ) {
    super(`setup step ${index + 1}/${total} failed: ${step.why}\n  ${cause.message}`);
  }
}

/** Setup stopped because the user interrupted it (Ctrl-C, SIGTERM), not because a step failed. */
export class Interrupted extends Failure {
  constructor(
    readonly index: number,
    readonly total: number,
  ) {
    super(`interrupted during setup, before step ${index + 1}/${total}`);
  }
}

/** What the owner record says besides the plan: the kind of owner, the lab file, what `ls` shows. */
export type OwnerInfo = Pick<OwnerRecord, "kind"> &
  Partial<Omit<OwnerRecord, "runId" | "lab" | "namespaces" | "teardown">>;

export class HostExecutor {
  private unregister?: () => void;
  private tornDown = false;
  private stopping = false;
  private inflight?: Promise<unknown>;
  readonly owner: Owner;

  constructor(
    readonly plan: Plan,
    info: OwnerInfo = { kind: "run" },
  ) {
    this.owner = new Owner({
      ...info,
      runId: plan.runId,
      lab: plan.lab,
      namespaces: Object.values(plan.namespaces),
      teardown: plan.teardown.map((s) => ({ argv: s.argv, ns: s.ns })),
    });
    setCurrentOwner(this.owner);
    this.unregister = onCleanup(`lab ${plan.lab} (run ${plan.runId})`, () => this.teardown());
  }

  /** Runs the setup steps in order; on any failure the caller still owns teardown(). */
  async setup(onStep: (e: StepEvent) => void = () => {}): Promise<void> {
    const steps = this.plan.setup;
    for (let i = 0; i < steps.length; i++) await this.runStep(i, onStep);
  }

  /** Runs one setup step (index i of the plan); `natlab step` calls it step by step. */
  async runStep(i: number, onStep: (e: StepEvent) => void = () => {}): Promise<void> {
    const steps = this.plan.setup;
    const step = steps[i];
    // Interrupted: stop here rather than run into namespaces the teardown is removing.
    if (this.stopping || interrupted()) throw new Interrupted(i, steps.length);
    this.inflight = run(step.argv, { ns: step.ns, stdin: step.stdin, allowFail: step.ignoreFailure, timeoutSec: 60 });
    try {
      await this.inflight;
    } catch (err) {
      if (this.stopping || interrupted()) throw new Interrupted(i, steps.length);
      if (err instanceof CommandError) throw new StepFailed(step, i, steps.length, err);
      throw err;
    } finally {
      this.inflight = undefined;
    }
    onStep({ index: i, total: steps.length, step });
  }

  /** The lab stays up after this process: no teardown at exit, and the record says it is kept. */
  release(): void {
    this.unregister?.();
    this.tornDown = true;
    this.owner.markUp();
  }

  /** Kills what still runs in the lab's namespaces, then deletes them, and the record. Safe to call twice. */
  async teardown(): Promise<void> {
    if (this.tornDown) return;
    this.tornDown = true;
    this.stopping = true;
    this.unregister?.();
    // A step still running (say `ip netns add`) would make its thing after the teardown removed it.
    await this.inflight?.catch(() => {});
    await teardownOwned(this.owner.record);
    this.owner.remove();
    setCurrentOwner(undefined);
  }
}
