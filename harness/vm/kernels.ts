/**
 * Kernels to run labs on.
 *
 *   host          this machine's kernel, no VM
 *   debian-5.10   Debian 11's newest linux-image-5.10.0-N-amd64 (bullseye)
 *   debian-6.1    Debian 12's newest linux-image-6.1.0-N-amd64 (bookworm)
 *   debian-6.12   Debian 13's newest linux-image-6.12.N+deb13-amd64 (trixie)
 *   linux-image-… any Debian kernel package of those suites (or bookworm-backports), by name
 *
 * Packages come through natlab's own apt sources and lists (apt.ts), never the system's.
 *
 * A VM kernel is prepared once and cached outside the repo, in
 * /var/cache/natlab/kernels/<name>/ (NATLAB_KERNEL_CACHE overrides the parent):
 *   vmlinuz, vmlinux (its uncompressed payload, booted directly: faster under TCG),
 *   config, lib/modules/<ver>/ (with a busybox-made modules.dep),
 *   initramfs.cpio, stamp.json (what was built from what).
 * Later calls read stamp.json and return at once; a changed init.sh or busybox rebuilds
 * only the initramfs. `refresh: true` fetches the package again (a newer 6.1 build, say).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { downloadPackage, ensureAptLists, hasCandidate, searchPackages } from "./apt.ts";
import { BUSYBOX, buildInitramfs, initramfsFingerprint } from "./initramfs.ts";
import { extractVmlinux } from "./vmlinux.ts";

export const KERNEL_CACHE = process.env.NATLAB_KERNEL_CACHE ?? "/var/cache/natlab/kernels";
/** Bumped when the cache layout changes, so old caches are rebuilt rather than misread. */
const CACHE_FORMAT = 1;

export interface PreparedKernel {
  /** The name asked for: debian-6.1 or linux-image-…. */
  name: string;
  /** The Debian package it came from. */
  package: string;
  /** `uname -r` inside the VM, e.g. 6.1.0-56-amd64. */
  version: string;
  vmlinuz: string;
  /** The image qemu boots: the uncompressed vmlinux when it could be extracted, else vmlinuz. */
  boot: string;
  /** The kernel's build configuration (config-<ver> from the package). */
  config: string;
  /** /lib/modules/<ver> of the package, with modules.dep. */
  modulesDir: string;
  initramfs: string;
}

interface Stamp {
  format: number;
  name: string;
  package: string;
  debVersion: string;
  version: string;
  initramfs: string;
  builtAt: string;
}

export type KernelChoice = { kind: "host" } | { kind: "vm"; name: string };

/** A short kernel name: the Debian release it comes from and its package names (the number orders them). */
interface KernelAlias {
  suite: string;
  /** The package names it may stand for; group 1 is the number whose highest value wins. */
  pattern: RegExp;
}

/** The short names natlab knows; any other Debian kernel is named by its package. */
export const KERNEL_ALIASES: Record<string, KernelAlias> = {
  "debian-5.10": { suite: "bullseye", pattern: /^linux-image-5\.10\.0-(\d+)-amd64$/ },
  "debian-6.1": { suite: "bookworm", pattern: /^linux-image-6\.1\.0-(\d+)-amd64$/ },
  "debian-6.12": { suite: "trixie", pattern: /^linux-image-6\.12\.(\d+)\+deb13-amd64$/ },
};

/** Read a kernel name as given on the command line; throws with the accepted forms. */
export function parseKernelName(name: string): KernelChoice {
  if (name === "host") return { kind: "host" };
  if (name in KERNEL_ALIASES || /^linux-image-[0-9][a-z0-9.+~-]*$/.test(name)) return { kind: "vm", name };
  throw new Error(
    `unknown kernel "${name}": use host, ${Object.keys(KERNEL_ALIASES).join(", ")}, or a Debian kernel package name like linux-image-6.1.0-56-amd64`,
  );
}

export function kernelCacheDir(name: string): string {
  return join(KERNEL_CACHE, name);
}

export interface PrepareOptions {
  onProgress?: (message: string) => void;
  /** Download the package again even when a cached build exists. */
  refresh?: boolean;
}

