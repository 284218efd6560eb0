/**
 * The VM executor: `natlab run --kernel NAME LAB...` boots the named kernel
 * (harness/vm/qemu.ts) and runs natlab inside it, on the same lab files, the
 * same planner and the same host executor code, against that kernel. The
 * project is the guest's read-only root; results/ is shared read-write at the
 * same path, so TAP, JUnit, pcaps and traces land in results/<lab>/<run-id>/ exactly
 * as for a host run. One natlab process per VM runs every lab: under
 * emulation, node and tsx take seconds to start.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type Features, featuresFromConfig } from "../plan/features.ts";
import { ROOT } from "../root.ts";
import { shQuote } from "../text/shell.ts";
import { type PreparedKernel, prepareKernel } from "./kernels.ts";
import { runInVm } from "./qemu.ts";

const READY = "natlab-vm: ready";

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

type VmNatlabResult = { exitCode: number; output: string; seconds: number; kernel: PreparedKernel };

/**
 * Runs `natlab ARGV` inside a VM booted from `kernel`; returns natlab's exit
 * status there. Under TCG emulation node itself has been seen to die of a
 * signal (exit 139) on rare boots; that is the emulator's failure, not the
 * lab's, so it boots once more and says so. A second crash is reported.
 */
export async function natlabInVm(opts: VmCommandOptions): Promise<VmNatlabResult> {
  const first = await natlabInVmOnce(opts);
  const crash = crashOf(first);
  if (!crash) return first;
  opts.onProgress?.(
    `natlab itself crashed inside the VM (${crash}; an emulator failure, not a lab result): booting once more`,
  );
  return natlabInVmOnce(opts);
}

/**
 * Why natlab's process died in the guest, if it did: a signal, or node's own
 * report of an uncaught error in its module loader (it ends with "Node.js vX").
 * A lab that fails is not a crash: natlab prints its summary and exits 1.
 */
export function crashOf(r: { exitCode: number; output: string }): string | undefined {
  if (r.exitCode >= 128) return `signal ${r.exitCode - 128}`;
  const tail = r.output.trimEnd().split("\n").slice(-3).join("\n");
  if (r.exitCode !== 0 && /^Node\.js v\d+\.\d+\.\d+$/m.test(tail)) return "node exited with an internal error";
  return undefined;
}

async function natlabInVmOnce(opts: VmCommandOptions): Promise<VmNatlabResult> {
  const kernel = await prepareKernel(opts.kernel, { onProgress: opts.onProgress });
  const results = join(ROOT, "results");
  mkdirSync(results, { recursive: true });
  const env = Object.entries({ NO_COLOR: "1", NATLAB_IN_VM: kernel.name, ...opts.env })
    .map(([k, v]) => `${k}=${shQuote(v)}`)
    .join(" ");
  // Through a pipe: the guest's stdout is the serial console, a TTY, and progress
  // lines that rewrite themselves would arrive here as escape codes.
  const command = `cd ${shQuote(ROOT)}\nexport ${env}\nbin/natlab ${opts.argv.map(shQuote).join(" ")} 2>&1 | cat\nexit "\${PIPESTATUS[0]}"\n`;
  opts.onProgress?.(`booting kernel ${kernel.version} (${kernel.package}) under qemu`);
  let buffer = "";
  let ready = false;
  const r = await runInVm({
    kernel,
    command,
    shareDir: results,
    timeoutSec: opts.timeoutSec ?? 1800,
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
