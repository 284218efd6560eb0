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
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { run } from "../../exec/command.ts";
import { readPcap, writePcap } from "../../packet/index.ts";
import { ROOT } from "../../root.ts";
import { shQuote } from "../../text/shell.ts";
import { prepareKernel } from "../../vm/kernels.ts";
import { crashOf } from "../../vm/labs.ts";
import { runInVm, VmError } from "../../vm/qemu.ts";
import { type DatapathDriver, GATEWAY, runDatapath } from "../datapath.ts";
import { routerNotApplicable } from "../tc.ts";
import type { Translator, TranslatorInput, TranslatorOutput, TranslatorSpec } from "../types.ts";
import { bundleGuest } from "./bundle.ts";
import { prepareJoolModules } from "./modules.ts";

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
    notApplicable: (inp) => routerNotApplicable(inp, JOOL_HOPS),
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
  outputs: (Omit<TranslatorOutput, "frames" | "back"> & { frames: number[]; back: number[] })[];
}

/** On the host: the frames into the VM and the outputs back. */
async function runInGuest(
  inputs: TranslatorInput[],
  onProgress: (m: string) => void = () => {},
): Promise<TranslatorOutput[]> {
  const kernel = await prepareKernel(JOOL_KERNEL, { onProgress });
  const mods = await prepareJoolModules(kernel, onProgress);
  const base = join(ROOT, "results", ".translate");
  mkdirSync(base, { recursive: true });
  const share = mkdtempSync(join(base, "jool-"));
  try {
    writeManifest(join(share, "manifest.json"), inputs);
    await bundleGuest(join(share, "guest.mjs"));
    const out = join(share, "outputs.json");
    const command = [
      "set -e",
      "modprobe x_tables",
      ...mods.modules.map((m) => `insmod ${shQuote(m)}`),
      `cd ${shQuote(ROOT)}`,
      `export NO_COLOR=1 NATLAB_IN_VM=${JOOL_KERNEL}`,
      `node ${shQuote(join(share, "guest.mjs"))} ${shQuote(join(share, "manifest.json"))} ${shQuote(out)} 2>&1 | cat`,
      `exit "\${PIPESTATUS[0]}"`,
      "",
    ].join("\n");
    onProgress(`booting ${kernel.version} under qemu with Jool ${mods.joolVersion} (${inputs.length} frames)`);
    let pending = "";
    // The guest's progress lines ("natlab translate: ...") as they come, the boot's noise left out.
    const onOutput = (text: string) => {
      pending += text;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const l of lines) if (l.startsWith("natlab translate: ")) onProgress(`in the VM: ${l.slice(18)}`);
    };
    const boot = async () => {
      try {
        return await runInVm({
          kernel,
          command,
          shareDir: share,
          timeoutSec: guestTimeoutSec(inputs.length),
          onProgress,
          onOutput,
        });
      } catch (e) {
        // A frame that panics or locks up Jool's kernel ends the VM: its whole console, for the call trace.
        if (!(e instanceof VmError)) throw e;
        const file = join(base, `console-${new Date().toISOString().replace(/[:.]/g, "-")}.txt`);
        writeFileSync(file, e.console);
        throw new Error(`${e.message}\n(the VM's whole console: ${file})`);
      }
    };
    let r = await boot();
    // node under emulation dies now and then (a signal, or its loader's internal error): one more boot, as for labs.
    const crash = crashOf(r);
    if (crash) {
      onProgress(`natlab itself crashed inside the VM (${crash}; an emulator failure, not Jool's): booting once more`);
      r = await boot();
    }
    onProgress(
      `VM: ${r.bootSeconds.toFixed(1)} s to boot, ${(r.seconds - r.bootSeconds).toFixed(1)} s in the guest (${r.accel})`,
    );
    if (r.exitCode !== 0)
      throw new Error(
        `natlab translate --translator jool failed in the VM (exit ${r.exitCode}):\n${r.output.trim().split("\n").slice(-15).join("\n")}`,
      );
    return readOutputs(out);
  } finally {
    rmSync(share, { recursive: true, force: true });
  }
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

export function writeOutputs(path: string, outputs: TranslatorOutput[]): void {
  const all: Buffer[] = [];
  const at = (f: Buffer) => all.push(f) - 1;
  const file: OutputsFile = {
    pcap: `${basename(path, ".json")}.pcap`,
    outputs: outputs.map((o) => ({ ...o, frames: o.frames.map(at), back: o.back.map(at) })),
  };
  writePcap(join(dirname(path), file.pcap), all);
  writeFileSync(path, JSON.stringify(file));
}