/** The cached kernel, without building anything; undefined when not (fully) cached. */
export function cachedKernel(name: string): PreparedKernel | undefined {
  const dir = kernelCacheDir(name);
  let stamp: Stamp;
  try {
    stamp = JSON.parse(readFileSync(join(dir, "stamp.json"), "utf8"));
  } catch {
    return undefined;
  }
  if (stamp.format !== CACHE_FORMAT) return undefined;
  const k = layout(name, stamp.package, stamp.version);
  if (!existsSync(k.vmlinuz) || !existsSync(join(k.modulesDir, "modules.dep"))) return undefined;
  return k;
}

/** Download, extract and index a kernel package on first use; return the cached one after. */
export async function prepareKernel(name: string, opts: PrepareOptions = {}): Promise<PreparedKernel> {
  const choice = parseKernelName(name);
  if (choice.kind === "host") throw new Error("kernel host runs on this machine's kernel: there is no VM to prepare");
  const say = opts.onProgress ?? (() => {});
  requireTool("busybox", BUSYBOX, "apt-get install -y busybox-static");

  const cached = opts.refresh ? undefined : cachedKernel(name);
  if (cached) {
    refreshInitramfs(cached, say);
    return cached;
  }

  requireTool("apt-get", "/usr/bin/apt-get", "this needs a Debian (or derived) system with apt");
  requireTool("dpkg-deb", "/usr/bin/dpkg-deb", "this needs a Debian (or derived) system with dpkg");
  mkdirSync(KERNEL_CACHE, { recursive: true });
  const pkg = resolvePackage(name, say);
  removeAbandonedBuilds(name);
  const build = join(KERNEL_CACHE, `.build-${name}-${process.pid}`);
  rmSync(build, { recursive: true, force: true });
  mkdirSync(build, { recursive: true });
  try {
    say(`downloading ${pkg}`);
    const debPath = downloadPackage(pkg, build);
    const deb = basename(debPath);
    const debVersion = run("dpkg-deb", ["-f", debPath, "Version"], build, "dpkg-deb -f").trim();

    say(`extracting ${deb}`);
    const x = join(build, "x");
    run("dpkg-deb", ["-x", debPath, x], build, `dpkg-deb -x ${deb}`);
    // Debian 13 ships modules under /usr/lib/modules (merged /usr); older releases under /lib/modules.
    const modRoot = [join(x, "usr/lib/modules"), join(x, "lib/modules")].find((d) => existsSync(d));
    if (!modRoot) throw new Error(`${deb} has no lib/modules or usr/lib/modules`);
    const versions = readdirSync(modRoot);
    if (versions.length !== 1) throw new Error(`${deb} has ${versions.length} module trees, expected one`);
    const version = versions[0];
    const k = layout(name, pkg, version, build);
    mkdirSync(join(build, "lib/modules"), { recursive: true });
    renameSync(join(x, "boot", `vmlinuz-${version}`), k.vmlinuz);
    say("extracting vmlinux from vmlinuz");
    extractVmlinux(k.vmlinuz, join(build, "vmlinux"));
    renameSync(join(x, "boot", `config-${version}`), k.config);
    renameSync(join(modRoot, version), k.modulesDir);
    rmSync(x, { recursive: true, force: true });
    rmSync(debPath, { force: true });
    decompressModules(k.modulesDir, say);

    // The host may have no kmod at all (a kernel without modules needs none): busybox indexes.
    say(`indexing modules of ${version} (busybox depmod)`);
    run(BUSYBOX, ["depmod", "-b", build, version], build, "busybox depmod");

    say("building the initramfs");
    buildInitramfs({ modulesDir: k.modulesDir }, k.initramfs);
    writeStamp(build, {
      format: CACHE_FORMAT,
      name,
      package: pkg,
      debVersion,
      version,
      initramfs: initramfsFingerprint({ modulesDir: k.modulesDir }),
      builtAt: new Date().toISOString(),
    });

    // Publish the finished tree in one rename; a concurrent build that lost the race is discarded.
    const dir = kernelCacheDir(name);
    rmSync(dir, { recursive: true, force: true });
    renameSync(build, dir);
  } finally {
    rmSync(build, { recursive: true, force: true });
  }
  const done = cachedKernel(name);
  if (!done) throw new Error(`kernel ${name} was built but ${kernelCacheDir(name)} is incomplete`);
  return done;
}

