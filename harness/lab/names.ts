/**
 * A lab on the command line is a file (`labs/article.yaml`) or a name
 * (`article`, the file's base name under labs/). This turns either into a
 * path, so every command that takes labs accepts both.
 */
import { existsSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { UsageError } from "../errors.ts";

/** Every labs/*.yaml under root, sorted, as paths relative to the working directory. */
export function allLabFiles(root: string): string[] {
  const dir = join(root, "labs");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => relative(process.cwd(), join(dir, f)));
}

/** The file a lab argument names: an existing path as given, else labs/NAME.yaml; a usage error otherwise. */
export function labPath(arg: string, root: string): string {
  if (existsSync(arg)) return arg;
  const named = join(root, "labs", arg.endsWith(".yaml") ? arg : `${arg}.yaml`);
  // A path that does not exist is the lab loader's to report (file:line:col), not a name to look up.
  if (arg.includes("/") && !existsSync(named)) return arg;
  if (existsSync(named)) return relative(process.cwd(), named);
  const known = allLabFiles(root).map((f) => f.replace(/^.*\//, "").replace(/\.yaml$/, ""));
  throw new UsageError(`no lab file or lab named ${arg}: give a lab file, or one of ${known.join(", ")}`);
}

/** The files a list of lab arguments names; every labs/*.yaml when the list is empty. */
export function labPaths(args: string[], root: string): string[] {
  return args.length ? args.map((a) => labPath(a, root)) : allLabFiles(root);
}
