/**
 * Run one shell script as root inside a throwaway VM booted from a prepared kernel.
 *
 * The VM sees the host's / read-only (9p) under a tmpfs overlay, so node, tsx, tc and the
 * project are all there without building a disk image; writes vanish with the VM. Results
 * come back through `shareDir`, mounted read-write at the same absolute path. A private
 * control dir (9p tag natlab-ctl) carries the script in and the exit code out; init.sh is the
 * other half of this protocol.
 *
 * Inside: every path of the host reads as on the host (/tmp included; writes go to RAM),
 * except /run, a fresh tmpfs (the host's /run/netns means nothing in the VM); proc, sys,
 * devtmpfs, devpts, bpffs, tracefs and debugfs are mounted; the hostname is natlab-vm; there is no network device (labs make their own veths); the
 * script runs under bash with stdin from /dev/null, its output on the serial console.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { ROOT } from "../root.ts";
import { type Accel, chooseAccel, QEMU } from "./accel.ts";
import { type PreparedKernel, prepareKernel } from "./kernels.ts";

/** The project's root directory: the default working directory inside the VM. */
export const PROJECT_DIR = ROOT;

export interface VmRunOptions {
  /** A prepared kernel, or a kernel name to prepare (see kernels.ts). */
  kernel: PreparedKernel | string;
  /** Shell script text, run by bash as root inside the VM. */
  command: string;
  /** Host directory mounted read-write at the same path in the VM, for results. */
  shareDir: string;
  /** Wall-clock limit for the whole VM run, boot included. */
  timeoutSec: number;
  /** Console output as it arrives (boot messages, then the command's stdout and stderr). */
  onOutput?: (text: string) => void;
  onProgress?: (message: string) => void;
  /** Working directory of the command inside the VM; defaults to the project dir. */
  cwd?: string;
  memoryMiB?: number;
  cpus?: number;
  /** qemu's -cpu model under TCG (default: qemu's own, qemu64); NATLAB_VM_CPU sets it too. */
  cpuModel?: string;
  /** tcg (emulation, always works), kvm, or auto (kvm when a cached probe found it works). */
  accel?: Accel | "auto";
  /**
   * Writes files for the command into the control dir before the boot; the guest sees them
   * in CTL_IN_GUEST. The dir goes with the run, so a file there is never left behind.
   */
  prepareCtl?: (ctlDir: string) => Promise<void>;
}

/** Where the guest mounts the control dir (init.sh's CTL). */
export const CTL_IN_GUEST = "/run/natlab/ctl";

export interface VmResult {
  /** The command's exit status inside the VM. */
  exitCode: number;
  /** Everything the serial console printed, with \r\n turned into \n. */
  console: string;
  /** What the command printed: the console after init's "ready" line, less the kernel's power-off line. */
  output: string;
  /** Wall time from starting qemu to its exit. */
  seconds: number;
  /** Wall time from starting qemu until the command started. */
  bootSeconds: number;
  accel: Accel;
}

/** The VM failed to produce a result (boot failure, timeout): not the command's own failure. */
export class VmError extends Error {
  constructor(
    message: string,
    readonly console: string,
    readonly seconds: number,
  ) {
    super(message);
    this.name = "VmError";
  }
}

const READY = "natlab-vm: ready";

