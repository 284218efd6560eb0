/**
 * Jool's kernel modules for a VM kernel, built once and cached beside the
 * kernel cache: /var/cache/natlab/jool/<kernel version>/{jool_common.ko,
 * jool_siit.ko, stamp.json} (the parent follows NATLAB_KERNEL_CACHE).
 *
 * The host kernel cannot load modules, so Jool runs in the debian-6.1 VM.
 * Its module source is Debian's jool-dkms; the kernel headers are Debian's
 * linux-headers-<ver> with the -common and linux-kbuild packages it depends
 * on. All of them are fetched with `apt-get download` and unpacked into a
 * build directory of natlab's own: nothing is installed on the system and
 * apt's sources are not touched. The headers' Makefile includes the -common
 * tree by its absolute /usr/src path; natlab points it at the unpacked one.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { run } from "../../exec/command.ts";
import { KERNEL_CACHE, type PreparedKernel } from "../../vm/kernels.ts";

export const JOOL_CACHE = join(dirname(KERNEL_CACHE), "jool");
/** The module source package; its version is the Jool that runs. */
export const JOOL_SOURCE_PACKAGE = "jool-dkms";
/** The modules, in the order the guest loads them (jool_siit needs jool_common's symbols). */
export const JOOL_MODULES = ["jool_common", "jool_siit"] as const;

export interface JoolModules {
  dir: string;
  /** Paths of jool_common.ko and jool_siit.ko, in load order. */
  modules: string[];
  /** The jool-dkms version they were built from, e.g. 4.1.9-1. */
  joolVersion: string;
  kernelVersion: string;
}

interface Stamp {
  kernelVersion: string;
  joolVersion: string;
  packages: string[];
  builtAt: string;
  buildSeconds: number;
}

export function joolCacheDir(kernelVersion: string): string {
  return join(JOOL_CACHE, kernelVersion);
}

/** The cached modules for a kernel version, or undefined when they were never built. */
export function cachedJoolModules(kernelVersion: string): JoolModules | undefined {
  const dir = joolCacheDir(kernelVersion);
  let stamp: Stamp;
  try {
    stamp = JSON.parse(readFileSync(join(dir, "stamp.json"), "utf8"));
  } catch {
    return undefined;
  }
  const modules = JOOL_MODULES.map((m) => join(dir, `${m}.ko`));
  if (!modules.every((m) => existsSync(m))) return undefined;
  return { dir, modules, joolVersion: stamp.joolVersion, kernelVersion };
}

/**
 * The modules for the kernel, built on first use (about 70 s alone on a
 * 2-core machine, more under load). Concurrent builders each build in a
 * directory of their own; the first to finish publishes with a rename.
 */
