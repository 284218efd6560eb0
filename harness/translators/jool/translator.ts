/**
 * `jool`: Jool's SIIT (Debian's jool-dkms 4.1.9) in the translator namespace
 * of datapath.ts, inside a VM of the debian-6.1 kernel: the host kernel
 * cannot load modules. On the host, `run` prepares the kernel and the
 * modules (both cached, built once), writes the frames to a directory the
 * VM shares, boots the VM and runs `natlab translate --translator jool`
 * there, which loads the modules and drives Jool like any datapath
 * translator; the outputs come back as JSON and are judged on the host.
 *
 * In the guest: `jool_siit instance add natlab --netfilter --pool6 P` in
 * the namespace; a prefix change is `jool_siit -i natlab global update
 * pool6 P`. Jool translates at PREROUTING and routes the result itself (the
 * kernel's forwarding path is not taken); it counts its own hop, one off the
 * TTL/hop limit (RFC 7915 §4.1/§5.1).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { run } from "../../exec/command.ts";
import { readPcap, writePcap } from "../../packet/index.ts";
import { ROOT } from "../../root.ts";
import { shQuote } from "../../text/shell.ts";
import { type PreparedKernel, prepareKernel } from "../../vm/kernels.ts";
import { crashOf } from "../../vm/labs.ts";
import { runInVm, VmError, type VmResult } from "../../vm/qemu.ts";
import { type DatapathDriver, GATEWAY, runDatapath } from "../datapath.ts";
import { routerNotApplicable, translationTooLong } from "../tc.ts";
import type { Translator, TranslatorInput, TranslatorOutput, TranslatorSpec } from "../types.ts";
import { bundleGuest } from "./bundle.ts";
import { type JoolModules, prepareJoolModules } from "./modules.ts";
import { afterBoot, MAX_CRASH_REBOOTS, newResume, type Part, pending, traceHeadline } from "./resume.ts";

export const JOOL_KERNEL = "debian-6.1";
const INSTANCE = "natlab";
/** Jool's hops: its own decrement, once (no kernel forwarding on its path). */
export const JOOL_HOPS = 1;

export function joolTranslator(spec: TranslatorSpec): Translator {
  return {
    spec,
    title: `Jool SIIT 4.1.9 (Debian jool-dkms) in a namespace of the ${JOOL_KERNEL} VM, netfilter mode`,
    rules: {
      ttlDecrement: { "6to4": JOOL_HOPS, "4to6": JOOL_HOPS },
      compareEthernet: false,
      passMeaning: "not-translated",
    },
    notApplicable: (inp) => routerNotApplicable(inp, JOOL_HOPS) ?? translationTooLong(inp.frame),
    run: (inputs, onProgress) =>
      process.env.NATLAB_IN_VM
        ? runDatapath(joolDriver(), inputs, { onProgress, what: "jool", ...guestPace(inputs.length) })
        : runInGuest(inputs, onProgress),
  };
}

/**
 * How fast frames go into Jool under emulation: the golden cases (a few
 * hundred) at 500 frames a second in chunks of 500; a fuzz run (a hundred
 * thousand) twice as fast in chunks of 2,000, since each chunk costs a
 * tcpreplay start (seconds under emulation). A lost marker resends its
 * neighbours at half the rate.
 */
export function guestPace(frames: number): { pps: number; chunk: number; settleSec: number } {
  return frames > 1000 ? { pps: 1000, chunk: 2000, settleSec: 60 } : { pps: 500, chunk: 500, settleSec: 30 };
}

/** Runs of more frames than this (fuzz runs) note each frame before it goes. */
const NOTED_FROM = 1000;

/** The VM's wall-clock bound: boot and setup, then the frames at well under guestPace's rate. */
function guestTimeoutSec(frames: number): number {
  return 900 + Math.ceil(frames / 50);
}

/** In the guest: routes, then one Jool instance whose pool6 follows the cases' prefixes. */
function joolDriver(): DatapathDriver {
  let instance = false;
  return {
    async setup(ctx) {
      const x = (argv: string[]) => run(argv, { ns: ctx.xlat });
      await x(["ip", "-6", "route", "add", "default", "via", GATEWAY.v6Side6, "dev", "t6"]);
      await x(["ip", "-4", "route", "add", "default", "via", GATEWAY.v4Side4, "dev", "t4", "onlink"]);
    },
    async configure(ctx, prefix) {
      const argv = instance
        ? ["jool_siit", "-i", INSTANCE, "global", "update", "pool6", prefix]
        : ["jool_siit", "instance", "add", INSTANCE, "--netfilter", "--pool6", prefix];
      await run(argv, { ns: ctx.xlat });
      instance = true;
    },
  };
}

/**
 * What crosses into the VM and back: the frames as one pcap each way (in.pcap
 * beside manifest.json, out.pcap beside outputs.json), the rest as JSON: per
 * input its id, section and prefix; per output its verdict and the indices
 * of its frames in out.pcap.
 */
interface Manifest {
  pcap: string;
  inputs: { id: string; section: TranslatorInput["section"]; prefix: string }[];
}

