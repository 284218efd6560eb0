/** Running commands on another kernel in a VM: the public surface (see docs/kernels.md). */
export { type Accel, probeKvm } from "./accel.ts";
export { type DoctorItem, vmDoctor } from "./doctor.ts";
export {
  cachedKernel,
  KERNEL_CACHE,
  type KernelChoice,
  kernelCacheDir,
  type PreparedKernel,
  type PrepareOptions,
  parseKernelName,
  prepareKernel,
} from "./kernels.ts";
export { PROJECT_DIR, runInVm, VmError, type VmResult, type VmRunOptions } from "./qemu.ts";
