/**
 * Building the translator, its variants, the floor programs and the C
 * runners: `make -C bpf` (quick when up to date). Failures carry the
 * compiler's own words and what to check.
 */
import { join } from "node:path";
import { run } from "../exec/command.ts";
import { ROOT } from "../root.ts";

export const BPF_DIR = join(ROOT, "bpf");
/** The translator object the labs attach by default. */
export const NAT64_OBJECT = join(BPF_DIR, "nat64.o");
/** Built with -DNAT64_NO_L4_CSUM_FIX: the tests must fail with it. */
export const NAT64_NOCSUM_OBJECT = join(BPF_DIR, "nat64-nocsum.o");
/** Built with -DNAT64_NO_QUOTED_XLAT: an ICMP error's quoted packet is left untranslated. */
export const NAT64_NOQUOTE_OBJECT = join(BPF_DIR, "nat64-noquote.o");
/** Built with -DNAT64_NO_MTU_ADJUST: the PMTU MTU is copied unadjusted. */
export const NAT64_NOMTU_OBJECT = join(BPF_DIR, "nat64-nomtu.o");
export const FLOOR_OBJECT = join(BPF_DIR, "floor.o");
export const XLAT_RUNNER = join(BPF_DIR, "build", "xlat-runner");

/** Run make in bpf/ (default target: everything); `target` for one file, e.g. "nat64-nocsum.o". */
export async function buildBpf(target?: string): Promise<void> {
  const r = await run(["make", "-s", "-C", BPF_DIR, ...(target ? [target] : [])], { allowFail: true, timeoutSec: 300 });
  if (r.exitCode !== 0) {
    const out = (r.stderr + r.stdout).trim().split("\n").slice(-30).join("\n  ");
    throw new Error(
      `building bpf/${target ?? ""} failed (make -C bpf exited with ${r.exitCode}):\n  ${out}\n` +
        "Check that clang, libbpf-dev, libelf-dev and zlib1g-dev are installed (sh scripts/setup.sh installs them).",
    );
  }
}
