/**
 * Which qemu accelerator to use: KVM when it really runs a guest here, else TCG (emulation).
 *
 * /dev/kvm existing is not enough: on some hosts (nested virtualisation) qemu with KVM hangs
 * or aborts. So KVM is probed once, by booting the kernel without an initramfs and waiting
 * a few seconds for its first console line, and the answer is cached per host kernel
 * (KERNEL_CACHE/../kvm-probe.json). NATLAB_VM_ACCEL=tcg|kvm skips the probe.
 */
import { spawn } from "node:child_process";
import { accessSync, constants, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { release } from "node:os";
import { dirname, join } from "node:path";
import { KERNEL_CACHE, type PreparedKernel } from "./kernels.ts";

export type Accel = "tcg" | "kvm";
export const QEMU = "/usr/bin/qemu-system-x86_64";
const PROBE_FILE = join(dirname(KERNEL_CACHE), "kvm-probe.json");
const PROBE_SECONDS = 8;

interface ProbeRecord {
  hostKernel: string;
  ok: boolean;
  detail: string;
  at: string;
}

export function kvmDeviceUsable(): boolean {
  try {
    accessSync("/dev/kvm", constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The cached probe for this host kernel, if any. */
export function cachedKvmProbe(): ProbeRecord | undefined {
  try {
    const r: ProbeRecord = JSON.parse(readFileSync(PROBE_FILE, "utf8"));
    return r.hostKernel === release() ? r : undefined;
  } catch {
    return undefined;
  }
}

export async function chooseAccel(kernel: PreparedKernel): Promise<Accel> {
  const forced = process.env.NATLAB_VM_ACCEL;
  if (forced === "tcg" || forced === "kvm") return forced;
  if (!kvmDeviceUsable()) return "tcg";
  const probe = cachedKvmProbe() ?? (await probeKvm(kernel));
  return probe.ok ? "kvm" : "tcg";
}

/** Boot the kernel under KVM with no root: a working KVM prints "Linux version" within a second. */
export async function probeKvm(kernel: Pick<PreparedKernel, "vmlinuz">): Promise<ProbeRecord> {
  const args = [
    ...["-accel", "kvm", "-cpu", "host", "-m", "256M", "-nodefaults", "-no-user-config"],
    ...["-display", "none", "-serial", "stdio", "-no-reboot"],
    ...["-kernel", kernel.vmlinuz, "-append", "console=ttyS0 panic=-1"],
  ];
  const ok = await new Promise<{ ok: boolean; detail: string }>((done) => {
    const child = spawn(QEMU, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let finished = false;
    const finish = (ok: boolean, detail: string) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      child.kill("SIGKILL");
      done({ ok, detail });
    };
    const timer = setTimeout(() => finish(false, `no console output within ${PROBE_SECONDS} s`), PROBE_SECONDS * 1000);
    const onData = (b: Buffer) => {
      out += b.toString();
      if (out.includes("Linux version")) finish(true, "kernel printed its banner");
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", (e) => finish(false, e.message));
    child.on("close", (code) =>
      finish(false, `qemu exited (${code}) before the kernel banner: ${out.trim().slice(-200)}`),
    );
  });
  const record: ProbeRecord = { hostKernel: release(), ...ok, at: new Date().toISOString() };
  mkdirSync(dirname(PROBE_FILE), { recursive: true });
  writeFileSync(PROBE_FILE, `${JSON.stringify(record, null, 2)}\n`);
  return record;
}
