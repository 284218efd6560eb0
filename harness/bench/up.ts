/**
 * A lab kept up while something measures through it: the same steps as
 * `natlab run` (load -> plan -> setup -> services), then the caller's
 * function instead of the flows, then the teardown, always (try/finally
 * here; the cleanup registry covers Ctrl-C and SIGTERM).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HostExecutor } from "../exec/host.ts";
import type { Background } from "../flow/process.ts";
import { startService } from "../flow/services.ts";
import { loadLab } from "../lab/load.ts";
import type { Lab } from "../lab/schema.ts";
import { detectFeatures } from "../plan/features.ts";
import { chooseVariant, type Plan, planLab } from "../plan/plan.ts";
import { newRunId } from "../run/lab.ts";

export interface LabContext {
  lab: Lab;
  plan: Plan;
  /** lab namespace name -> real namespace name (natlab-<runid>-<ns>) */
  nsOf(labNs: string): string;
  /** The run's scratch directory (removed with the lab). */
  runDir: string;
}

export interface WithLabOptions {
  root: string;
  onProgress?: (line: string) => void;
  /** Attach this translator object instead of the lab's (e.g. another build). */
  object?: string;
}

export async function withLab<T>(
  labPath: string,
  opts: WithLabOptions,
  fn: (ctx: LabContext) => Promise<T>,
): Promise<T> {
  const say = opts.onProgress ?? (() => {});
  const loaded = loadLab(labPath);
  const lab = opts.object
    ? { ...loaded, bpf: loaded.bpf.map((b) => ({ ...b, object: opts.object ?? b.object })) }
    : loaded;
  const features = detectFeatures();
  const runId = newRunId();
  const plan = planLab(lab, { runId, features, root: opts.root, variant: chooseVariant(features, undefined), labPath });
  const nsOf = (labNs: string) => plan.namespaces[labNs] ?? labNs;
  const exec = new HostExecutor(plan);
  const runDir = mkdtempSync(join(tmpdir(), `natlab-${runId}-`));
  exec.owner.addTemp(runDir);
  const services: Background[] = [];
  try {
    say(`building ${lab.name} (run ${runId}, ${plan.setup.length} steps)`);
    await exec.setup();
    for (const svc of lab.services) {
      services.push(await startService(svc, nsOf(svc.ns), runDir, opts.root));
      say(`${lab.name}: service ${svc.name} ready`);
    }
    return await fn({ lab, plan, nsOf, runDir });
  } finally {
    for (const s of services.reverse()) await s.stop();
    await exec.teardown();
    rmSync(runDir, { recursive: true, force: true });
    say(`${lab.name}: torn down`);
  }
}