export async function runInVm(opts: VmRunOptions): Promise<VmResult> {
  if (!existsSync(QEMU)) throw new Error(`${QEMU} not found: apt-get install -y qemu-system-x86`);
  const kernel =
    typeof opts.kernel === "string" ? await prepareKernel(opts.kernel, { onProgress: opts.onProgress }) : opts.kernel;
  const shareDir = resolve(opts.shareDir);
  if (!statSync(shareDir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new Error(`shareDir ${shareDir} is not a directory: create it before runInVm`);
  }
  const accel = opts.accel === "tcg" || opts.accel === "kvm" ? opts.accel : await chooseAccel(kernel);

  const ctlDir = mkdtempSync(join(tmpdir(), "natlab-vm-"));
  try {
    writeFileSync(
      join(ctlDir, "config.sh"),
      shellAssignments({
        NATLAB_SHARE: shareDir,
        NATLAB_CWD: resolve(opts.cwd ?? PROJECT_DIR),
        NATLAB_KVER: kernel.version,
        NATLAB_MODULES: kernel.modulesDir,
      }),
    );
    writeFileSync(join(ctlDir, "command.sh"), opts.command);
    await opts.prepareCtl?.(ctlDir);
    const args = qemuArgs({
      kernel,
      ctlDir,
      shareDir,
      accel,
      memoryMiB: opts.memoryMiB,
      cpus: opts.cpus,
      cpuModel: opts.cpuModel ?? process.env.NATLAB_VM_CPU,
    });
    const run = await runQemu(args, opts.timeoutSec, opts.onOutput, () =>
      rmSync(ctlDir, { recursive: true, force: true }),
    );
    const codeFile = join(ctlDir, "exit-code");
    if (!existsSync(codeFile)) {
      const why = run.timedOut
        ? `timed out after ${opts.timeoutSec} s`
        : `ended without running the command to its end (qemu exit status ${run.status})`;
      throw new VmError(
        `VM on kernel ${kernel.name} ${why}; console ends with:\n${tail(run.console, 15)}`,
        run.console,
        run.seconds,
      );
    }
    return {
      exitCode: Number(readFileSync(codeFile, "utf8").trim()),
      console: run.console,
      output: commandOutput(run.console),
      seconds: run.seconds,
      bootSeconds: run.bootSeconds ?? run.seconds,
      accel,
    };
  } finally {
    rmSync(ctlDir, { recursive: true, force: true });
  }
}

export interface QemuArgsInput {
  kernel: Pick<PreparedKernel, "boot" | "initramfs">;
  ctlDir: string;
  shareDir: string;
  accel: Accel;
  memoryMiB?: number;
  cpus?: number;
  cpuModel?: string;
}

/** qemu's command line (without the program name). */
export function qemuArgs(i: QemuArgsInput): string[] {
  // qemu splits option values at commas; a literal comma in a path is written twice.
  const path = (p: string) => p.replaceAll(",", ",,");
  const share = (dir: string, tag: string, extra = "") =>
    `local,path=${path(dir)},mount_tag=${tag},security_model=none,multidevs=remap${extra}`;
  return [
    ...(i.accel === "kvm"
      ? ["-accel", "kvm", "-cpu", "host"]
      : ["-accel", "tcg", ...(i.cpuModel ? ["-cpu", i.cpuModel] : [])]),
    "-smp",
    String(i.cpus ?? 2),
    "-m",
    `${i.memoryMiB ?? 2048}M`,
    "-nodefaults",
    "-no-user-config",
    "-display",
    "none",
    "-serial",
    "stdio",
    "-no-reboot",
    "-kernel",
    i.kernel.boot,
    "-initrd",
    i.kernel.initramfs,
    // quiet + panic=-1: only the command's output on the console; a panic ends qemu at once
    // (with -no-reboot) instead of hanging until the timeout.
    "-append",
    "console=ttyS0 quiet panic=-1",
    "-virtfs",
    share("/", "hostroot", ",readonly=on"),
    "-virtfs",
    share(i.ctlDir, "natlab-ctl"),
    "-virtfs",
    share(i.shareDir, "natlab-share"),
  ];
}

interface QemuRun {
  status: number | null;
  console: string;
  seconds: number;
  bootSeconds?: number;
  timedOut: boolean;
}

/** Run qemu to its end, or kill it on timeout or when we are interrupted. */
/** `cleanup` runs when a signal ends us, as the caller's `finally` would not. */
function runQemu(
  args: string[],
  timeoutSec: number,
  onOutput: ((text: string) => void) | undefined,
  cleanup: () => void,
): Promise<QemuRun> {
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const child: ChildProcess = spawn(QEMU, args, { stdio: ["ignore", "pipe", "pipe"] });
  let console = "";
  let bootSeconds: number | undefined;
  let timedOut = false;
  // One decoder for the serial console: a UTF-8 character (✓, ✗) split across two chunks stays whole.
  const decoder = new StringDecoder("utf8");
  const onData = (chunk: Buffer) => {
    const text = decoder.write(chunk).replaceAll("\r\n", "\n").replaceAll("\r", "");
    console += text;
    if (bootSeconds === undefined && console.includes(READY)) bootSeconds = elapsed();
    onOutput?.(text);
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    console += text;
    onOutput?.(text);
  });

  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, timeoutSec * 1000);
  // Our own interruption ends the VM too; then the signal goes on to whoever else listens,
  // or, with no one else, ends this process as it would have.
  const onSignal = (sig: NodeJS.Signals) => {
    child.kill("SIGKILL");
    cleanup();
    detach();
    if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
  };
  const detach = () => {
    clearTimeout(timer);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  return new Promise((resolveRun, reject) => {
    child.on("error", (e) => {
      detach();
      reject(new Error(`starting ${QEMU} failed: ${e.message}`));
    });
    child.on("close", (status) => {
      detach();
      resolveRun({ status, console, seconds: elapsed(), bootSeconds, timedOut });
    });
  });
}

/** `NAME='value'` lines for sh, each value single-quoted. */
export function shellAssignments(vars: Record<string, string>): string {
  const quote = (v: string) => `'${v.replaceAll("'", "'\\''")}'`;
  return Object.entries(vars)
    .map(([k, v]) => `${k}=${quote(v)}\n`)
    .join("");
}

/** The console after init's ready line, without the kernel's closing "reboot: Power down". */
export function commandOutput(console: string): string {
  const ready = console.indexOf(READY);
  const after = ready < 0 ? "" : console.slice(console.indexOf("\n", ready) + 1);
  return after.replace(/^\[\s*\d+\.\d+\] reboot: Power down\n?$/m, "");
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}
