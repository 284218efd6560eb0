/**
 * `tayga`: TAYGA (Debian's 0.9.2) in the translator namespace of
 * datapath.ts, on a persistent TUN device `nat64`. Policy routing sends
 * everything that arrives on t6 or t4 into the TUN device; TAYGA translates
 * and writes the result back into it; the main table routes that out of
 * the other side. The kernel forwards twice (into and out of the TUN
 * device) and TAYGA decrements once itself (RFC 7915 §4.1/§5.1, as a
 * router): three off the TTL/hop limit.
 *
 * Prefixes: TAYGA accepts RFC 6052's lengths but refuses 64:ff9b:1:fffe::/96
 * ("reserved address": a first byte of zero is allowed only in exactly
 * 64:ff9b::/96), natlab's default. Cases on that prefix run on TAYGA under
 * 2001:db8:d246::/96 instead: frames are rewritten on the way in and back on
 * the way out. The two prefixes have the same one's-complement sum (each
 * sums to 0xffff, zero), so every checksum of every frame is unchanged by
 * the rewrite, and the comparison is of TAYGA's own bytes. TAYGA also
 * refuses private and documentation IPv4 addresses with the well-known
 * 64:ff9b::/96; no case uses that prefix.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { onCleanup } from "../exec/cleanup.ts";
import { inNamespace, run, toolEnv } from "../exec/command.ts";
import { trackProcess } from "../exec/owner.ts";
import { parsePrefix } from "../packet/prefix.ts";
import { type DatapathContext, type DatapathDriver, GATEWAY, runDatapath, writeRunFile } from "./datapath.ts";
import { routerDiscardsFirst, routerNotApplicable, translationTooLong } from "./tc.ts";
import type { Translator, TranslatorInput, TranslatorOutput, TranslatorSpec } from "./types.ts";

/** natlab's default prefix, which TAYGA refuses, and the checksum-equivalent one it runs under instead. */
export const TAYGA_PREFIX_ALIAS: Record<string, string> = { "64:ff9b:1:fffe::/96": "2001:db8:d246::/96" };
/** TAYGA's own addresses (sources of the ICMP errors it sends); no case uses them. */
const TAYGA_IPV4 = "192.0.0.170";
const TABLE_INTO_TUN = "64";
const TUN = "nat64";

export function taygaTranslator(spec: TranslatorSpec): Translator {
  return {
    spec,
    title: "TAYGA 0.9.2 (Debian) in a namespace, TUN device nat64, policy routes into it",
    rules: { ttlDecrement: { "6to4": 3, "4to6": 3 }, compareEthernet: false, passMeaning: "not-translated" },
    notApplicable: (inp) =>
      routerNotApplicable(inp, 3) ?? routerDiscardsFirst(inp.frame) ?? translationTooLong(inp.frame),
    run: async (inputs, onProgress) =>
      unalias(await runDatapath(taygaDriver(), inputs.map(alias), { onProgress, lockstep: true, what: "tayga" })),
  };
}

/** The prefix bytes to replace: the first 12 bytes of a /96 (the only length aliased). */
function prefixBytes(prefix: string): Buffer {
  return Buffer.from(parsePrefix(prefix).bytes.subarray(0, 12));
}

function replaceAll(frame: Buffer, from: Buffer, to: Buffer): Buffer {
  const out = Buffer.from(frame);
  for (let at = out.indexOf(from); at >= 0; at = out.indexOf(from, at + to.length)) to.copy(out, at);
  return out;
}

function alias(inp: TranslatorInput): TranslatorInput {
  const to = TAYGA_PREFIX_ALIAS[inp.prefix];
  if (!to) return inp;
  return { ...inp, prefix: to, frame: replaceAll(inp.frame, prefixBytes(inp.prefix), prefixBytes(to)) };
}

function unalias(outputs: TranslatorOutput[]): TranslatorOutput[] {
  let out = outputs;
  for (const [from, to] of Object.entries(TAYGA_PREFIX_ALIAS)) {
    const [a, b] = [prefixBytes(to), prefixBytes(from)];
    out = out.map((o) => ({
      ...o,
      frames: o.frames.map((f) => replaceAll(f, a, b)),
      back: o.back.map((f) => replaceAll(f, a, b)),
    }));
  }
  return out;
}

function taygaDriver(): DatapathDriver {
  let daemon: ChildProcess | undefined;
  let log = "";
  let unregister = () => {};
  let forget = () => {};
  const stop = async () => {
    unregister();
    if (!daemon || daemon.exitCode !== null) return forget();
    const done = new Promise((r) => daemon?.once("exit", r));
    daemon.kill("SIGTERM");
    await done;
    forget();
  };
  return {
    async setup(ctx) {
      const x = (argv: string[]) => run(argv, { ns: ctx.xlat });
      await x(["ip", "tuntap", "add", "dev", TUN, "mode", "tun"]);
      await x(["ip", "link", "set", TUN, "up"]);
      for (const [fam, dev] of [
        ["-6", "t6"],
        ["-4", "t4"],
      ]) {
        await x(["ip", fam, "rule", "add", "iif", dev, "table", TABLE_INTO_TUN, "pref", "100"]);
        await x(["ip", fam, "route", "add", "default", "dev", TUN, "table", TABLE_INTO_TUN]);
      }
      await x(["ip", "-6", "route", "add", "default", "via", GATEWAY.v6Side6, "dev", "t6"]);
      await x(["ip", "-4", "route", "add", "default", "via", GATEWAY.v4Side4, "dev", "t4", "onlink"]);
    },
    async configure(ctx, prefix) {
      await stop();
      const conf = writeRunFile(ctx, "tayga.conf", `tun-device ${TUN}\nipv4-addr ${TAYGA_IPV4}\nprefix ${prefix}\n`);
      const argv = inNamespace(["tayga", "--nodetach", "--config", conf], ctx.xlat);
      log = "";
      const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"], env: toolEnv() });
      daemon = child;
      // In the owner record of the run: a SIGKILLed natlab leaves it to the next command's sweep.
      forget = trackProcess(child.pid, `tayga in ${ctx.xlat}`);
      child.stdout?.on("data", (d: Buffer) => {
        log += d.toString();
      });
      child.stderr?.on("data", (d: Buffer) => {
        log += d.toString();
      });
      unregister = onCleanup(`tayga in ${ctx.xlat}`, stop);
      await waitForCarrier(ctx, child, () => log, prefix);
    },
    teardown: stop,
  };
}

/** TAYGA is reading the TUN device once it has carrier; it exiting first is an error with its own words. */
async function waitForCarrier(
  ctx: DatapathContext,
  child: ChildProcess,
  log: () => string,
  prefix: string,
): Promise<void> {
  const until = performance.now() + 10_000;
  while (performance.now() < until) {
    if (child.exitCode !== null)
      throw new Error(`tayga exited (${child.exitCode}) with prefix ${prefix}: ${log().trim()}`);
    const r = await run(["ip", "-o", "link", "show", TUN], { ns: ctx.xlat, allowFail: true });
    if (/[<,]LOWER_UP[,>]/.test(r.stdout)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`tayga did not open ${TUN} within 10 s (prefix ${prefix}): ${log().trim()}`);
}
