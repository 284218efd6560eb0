/**
 * The translator build, checked before it is used. After an edit to
 * bpf/nat64.c a run with the old nat64.o would pass and mean nothing; with no
 * nat64.o at all tc fails at the last setup step with "Cannot initialize ELF
 * context!". `run`, `golden check`, `xlat` and `bench` call ensureBuilt first:
 * make's own question mode (`make -q`) says whether anything is older than
 * its sources (the Makefile lists every header), and make then rebuilds it.
 */
import { UsageError } from "../errors.ts";
import { run } from "../exec/command.ts";
import { BPF_DIR, buildBpf } from "./build.ts";

/** `make -q`: 0 up to date, 1 something to rebuild, 2 make itself failed. */
const MAKE_UP_TO_DATE = 0;
const MAKE_STALE = 1;

/** Rebuilds bpf/ when any object is missing or older than its sources; `note` says so. */
export async function ensureBuilt(note: (text: string) => void): Promise<void> {
  const q = await run(["make", "-q", "-C", BPF_DIR], { allowFail: true });
  if (q.exitCode === MAKE_UP_TO_DATE) return;
  if (q.exitCode !== MAKE_STALE) {
    throw new UsageError(
      `cannot check the translator build (make -q -C bpf exited with ${q.exitCode}): run natlab build`,
    );
  }
  note("the translator build is missing or older than its sources in bpf/: rebuilding (make -C bpf)");
  try {
    await buildBpf();
  } catch (err) {
    const first = (err as Error).message.split("\n").slice(0, 6).join("\n  ");
    throw new UsageError(
      `the translator build is out of date and rebuilding it failed:\n  ${first}\nfix it, then run natlab build`,
    );
  }
}
