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
import { join } from "node:path";
import { run } from "../../exec/command.ts";
import { ROOT } from "../../root.ts";
import { shQuote } from "../../text/shell.ts";
import { prepareKernel } from "../../vm/kernels.ts";
import { crashOf } from "../../vm/labs.ts";
import { runInVm } from "../../vm/qemu.ts";
import { type DatapathDriver, GATEWAY, runDatapath } from "../datapath.ts";
import { routerNotApplicable } from "../tc.ts";
import type { Translator, TranslatorInput, TranslatorOutput, TranslatorSpec } from "../types.ts";
import { prepareJoolModules } from "./modules.ts";

export const JOOL_KERNEL = "debian-6.1";
const INSTANCE = "natlab";
/** Jool's hops: its own decrement, once (no kernel forwarding on its path). */
export const JOOL_HOPS = 1;

export function joolTranslator(spec: TranslatorSpec): Translator {
  return {
    spec,
    title: `Jool SIIT 4.1.9 (Debian jool-dkms) in a namespace of the ${JOOL_KERNEL} VM, netfilter mode`,
    rules: { ttlDecrement: { "6to4": JOOL_HOPS, "4to6": JOOL_HOPS }, compareEthernet: false, passMeaning: "not-translated" },
    notApplicable: (inp) => routerNotApplicable(inp, JOOL_HOPS),
    run: (inputs, onProgress) => (process.env.NATLAB_IN_VM ? runDatapath(joolDriver(), inputs, { onProgress, pps: 500, settleSec: 30 }) : runInGuest(inputs, onProgress)),
  };
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

interface Manifest {
  inputs: { id: string; section: TranslatorInput["section"]; prefix: string; frame: string }[];
}

/** On the host: the frames into the VM and the outputs back. */
async function runInGuest(inputs: TranslatorInput[], onProgress: (m: string) => void = () => {}): Promise<TranslatorOutput[]> {
  const kernel = await prepareKernel(JOOL_KERNEL, { onProgress });
  const mods = await prepareJoolModules(kernel, onProgress);
  const base = join(ROOT, "results", ".translate");
  mkdirSync(base, { recursive: true });
  const share = mkdtempSync(join(base, "jool-"));
  try {
    const manifest: Manifest = { inputs: inputs.map((i) => ({ id: i.id, section: i.section, prefix: i.prefix, frame: i.frame.toString("hex") })) };
    writeFileSync(join(share, "manifest.json"), JSON.stringify(manifest));
    const out = join(share, "outputs.json");
    const command = [
      "set -e",
      "modprobe x_tables",
      ...mods.modules.map((m) => `insmod ${shQuote(m)}`),
      `cd ${shQuote(ROOT)}`,
      `export NO_COLOR=1 NATLAB_IN_VM=${JOOL_KERNEL}`,
      `bin/natlab translate --translator jool --manifest ${shQuote(join(share, "manifest.json"))} --out ${shQuote(out)} 2>&1 | cat`,
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
    let r = await runInVm({ kernel, command, shareDir: share, timeoutSec: 900, onProgress, onOutput });
    // node under emulation dies now and then (a signal, or its loader's internal error): one more boot, as for labs.
    const crash = crashOf(r);
    if (crash) {
      onProgress(`natlab itself crashed inside the VM (${crash}; an emulator failure, not Jool's): booting once more`);
      r = await runInVm({ kernel, command, shareDir: share, timeoutSec: 900, onProgress, onOutput });
    }
    if (r.exitCode !== 0) throw new Error(`natlab translate --translator jool failed in the VM (exit ${r.exitCode}):\n${r.output.trim().split("\n").slice(-15).join("\n")}`);
    return readOutputs(out);
  } finally {
    rmSync(share, { recursive: true, force: true });
  }
}

/** outputs.json as written by `natlab translate`: frames in hex. */
export function readOutputs(path: string): TranslatorOutput[] {
  const raw = JSON.parse(readFileSync(path, "utf8")) as { outputs: (Omit<TranslatorOutput, "frames" | "back"> & { frames: string[]; back: string[] })[] };
  return raw.outputs.map((o) => ({ ...o, frames: o.frames.map((h) => Buffer.from(h, "hex")), back: o.back.map((h) => Buffer.from(h, "hex")) }));
}

export function readManifest(path: string): TranslatorInput[] {
  const m = JSON.parse(readFileSync(path, "utf8")) as Manifest;
  return m.inputs.map((i) => ({ ...i, frame: Buffer.from(i.frame, "hex") }));
}

export function writeOutputs(path: string, outputs: TranslatorOutput[]): void {
  const hex = outputs.map((o) => ({ ...o, frames: o.frames.map((f) => f.toString("hex")), back: o.back.map((f) => f.toString("hex")) }));
  writeFileSync(path, JSON.stringify({ outputs: hex }));
}