interface OutputsFile {
  pcap: string;
  /** A guest's part: the positions (in what that boot was given) of these outputs. */
  positions?: number[];
  outputs: (Omit<TranslatorOutput, "frames" | "back"> & { frames: number[]; back: number[] })[];
}

/**
 * On the host: the frames into the VM and the outputs back, boot after
 * boot while Jool stops the guest's kernel on a frame (resume.ts keeps the
 * books: what each boot finished, the frame in flight when it died, what
 * is left for the next).
 */
async function runInGuest(
  inputs: TranslatorInput[],
  onProgress: (m: string) => void = () => {},
): Promise<TranslatorOutput[]> {
  const kernel = await prepareKernel(JOOL_KERNEL, { onProgress });
  const mods = await prepareJoolModules(kernel, onProgress);
  const base = join(ROOT, "results", ".translate");
  mkdirSync(base, { recursive: true });
  const state = newResume(inputs.length);
  let emulatorRetried = false;
  for (;;) {
    const given = pending(state);
    const share = mkdtempSync(join(base, "jool-"));
    try {
      const r = await bootOnce(
        kernel,
        mods,
        share,
        given.map((i) => inputs[i]),
        onProgress,
      );
      const parts = readParts(join(share, PARTS));
      if (r.result && r.result.exitCode !== 0 && !r.death) {
        // node under emulation dies now and then (a signal, or its loader's internal error): one more boot, as for labs.
        const crash = crashOf(r.result);
        if (!crash || emulatorRetried)
          throw new Error(
            `natlab translate --translator jool failed in the VM (exit ${r.result.exitCode}):\n${r.result.output.trim().split("\n").slice(-15).join("\n")}`,
          );
        emulatorRetried = true;
        onProgress(
          `natlab itself crashed inside the VM (${crash}; an emulator failure, not Jool's): booting once more`,
        );
        afterBoot(state, given, parts, undefined);
        continue;
      }
      const again = afterBoot(state, given, parts, r.death);
      if (r.death) {
        const file = join(base, `console-${new Date().toISOString().replace(/[:.]/g, "-")}.txt`);
        writeFileSync(file, r.death.console);
        const c = state.crashes[state.crashes.length - 1];
        c.trace += `\n(the VM's whole console: ${relative(ROOT, file)})`;
        const o = c.position === undefined ? undefined : state.outputs[c.position];
        if (o) o.crash = c.trace;
        const what =
          c.position === undefined
            ? "between frames (no frame to blame)"
            : `on frame ${inputs[c.position].id} (${inputs[c.position].section}, ${inputs[c.position].prefix})`;
        onProgress(
          `the guest's kernel died ${what}: ${traceHeadline(c.trace)}; ${parts.reduce((n, p) => n + p.positions.length, 0)} frames of this boot kept (console: ${relative(ROOT, file)})`,
        );
        onProgress(
          again
            ? `booting again with the ${pending(state).length} frames left (crash ${state.crashes.length}; at most ${MAX_CRASH_REBOOTS} boots after a crash)`
            : pending(state).length
              ? `not booting again: ${state.crashes.length} crashes, the bound is ${MAX_CRASH_REBOOTS}`
              : "no frame left",
        );
      }
      if (!again) break;
    } finally {
      rmSync(share, { recursive: true, force: true });
    }
  }
  return state.outputs.map(
    (o) => o ?? { verdict: "error", frames: [], back: [], reason: "the guest wrote no output for this frame" },
  );
}

/** Where the guest writes each finished chunk, and its note of the frame in flight, inside the share. */
const PARTS = "parts";
const NOTE = "in-flight";

/**
 * One boot on these inputs: the command's result, or how the VM died
 * (its console, and the frame the guest noted last). A VM that never came
 * up is an error as before: there is nothing to resume.
 */
