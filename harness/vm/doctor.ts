/**
 * What running labs in a VM needs, checked without starting anything (for `natlab doctor`).
 * `ok` is false only when a required item fails; the kernel cache and KVM are reported
 * for information (a kernel is built on first use; without KVM the VM runs emulated).
 */
import { closeSync, existsSync, openSync, readdirSync, readSync, statfsSync } from "node:fs";
import { dirname } from "node:path";
import { cachedKvmProbe, kvmDeviceUsable, QEMU } from "./accel.ts";
import { BUSYBOX } from "./initramfs.ts";
import { cachedKernel, KERNEL_ALIASES, KERNEL_CACHE, kernelCacheDir } from "./kernels.ts";

/** The kernels natlab names, and any other kernel package already in the cache. */
function knownKernels(): string[] {
  const cached = existsSync(KERNEL_CACHE) ? readdirSync(KERNEL_CACHE).filter((d) => d.startsWith("linux-image-")) : [];
  return [...Object.keys(KERNEL_ALIASES), ...cached.sort()];
}

export interface DoctorItem {
  what: string;
  ok: boolean;
  /** The command or step that fixes a failed item. */
  fix?: string;
  /** False for items that only inform (the VM works without them, maybe slower). */
  required: boolean;
  detail?: string;
}

export function vmDoctor(kernels: string[] = knownKernels()): { ok: boolean; items: DoctorItem[] } {
  const items: DoctorItem[] = [];
  const tool = (what: string, path: string, fix: string, required = true) =>
    items.push({ what, ok: existsSync(path), fix, required, detail: path });

  tool("qemu-system-x86_64", QEMU, "apt-get install -y qemu-system-x86");
  items.push({
    what: "busybox, statically linked",
    ok: isStaticElf(BUSYBOX),
    fix: "apt-get install -y busybox-static",
    required: true,
    detail: BUSYBOX,
  });
  tool("apt-get (downloads kernel packages)", "/usr/bin/apt-get", "a Debian system with apt is needed");
  tool("dpkg-deb (unpacks kernel packages)", "/usr/bin/dpkg-deb", "a Debian system with dpkg is needed");
  tool("xz (unpacks vmlinux for a faster boot)", "/usr/bin/xz", "apt-get install -y xz-utils", false);

  const free = freeMiB(KERNEL_CACHE);
  items.push({
    what: `space for the kernel cache in ${KERNEL_CACHE}`,
    ok: free >= 600,
    fix: `free some space: a kernel takes about 500 MiB there (${free} MiB free)`,
    required: true,
    detail: `${free} MiB free`,
  });

  for (const name of kernels) {
    const k = cachedKernel(name);
    items.push({
      what: `kernel ${name} cached`,
      ok: !!k,
      fix: `built on first use (a 55-110 MB download, 20-90 s); to build it now: natlab script --kernel ${name} labs/article.yaml`,
      required: false,
      detail: k ? `${k.package}, ${k.version}, in ${kernelCacheDir(name)}` : "not built yet",
    });
  }

  const probe = cachedKvmProbe();
  items.push({
    what: "KVM acceleration",
    ok: kvmDeviceUsable() && probe?.ok === true,
    fix: "none needed: VMs run under TCG emulation (boot about 10-15 s); set NATLAB_VM_ACCEL=kvm to force KVM",
    required: false,
    detail: !kvmDeviceUsable()
      ? "/dev/kvm missing or not accessible"
      : probe
        ? `probe: ${probe.detail}`
        : "/dev/kvm present, not probed yet (probed at the first VM run)",
  });

  return { ok: items.every((i) => i.ok || !i.required), items };
}

/** An ELF file without a PT_INTERP program header needs no dynamic loader. */
function isStaticElf(path: string): boolean {
  if (!existsSync(path)) return false;
  const fd = openSync(path, "r");
  try {
    const h = Buffer.alloc(64);
    readSync(fd, h, 0, 64, 0);
    if (h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2) return false; // 64-bit ELF only
    const phoff = Number(h.readBigUInt64LE(32));
    const phentsize = h.readUInt16LE(54);
    const phnum = h.readUInt16LE(56);
    const ph = Buffer.alloc(phentsize * phnum);
    readSync(fd, ph, 0, ph.length, phoff);
    for (let i = 0; i < phnum; i++) if (ph.readUInt32LE(i * phentsize) === 3 /* PT_INTERP */) return false;
    return true;
  } finally {
    closeSync(fd);
  }
}

/** Free space on the filesystem that holds (or would hold) `dir`. */
function freeMiB(dir: string): number {
  let d = dir;
  while (!existsSync(d) && d !== dirname(d)) d = dirname(d);
  const s = statfsSync(d);
  return Math.floor((s.bavail * s.bsize) / 2 ** 20);
}