export async function prepareJoolModules(
  kernel: PreparedKernel,
  say: (m: string) => void = () => {},
): Promise<JoolModules> {
  const cached = cachedJoolModules(kernel.version);
  if (cached) return cached;
  const started = performance.now();
  mkdirSync(JOOL_CACHE, { recursive: true });
  const build = join(JOOL_CACHE, `.build-${kernel.version}-${process.pid}`);
  rmSync(build, { recursive: true, force: true });
  mkdirSync(build, { recursive: true });
  try {
    const headers = `linux-headers-${kernel.version}`;
    say(`downloading ${JOOL_SOURCE_PACKAGE} and ${headers}`);
    await fetch(build, [JOOL_SOURCE_PACKAGE, headers]);
    const headersDeb = debOf(build, headers);
    // linux-headers-<ver> depends on its -common tree and the kbuild scripts, by exact name.
    const deps = (await sh("dpkg-deb", ["-f", headersDeb, "Depends"], build))
      .split(",")
      .map((d) => d.trim().split(/\s/)[0])
      .filter((d) => /^linux-headers-.*-common$|^linux-kbuild-/.test(d));
    if (deps.length !== 2)
      throw new Error(
        `${headers} does not depend on one -common and one linux-kbuild package (Depends: ${deps.join(", ")})`,
      );
    say(`downloading ${deps.join(" and ")}`);
    await fetch(build, deps);
    const root = join(build, "root");
    for (const deb of readdirSync(build).filter((f) => f.endsWith(".deb")))
      await sh("dpkg-deb", ["-x", join(build, deb), root], build);
    const joolVersion = (await sh("dpkg-deb", ["-f", debOf(build, JOOL_SOURCE_PACKAGE), "Version"], build)).trim();

    const kdir = join(root, "usr/src", headers);
    const common = deps.find((d) => d.endsWith("-common")) as string;
    // The headers' Makefile is one line including /usr/src/<common>/Makefile: point it at ours.
    writeFileSync(join(kdir, "Makefile"), `include ${join(root, "usr/src", common, "Makefile")}\n`);
    const src = readdirSync(join(root, "usr/src")).find((d) => d.startsWith(`${JOOL_SOURCE_PACKAGE}-`));
    if (!src) throw new Error(`${JOOL_SOURCE_PACKAGE} unpacked no /usr/src/${JOOL_SOURCE_PACKAGE}-<version> tree`);
    const mod = join(root, "usr/src", src, "src/mod");
    for (const m of ["common", "siit"]) {
      say(`building Jool's ${m} module against ${kernel.version} (make -C ${headers} M=src/mod/${m})`);
      await sh("make", ["-s", "-j2", "-C", kdir, `M=${join(mod, m)}`, "modules"], build, 1800);
    }
    const out = join(build, "out");
    mkdirSync(out);
    copyFileSync(join(mod, "common", "jool_common.ko"), join(out, "jool_common.ko"));
    copyFileSync(join(mod, "siit", "jool_siit.ko"), join(out, "jool_siit.ko"));
    const stamp: Stamp = {
      kernelVersion: kernel.version,
      joolVersion,
      packages: [JOOL_SOURCE_PACKAGE, headers, ...deps],
      builtAt: new Date().toISOString(),
      buildSeconds: Math.round((performance.now() - started) / 1000),
    };
    writeFileSync(join(out, "stamp.json"), `${JSON.stringify(stamp, null, 2)}\n`);
    const dir = joolCacheDir(kernel.version);
    if (!cachedJoolModules(kernel.version)) {
      rmSync(dir, { recursive: true, force: true });
      renameSync(out, dir);
    }
  } finally {
    rmSync(build, { recursive: true, force: true });
  }
  const done = cachedJoolModules(kernel.version);
  if (!done) throw new Error(`Jool's modules were built but ${joolCacheDir(kernel.version)} is incomplete`);
  return done;
}

/** apt-get download into dir; a package missing from apt's lists gets a fix in the message. */
async function fetch(dir: string, packages: string[]): Promise<void> {
  try {
    await sh("apt-get", ["download", "-q", ...packages], dir);
  } catch (e) {
    throw new Error(
      `${(e as Error).message}\nThese come from Debian bookworm and bookworm-security: run apt-get update, ` +
        "and check that /etc/apt/sources.list.d names both suites.",
    );
  }
}

function debOf(dir: string, pkg: string): string {
  const deb = readdirSync(dir).find((f) => f.startsWith(`${pkg}_`) && f.endsWith(".deb"));
  if (!deb) throw new Error(`apt-get download ${pkg} left no .deb in ${dir}`);
  return join(dir, deb);
}

async function sh(cmd: string, args: string[], cwd: string, timeoutSec = 300): Promise<string> {
  const r = await run([cmd, ...args], { cwd, timeoutSec, allowFail: true });
  if (r.exitCode !== 0) {
    const out = (r.stderr || r.stdout).trim().split("\n").slice(-20).join("\n  ");
    throw new Error(`${cmd} ${args.join(" ")} failed (in ${cwd}):\n  ${out}`);
  }
  return r.stdout;
}
