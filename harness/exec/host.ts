/**
 * The host executor: runs a plan's steps on this machine, each in its lab
 * namespace, and guarantees the teardown. Before the first step it registers
 * the teardown with the cleanup registry, so a failed step, a thrown error,
 * Ctrl-C or SIGTERM all leave no namespace behind.
 */
import type { Plan, Step } from "../plan/plan.ts";
import { onCleanup } from "./cleanup.ts";
import { CommandError, run } from "./command.ts";
import { removeNamespace } from "./netns.ts";

export interface StepEvent {
  index: number;
  total: number;
  step: Step;
}

export class StepFailed extends Error {
  constructor(
    readonly step: Step,
    readonly index: number,
    readonly total: number,
    override readonly cause: CommandError,
  ) {
    super(`setup step ${index + 1}/${total} failed: ${step.why}\n  ${cause.message}`);
  }
}

export class HostExecutor {
  private unregister?: () => void;
  private tornDown = false;

  constructor(readonly plan: Plan) {}

  /** Runs the setup steps in order; on any failure the caller still owns teardown(). */
  async setup(onStep: (e: StepEvent) => void = () => {}): Promise<void> {
    this.unregister = onCleanup(`lab ${this.plan.lab} (run ${this.plan.runId})`, () => this.teardown());
    const steps = this.plan.setup;
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i];
      try {
        await run(step.argv, { ns: step.ns, stdin: step.stdin, allowFail: step.ignoreFailure, timeoutSec: 60 });
      } catch (err) {
        if (err instanceof CommandError) throw new StepFailed(step, i, steps.length, err);
        throw err;
      }
      onStep({ index: i, total: steps.length, step });
    }
  }

  /** Kills what still runs in the lab's namespaces, then deletes them. Safe to call twice. */
  async teardown(): Promise<void> {
    if (this.tornDown) return;
    this.tornDown = true;
    this.unregister?.();
    for (const step of this.plan.teardown) {
      await run(step.argv, { ns: step.ns, stdin: step.stdin, allowFail: true, timeoutSec: 30 }).catch(() => {});
    }
    // Belt and braces: whatever the teardown steps did, no namespace of this run survives.
    for (const ns of Object.values(this.plan.namespaces)) await removeNamespace(ns);
  }
}
