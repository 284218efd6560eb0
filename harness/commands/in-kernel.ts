/**
 * `--kernel NAME`: a natlab command run again inside a qemu VM booted from
 * that kernel, its output prefixed with the kernel's name.
 */

/** Runs natlab with guestArgv in a VM booted from kernel; the guest's exit status. */
export async function runInKernel(kernel: string, guestArgv: string[]): Promise<number> {
  const { natlabInVm } = await import("../vm/labs.ts");
  const tag = `[${kernel}] `;
  const r = await natlabInVm({
    kernel,
    argv: guestArgv,
    onLine: (line) => console.log(tag + line),
    onProgress: (m) => console.log(`${tag}${m}`),
  });
  const seconds = r.seconds.toFixed(0);
  console.log(
    `${tag}kernel ${r.kernel.version}: natlab ${guestArgv[0]} exited with ${r.exitCode} after ${seconds}s in the VM`,
  );
  if (r.harnessError) {
    console.log(`${tag}harness error: natlab's own code failed in the VM (not the kernel, not the emulator):`);
    for (const l of r.harnessError.split("\n")) console.log(`${tag}  ${l}`);
  }
  return r.exitCode;
}
