/**
 * Kernel module dependencies, read from a modules.dep file (as written by depmod):
 * one line per module, `kernel/path/a.ko: kernel/path/b.ko kernel/path/c.ko`, listing every
 * module it needs, directly or not.
 */

/** Module path (relative to /lib/modules/<ver>) to the paths it depends on. */
export type ModuleDeps = Map<string, string[]>;

export function parseModulesDep(text: string): ModuleDeps {
  const deps: ModuleDeps = new Map();
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const rest = line.slice(colon + 1).trim();
    deps.set(line.slice(0, colon).trim(), rest ? rest.split(/\s+/) : []);
  }
  return deps;
}

/** A module's name as modprobe takes it: file name without .ko, '-' and '_' alike. */
export function moduleName(path: string): string {
  const base = path.slice(path.lastIndexOf("/") + 1);
  return base.replace(/\.ko(\.(xz|gz|zst))?$/, "").replaceAll("-", "_");
}

/** The path of a module given by name, or undefined when the kernel has no such module. */
export function modulePath(deps: ModuleDeps, name: string): string | undefined {
  const want = name.replaceAll("-", "_");
  for (const path of deps.keys()) if (moduleName(path) === want) return path;
  return undefined;
}

/**
 * Module paths to insmod, one after the other, so that each finds what it needs already
 * loaded: dependencies first, every module once. Throws naming a module the kernel lacks.
 */
export function loadOrder(deps: ModuleDeps, names: string[]): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (path: string, wantedBy: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    const needs = deps.get(path);
    if (!needs) throw new Error(`modules.dep has no entry for ${path} (needed by ${wantedBy})`);
    for (const dep of needs) visit(dep, path);
    order.push(path);
  };
  for (const name of names) {
    const path = modulePath(deps, name);
    if (!path) throw new Error(`no module named ${name} in modules.dep`);
    visit(path, name);
  }
  return order;
}
