/**
 * Building every piece of C: the translator, its knock-out builds (each with
 * the bench's sections of bench.h in it), and the user-space tools of
 * bpf/tools/ (the xlat runner and bench-proof), all by `make -s -C bpf`
 * (quick when up to date). Failures carry the compiler's own words and what
 * to check.
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
/** Built with -DNAT64_NO_ICMP_SIZE_LIMIT: a translated ICMP error is not cut to 1280 / 576 bytes. */
export const NAT64_NOSIZE_OBJECT = join(BPF_DIR, "nat64-nosize.o");
/** Built with -DNAT64_NO_RFC4884: an RFC 4884 extension is read as part of the quote. */
export const NAT64_NO4884_OBJECT = join(BPF_DIR, "nat64-no4884.o");
/** Built with -DNAT64_NO_CSUM_CHECK: a checksum no receiver accepts is translated (and made acceptable). */
export const NAT64_NOCHECK_OBJECT = join(BPF_DIR, "nat64-nocheck.o");
/** bpf/tools/xlat-runner.c: every frame of a pcap through a translator object (natlab xlat, golden check). */
export const XLAT_RUNNER = join(BPF_DIR, "build", "xlat-runner");
/** bpf/tools/bench-proof.c: the translator and its floor (bench.h's bench/floor) timed on the same frames (natlab bench). */
export const BENCH_PROOF = join(BPF_DIR, "build", "bench-proof");

/** Run make in bpf/ (default target: everything); `target` for one file, e.g. "nat64-nocsum.o". */
export async function buildBpf(target?: string): Promise<void> {
  const r = await run(["make", "-s", "-C", BPF_DIR, ...(target ? [target] : [])], { allowFail: true, timeoutSec: 300 });
  if (r.exitCode !== 0) {
    const out = (r.stderr + r.stdout).trim().split("\n").slice(-30).join("\n  ");
    throw new Error(
      `building bpf/${target ?? ""} failed (make -C bpf exited with ${r.exitCode}):\n  ${out}\n` +
        "Check that clang, gcc, libbpf-dev, libelf-dev and zlib1g-dev are installed (sh scripts/setup.sh installs them).",
    );
  }
}
