/**
 * The VM executor: `natlab run --kernel NAME LAB...` boots the named kernel
 * (harness/vm/qemu.ts) and runs natlab inside it, on the same lab files, the
 * same planner and the same host executor code, against that kernel. The
 * project is the guest's read-only root; results/ is shared read-write at the
 * same path, so TAP, JUnit, pcaps and traces land in results/<lab>/<run-id>/ exactly
 * as for a host run. One natlab process per VM runs every lab: under
 * emulation, node and tsx take seconds to start.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Features, featuresFromConfig } from "../plan/features.ts";
import { ROOT } from "../root.ts";
import { shQuote } from "../text/shell.ts";
import { bundleText } from "./bundle.ts";
import { type PreparedKernel, prepareKernel } from "./kernels.ts";
import { CTL_IN_GUEST, runInVm } from "./qemu.ts";

const READY = "natlab-vm: ready";
/** natlab bundled for the guest, in the VM's control dir. */
const GUEST_BUNDLE = "natlab.mjs";

/** The kernel's features, read from its package's build configuration. */
export function kernelFeatures(kernel: PreparedKernel): Features {
  return featuresFromConfig(
    readFileSync(kernel.config, "utf8"),
    kernel.version,
    `config-${kernel.version} from ${kernel.package}`,
  );
}

export interface VmCommandOptions {
  kernel: string;
  /** natlab's arguments inside the VM, e.g. ["run", "labs/article.yaml"]. */
  argv: string[];
  timeoutSec?: number;
  /** Lines the guest's natlab prints, as they come. */
  onLine?: (line: string) => void;
  onProgress?: (message: string) => void;
  /** Extra environment for natlab in the guest. */
  env?: Record<string, string>;
}

type VmNatlabResult = {
  exitCode: number;
  output: string;
  seconds: number;
  kernel: PreparedKernel;
  /** natlab's own code failed to load or compile in the guest (harnessErrorOf): its first lines. */
  harnessError?: string;
};

/**
 * Runs `natlab ARGV` inside a VM booted from `kernel`; returns natlab's exit
 * status there. Under TCG emulation node itself has been seen to die of a
 * signal (exit 139) on rare boots; that is the emulator's failure, not the
 * lab's, so it boots once more and says so. A second crash is reported. An
 * error in natlab's own code (a TypeScript syntax error, a missing module) is
 * neither: it would fail the same way again, so it is returned at once as
 * `harnessError`. Most such errors are found on the host, when natlab is
 * bundled for the guest (harness/vm/bundle.ts), before any boot.
 */
export async function natlabInVm(opts: VmCommandOptions): Promise<VmNatlabResult> {
  let bundle: string;
  try {
    bundle = await bundleText(join(ROOT, "harness", "cli.ts"));
  } catch (e) {
    // natlab's own sources do not build: no boot would run them.
    const kernel = await prepareKernel(opts.kernel, { onProgress: opts.onProgress });
    const message = e instanceof Error ? e.message : String(e);
    const first = message
      .split("\n")
      .filter((l) => l.trim())
      .slice(0, 4)
      .join("\n");
    return { exitCode: 1, output: message, seconds: 0, kernel, harnessError: first };
  }
  const first = await natlabInVmOnce(opts, bundle);
  const harnessError = harnessErrorOf(first);
  if (harnessError) return { ...first, harnessError };
  const crash = crashOf(first);
  if (!crash) return first;
  opts.onProgress?.(
    `natlab itself crashed inside the VM (${crash}; an emulator failure, not a lab result): booting once more`,
  );
  const second = await natlabInVmOnce(opts, bundle);
  return { ...second, harnessError: harnessErrorOf(second) };
}

/**
 * The first lines of node's report of an error in natlab's own code, if the
 * output has one: tsx's `TransformError` (esbuild's "file:line:col: ERROR: …"
 * for a TypeScript syntax error), a `SyntaxError` or `ReferenceError`, a module
 * that cannot be found. These fail identically on every run and every kernel;
 * they are the harness's fault, never the emulator's or the kernel's. Only a
 * process that failed, and only its last lines, where such an error ends it.
 */