/** Build dirs left by a process that was killed mid-build (its pid is gone). */
function removeAbandonedBuilds(name: string): void {
  const prefix = `.build-${name}-`;
  for (const entry of readdirSync(KERNEL_CACHE)) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number(entry.slice(prefix.length));
    if (Number.isInteger(pid) && !processAlive(pid))
      rmSync(join(KERNEL_CACHE, entry), { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function layout(name: string, pkg: string, version: string, dir = kernelCacheDir(name)): PreparedKernel {
  const vmlinux = join(dir, "vmlinux");
  return {
    name,
    package: pkg,
    version,
    vmlinuz: join(dir, "vmlinuz"),
    boot: existsSync(vmlinux) ? vmlinux : join(dir, "vmlinuz"),
    config: join(dir, "config"),
    modulesDir: join(dir, "lib/modules", version),
    initramfs: join(dir, "initramfs.cpio"),
  };
}

function writeStamp(dir: string, stamp: Stamp): void {
  writeFileSync(join(dir, "stamp.json"), `${JSON.stringify(stamp, null, 2)}\n`);
}

/** Rebuild the initramfs when init.sh or busybox changed since it was built. */
function refreshInitramfs(k: PreparedKernel, say: (m: string) => void): void {
  const dir = kernelCacheDir(k.name);
  const stamp: Stamp = JSON.parse(readFileSync(join(dir, "stamp.json"), "utf8"));
  const want = initramfsFingerprint({ modulesDir: k.modulesDir });
  if (stamp.initramfs === want && existsSync(k.initramfs)) return;
  say("rebuilding the initramfs (init.sh or busybox changed)");
  buildInitramfs({ modulesDir: k.modulesDir }, k.initramfs);
  writeStamp(dir, { ...stamp, initramfs: want });
}

/**
 * The package a kernel name stands for, from natlab's own apt lists (fetched when missing or
 * a day old, and once more when they lack the package).
 */
function resolvePackage(name: string, say: (m: string) => void): string {
  const alias = KERNEL_ALIASES[name];
  const find = () => (alias ? newest(alias.pattern) : hasCandidate(name) ? name : undefined);
  if (process.getuid?.() !== 0)
    throw new Error(`kernel ${name} is not cached and fetching it needs root: run natlab as root`);
  ensureAptLists({ say });
  let pkg = find();
  if (!pkg) {
    say(`natlab's apt lists lack the package for ${name}: fetching them again`);
    ensureAptLists({ force: true, say });
    pkg = find();
  }
  if (!pkg) {
    throw new Error(
      alias
        ? `no package matching ${alias.pattern.source} in Debian ${alias.suite} (natlab's apt lists, harness/vm/apt.ts)`
        : `Debian's archive has no package ${name}: list candidates with natlab doctor --kernels, or apt-cache search`,
    );
  }
  return pkg;
}

/** The package matching `pattern` with the highest number: Debian bumps it with each ABI change or release. */
function newest(pattern: RegExp): string | undefined {
  const names = searchPackages(pattern).map((n) => ({ n, v: Number(pattern.exec(n)?.[1] ?? -1) }));
  names.sort((a, b) => b.v - a.v);
  return names[0]?.n;
}

/**
 * Debian 13 compresses its modules (.ko.xz). busybox's insmod and depmod read plain .ko
 * files: decompress them once here, in the cache, rather than at every boot.
 */
function decompressModules(dir: string, say: (m: string) => void): void {
  const xz = run("find", [dir, "-name", "*.ko.xz"], dir, "find modules").trim();
  if (!xz) return;
  say(`decompressing ${xz.split("\n").length} modules (.ko.xz)`);
  run("find", [dir, "-name", "*.ko.xz", "-exec", "xz", "-d", "-T0", "{}", "+"], dir, "xz -d modules");
}

function requireTool(what: string, path: string, fix: string): void {
  if (!existsSync(path)) throw new Error(`${what} not found at ${path}: ${fix}`);
}

function run(cmd: string, args: string[], cwd: string, what: string): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${what} failed (in ${cwd}): ${(err.stderr || err.message).trim()}`);
  }
}
