/**
 * Kernels to run labs on.
 *
 *   host          this machine's kernel, no VM
 *   debian-6.1    Debian's newest linux-image-6.1.*-amd64 package in the archive
 *   linux-image-… any Debian kernel package, by its exact name
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
import { join } from "node:path";
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

/** Read a kernel name as given on the command line; throws with the accepted forms. */
export function parseKernelName(name: string): KernelChoice {
  if (name === "host") return { kind: "host" };
  if (name === "debian-6.1" || /^linux-image-[0-9][a-z0-9.+~-]*$/.test(name)) return { kind: "vm", name };
  throw new Error(
    `unknown kernel "${name}": use host, debian-6.1, or a Debian kernel package name like linux-image-6.1.0-56-amd64`,
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
    run("apt-get", ["download", "-q", pkg], build, `apt-get download ${pkg}`);
    const deb = readdirSync(build).find((f) => f.endsWith(".deb"));
    if (!deb) throw new Error(`apt-get download ${pkg} left no .deb in ${build}`);
    const debVersion = run("dpkg-deb", ["-f", join(build, deb), "Version"], build, "dpkg-deb -f").trim();

    say(`extracting ${deb}`);
    const x = join(build, "x");
    run("dpkg-deb", ["-x", join(build, deb), x], build, `dpkg-deb -x ${deb}`);
    const versions = readdirSync(join(x, "lib/modules"));
    if (versions.length !== 1) throw new Error(`${deb} has ${versions.length} module trees, expected one`);
    const version = versions[0];
    const k = layout(name, pkg, version, build);
    mkdirSync(join(build, "lib/modules"), { recursive: true });
    renameSync(join(x, "boot", `vmlinuz-${version}`), k.vmlinuz);
    say("extracting vmlinux from vmlinuz");
    extractVmlinux(k.vmlinuz, join(build, "vmlinux"));
    renameSync(join(x, "boot", `config-${version}`), k.config);
    renameSync(join(x, "lib/modules", version), k.modulesDir);
    rmSync(x, { recursive: true, force: true });
    rmSync(join(build, deb), { force: true });

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
    if (Number.isInteger(pid) && !processAlive(pid)) rmSync(join(KERNEL_CACHE, entry), { recursive: true, force: true });
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

/** The package a kernel name stands for, updating apt's lists once if they lack it. */
function resolvePackage(name: string, say: (m: string) => void): string {
  const find = () => (name === "debian-6.1" ? newestDebian61() : hasCandidate(name) ? name : undefined);
  let pkg = find();
  if (!pkg) {
    if (process.getuid?.() !== 0) {
      throw new Error(`no Debian package for kernel ${name} in apt's lists: run apt-get update as root, then retry`);
    }
    say("apt's lists lack the kernel package: running apt-get update");
    run("apt-get", ["update", "-q"], "/", "apt-get update");
    pkg = find();
  }
  if (!pkg) {
    throw new Error(
      name === "debian-6.1"
        ? "no linux-image-6.1.*-amd64 package in the configured Debian archive (is this Debian 12, bookworm?)"
        : `Debian's archive has no package ${name}: list candidates with apt-cache search --names-only '^linux-image-'`,
    );
  }
  return pkg;
}

/** linux-image-6.1.0-N-amd64 with the highest N: Debian bumps N with each ABI change. */
function newestDebian61(): string | undefined {
  const out = run("apt-cache", ["search", "--names-only", "^linux-image-6\\.1\\.0-[0-9]+-amd64$"], "/", "apt-cache search");
  const names = [...out.matchAll(/^(linux-image-6\.1\.0-(\d+)-amd64)\s/gm)];
  names.sort((a, b) => Number(b[2]) - Number(a[2]));
  return names[0]?.[1];
}

function hasCandidate(pkg: string): boolean {
  const out = run("apt-cache", ["policy", pkg], "/", "apt-cache policy");
  const m = /Candidate:\s*(\S+)/.exec(out);
  return !!m && m[1] !== "(none)";
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