export function harnessErrorOf(r: { exitCode: number; output: string }): string | undefined {
  if (r.exitCode === 0) return undefined;
  // Only what ended the process: its last lines (the error, its stack, node's trailer), not a lab's messages.
  const lines = r.output.replace(/\r/g, "").trimEnd().split("\n").slice(-30);
  const start = lines.findIndex((l) =>
    /\b(TransformError|SyntaxError|ReferenceError)\b|\bERR_MODULE_NOT_FOUND\b|\bERR_UNKNOWN_FILE_EXTENSION\b/.test(l),
  );
  if (start < 0) return undefined;
  // The error's message, without node's stack frames ("    at …") and the "Node.js vX" trailer.
  const message = lines.slice(start).filter((l) => l.trim() && !/^\s+at /.test(l) && !/^Node\.js v\d/.test(l));
  return message.slice(0, 4).join("\n");
}

/**
 * Why natlab's process died in the guest, if it did: a signal, or node's own
 * report of an uncaught error in its module loader (it ends with "Node.js vX").
 * A lab that fails is not a crash: natlab prints its summary and exits 1. An
 * error in natlab's own code (harnessErrorOf) is not one either.
 */
export function crashOf(r: { exitCode: number; output: string }): string | undefined {
  if (r.exitCode >= 128) return `signal ${r.exitCode - 128}`;
  if (harnessErrorOf(r)) return undefined;
  const tail = r.output.trimEnd().split("\n").slice(-3).join("\n");
  if (r.exitCode !== 0 && /^Node\.js v\d+\.\d+\.\d+$/m.test(tail)) return "node exited with an internal error";
  return undefined;
}

/** One boot that runs `bundle` (natlab as one file, bundleText) as natlab. */
async function natlabInVmOnce(opts: VmCommandOptions, bundle: string): Promise<VmNatlabResult> {
  const kernel = await prepareKernel(opts.kernel, { onProgress: opts.onProgress });
  const results = join(ROOT, "results");
  mkdirSync(results, { recursive: true });
  const guestBundle = `${CTL_IN_GUEST}/${GUEST_BUNDLE}`;
  // NATLAB_GUEST_BUNDLE: bin/natlab, called by a lab's steps in the guest, runs the bundle too.
  const env = Object.entries({
    NO_COLOR: "1",
    NATLAB_IN_VM: kernel.name,
    NATLAB_GUEST_BUNDLE: guestBundle,
    ...opts.env,
  })
    .map(([k, v]) => `${k}=${shQuote(v)}`)
    .join(" ");
  // Through a pipe: the guest's stdout is the serial console, a TTY, and progress
  // lines that rewrite themselves would arrive here as escape codes.
  // natlab itself as one bundled file, not bin/natlab's tsx loader (harness/vm/bundle.ts says why).
  const command = `cd ${shQuote(ROOT)}\nexport ${env}\nnode ${guestBundle} ${opts.argv.map(shQuote).join(" ")} 2>&1 | cat\nexit "\${PIPESTATUS[0]}"\n`;
  opts.onProgress?.(`booting kernel ${kernel.version} (${kernel.package}) under qemu`);
  let buffer = "";
  let ready = false;
  const r = await runInVm({
    kernel,
    command,
    shareDir: results,
    timeoutSec: opts.timeoutSec ?? 1800,
    prepareCtl: async (ctlDir) => writeFileSync(join(ctlDir, GUEST_BUNDLE), bundle),
    onOutput: (text) => {
      buffer += text.replace(/\r/g, "");
      let nl = buffer.indexOf("\n");
      while (nl >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (ready) {
          if (!/^\[\s*\d+\.\d+\]|^reboot: /.test(line)) opts.onLine?.(line);
        } else if (line.includes(READY)) ready = true;
        nl = buffer.indexOf("\n");
      }
    },
  });
  return { exitCode: r.exitCode, output: r.output, seconds: r.seconds, kernel };
}
