/**
 * Everything `natlab run` can check before it builds anything: every lab
 * file (all problems of all files at once), the --prefix and --object flags
 * by the same rules as a lab's own `prefix:` and `object:`, a --filter that
 * matches nothing, the translator build, and the files each lab names (BPF
 * objects and their sections, nftables files) at their file:line.
 */
import { resolve } from "node:path";
import { ensureBuilt } from "../bpf/fresh.ts";
import { UsageError } from "../errors.ts";
import { nat64PrefixProblem } from "../lab/check.ts";
import { LabError, type LabProblem, loadLab } from "../lab/load.ts";
import { programSections } from "../lab/objects.ts";
import type { Lab } from "../lab/schema.ts";

export interface PreflightOptions {
  root: string;
  object?: string;
  prefix?: string;
  filter?: string;
  note(text: string): void;
}

/** Loads every file, collecting the problems of all of them; throws one LabError listing them all. */
function loadAll(files: string[], load: (file: string) => Lab): Lab[] {
  const problems: LabProblem[] = [];
  const labs: Lab[] = [];
  for (const f of files) {
    try {
      labs.push(load(f));
    } catch (err) {
      if (!(err instanceof LabError)) throw err;
      problems.push(...err.problems);
    }
  }
  if (problems.length) throw new LabError(files.join(", "), problems);
  return labs;
}

/** The labs that have a flow matching `filter` (all of them without one). */
export function labsMatching(files: string[], labs: Lab[], filter?: string): string[] {
  return files.filter((_, i) => !filter || labs[i].flows.some((f) => f.name.includes(filter)));
}

/**
 * Checks what a run needs, in the order that costs least; returns the lab
 * files to run (those with a flow the filter matches).
 */
export async function preflight(files: string[], opts: PreflightOptions): Promise<string[]> {
  if (opts.prefix !== undefined) {
    const problem = nat64PrefixProblem(opts.prefix);
    if (problem) throw new UsageError(`--prefix ${opts.prefix}: ${problem}`);
  }
  // The objects the labs name are checked against the build they will run with.
  await ensureBuilt(opts.note);
  if (opts.object !== undefined) {
    const found = programSections(resolve(opts.object));
    if ("problem" in found) throw new UsageError(`--object ${opts.object}: ${found.problem}`);
  }
  const labs = loadAll(files, (f) => loadLab(f, { files: { root: opts.root, object: opts.object } }));
  const selected = labsMatching(files, labs, opts.filter);
  if (selected.length === 0) {
    const names = labs.flatMap((l) => l.flows.map((f) => `"${f.name}"`)).slice(0, 12);
    throw new UsageError(
      `--filter "${opts.filter}" matches no flow (flows: ${names.join(", ")}${names.length === 12 ? ", ..." : ""})`,
    );
  }
  return selected;
}