async function bootOnce(
  kernel: PreparedKernel,
  mods: JoolModules,
  share: string,
  inputs: TranslatorInput[],
  onProgress: (m: string) => void,
): Promise<{ result?: VmResult; death?: { note?: number; console: string } }> {
  writeManifest(join(share, "manifest.json"), inputs);
  mkdirSync(join(share, PARTS));
  await bundleGuest(join(share, "guest.mjs"));
  const command = [
    "set -e",
    "modprobe x_tables",
    ...mods.modules.map((m) => `insmod ${shQuote(m)}`),
    // Any oops or soft lockup ends the VM at once (the frame in flight is then the one noted),
    // and the kernel's warnings reach the console (quiet hides them).
    "sysctl -qw kernel.panic_on_oops=1 kernel.softlockup_panic=1",
    "dmesg -n 5",
    `cd ${shQuote(ROOT)}`,
    `export NO_COLOR=1 NATLAB_IN_VM=${JOOL_KERNEL}`,
    `node ${shQuote(join(share, "guest.mjs"))} ${shQuote(join(share, "manifest.json"))} ${shQuote(join(share, PARTS))} ${shQuote(join(share, NOTE))} 2>&1 | cat`,
    `exit "\${PIPESTATUS[0]}"`,
    "",
  ].join("\n");
  onProgress(`booting ${kernel.version} under qemu with Jool ${mods.joolVersion} (${inputs.length} frames)`);
  let partial = "";
  // The guest's progress lines ("natlab translate: ...") as they come, the boot's noise left out.
  const onOutput = (text: string) => {
    partial += text;
    const lines = partial.split("\n");
    partial = lines.pop() ?? "";
    for (const l of lines) if (l.startsWith("natlab translate: ")) onProgress(`in the VM: ${l.slice(18)}`);
  };
  try {
    const result = await runInVm({
      kernel,
      command,
      shareDir: share,
      timeoutSec: guestTimeoutSec(inputs.length),
      onProgress,
      onOutput,
    });
    onProgress(
      `VM: ${result.bootSeconds.toFixed(1)} s to boot, ${(result.seconds - result.bootSeconds).toFixed(1)} s in the guest (${result.accel})`,
    );
    return { result };
  } catch (e) {
    if (!(e instanceof VmError)) throw e;
    if (!e.console.includes(VM_READY)) throw e;
    return { death: { note: readNote(join(share, NOTE)), console: e.console } };
  }
}

/** The line init.sh prints when the command starts: a VM that died after it ran our frames. */
const VM_READY = "natlab-vm: ready";

/** The position the guest noted last (noted-send.py), or undefined when it noted none. */
export function readNote(path: string): number | undefined {
  try {
    const n = Number(readFileSync(path, "utf8").trim());
    return Number.isInteger(n) && n >= 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** The guest's finished chunks (a part whose JSON is not whole was being written when the VM died). */
export function readParts(dir: string): Part[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => f.endsWith(".json"));
  } catch {
    return [];
  }
  const parts: Part[] = [];
  for (const n of names.sort()) {
    try {
      const path = join(dir, n);
      const raw = JSON.parse(readFileSync(path, "utf8")) as OutputsFile;
      parts.push({ positions: raw.positions ?? [], outputs: readOutputs(path) });
    } catch {
      // The VM died while writing it: its frames are run again.
    }
  }
  return parts;
}

/**
 * In the guest: the frames through Jool, each chunk's outputs written to
 * `partsDir` as soon as it is done, each input's position noted in
 * `noteFile` just before it is sent.
 */
export async function runJoolGuest(
  inputs: TranslatorInput[],
  partsDir: string,
  noteFile: string,
  onProgress: (m: string) => void,
): Promise<void> {
  let seq = 0;
  await runDatapath(joolDriver(), inputs, {
    onProgress,
    what: "jool",
    ...guestPace(inputs.length),
    // A fuzz run notes each frame (python starts per chunk: seconds under emulation); the golden
    // cases never stop Jool's kernel and keep tcpreplay's speed: a crash there resumes without a frame to blame.
    noteFile: inputs.length > NOTED_FROM ? noteFile : undefined,
    onChunk: (positions, outputs) => {
      writeOutputs(join(partsDir, `${String(seq++).padStart(5, "0")}.json`), outputs, positions);
    },
  });
}

/** outputs.json and its out.pcap, as written by writeOutputs. */
export function readOutputs(path: string): TranslatorOutput[] {
  const raw = JSON.parse(readFileSync(path, "utf8")) as OutputsFile;
  const frames = readPcap(join(dirname(path), raw.pcap)).frames.map((f) => f.data);
  return raw.outputs.map((o) => ({ ...o, frames: o.frames.map((k) => frames[k]), back: o.back.map((k) => frames[k]) }));
}

export function writeManifest(path: string, inputs: TranslatorInput[]): void {
  const pcap = `${basename(path, ".json")}.pcap`;
  writePcap(
    join(dirname(path), pcap),
    inputs.map((i) => i.frame),
  );
  const m: Manifest = { pcap, inputs: inputs.map((i) => ({ id: i.id, section: i.section, prefix: i.prefix })) };
  writeFileSync(path, JSON.stringify(m));
}

export function readManifest(path: string): TranslatorInput[] {
  const m = JSON.parse(readFileSync(path, "utf8")) as Manifest;
  const frames = readPcap(join(dirname(path), m.pcap)).frames;
  if (frames.length !== m.inputs.length)
    throw new Error(`${path}: ${m.inputs.length} inputs, but ${m.pcap} holds ${frames.length} frames`);
  return m.inputs.map((i, k) => ({ ...i, frame: frames[k].data }));
}

export function writeOutputs(path: string, outputs: TranslatorOutput[], positions?: number[]): void {
  const all: Buffer[] = [];
  const at = (f: Buffer) => all.push(f) - 1;
  const file: OutputsFile = {
    pcap: `${basename(path, ".json")}.pcap`,
    positions,
    outputs: outputs.map((o) => ({ ...o, frames: o.frames.map(at), back: o.back.map(at) })),
  };
  writePcap(join(dirname(path), file.pcap), all);
  writeFileSync(path, JSON.stringify(file));
}
