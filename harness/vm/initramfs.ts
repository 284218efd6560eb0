/**
 * The VM's initramfs: busybox, the few modules needed to reach the host's root over 9p,
 * and init.sh as /init. Everything else (tc, node, the project) comes from the host's root.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type CpioEntry, cpioNewc } from "./cpio.ts";
import { loadOrder, moduleName, parseModulesDep } from "./modules.ts";

/** The modules /init loads: the virtio PCI transport, 9p over virtio, and overlayfs. */
export const BOOT_MODULES = ["virtio_pci", "9pnet_virtio", "9p", "overlay"];

export const INIT_SCRIPT = new URL("./init.sh", import.meta.url).pathname;
export const BUSYBOX = "/bin/busybox";
/** Bump when initramfsEntries changes what goes into the archive: cached ones are rebuilt. */
const LAYOUT = 1;

export interface InitramfsInput {
  /** The kernel's /lib/modules/<ver> directory, with a modules.dep. */
  modulesDir: string;
  /** A statically linked busybox (it runs before any library is reachable). */
  busybox?: string;
  initScript?: string;
}

/**
 * A fingerprint of everything the initramfs is built from: when init.sh or busybox
 * changes, the cached initramfs is rebuilt (the kernel is not).
 */
export function initramfsFingerprint(input: InitramfsInput): string {
  const h = createHash("sha256");
  h.update(readFileSync(input.initScript ?? INIT_SCRIPT));
  h.update(readFileSync(input.busybox ?? BUSYBOX));
  h.update(`${LAYOUT}:${BOOT_MODULES.join(",")}`);
  return h.digest("hex").slice(0, 16);
}

export function initramfsEntries(input: InitramfsInput): CpioEntry[] {
  const deps = parseModulesDep(readFileSync(join(input.modulesDir, "modules.dep"), "utf8"));
  // A kernel that builds some of them in lists those in modules.builtin: nothing to load.
  const builtinFile = join(input.modulesDir, "modules.builtin");
  const builtin = new Set(existsSync(builtinFile) ? readFileSync(builtinFile, "utf8").split("\n").map(moduleName) : []);
  const order = loadOrder(
    deps,
    BOOT_MODULES.filter((m) => !builtin.has(m)),
  );
  const base = (p: string) => p.slice(p.lastIndexOf("/") + 1);
  const entries: CpioEntry[] = [
    { kind: "dir", path: "dev" },
    // The kernel opens /dev/console for init's stdin, stdout and stderr before init runs.
    { kind: "chardev", path: "dev/console", major: 5, minor: 1 },
    { kind: "dir", path: "bin" },
    { kind: "file", path: "bin/busybox", data: readFileSync(input.busybox ?? BUSYBOX), mode: 0o755 },
    { kind: "file", path: "init", data: readFileSync(input.initScript ?? INIT_SCRIPT), mode: 0o755 },
    { kind: "dir", path: "modules" },
    { kind: "file", path: "modules/load-order", data: Buffer.from(`${order.map(base).join("\n")}\n`) },
  ];
  for (const path of order) {
    entries.push({ kind: "file", path: `modules/${base(path)}`, data: readFileSync(join(input.modulesDir, path)) });
  }
  return entries;
}

/** Write the initramfs to `out` (atomically: a reader never sees half a file). */
export function buildInitramfs(input: InitramfsInput, out: string): void {
  const tmp = `${out}.tmp-${process.pid}`;
  writeFileSync(tmp, cpioNewc(initramfsEntries(input)));
  renameSync(tmp, out);
}
