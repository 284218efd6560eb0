/**
 * `bpf-tc` and `bpf:PATH`: a tc translator on a router's device, as the
 * write-up attaches it. In the translator namespace of datapath.ts, t4 (the
 * IPv4 side) carries `4to6` at ingress and `6to4` at egress (clsact, direct
 * action). An IPv6 frame arriving on t6 is forwarded by the kernel to t4
 * (policy routing: what comes in on t6 leaves by t4), where `6to4` makes it
 * IPv4 on the way out; an IPv4 frame arriving on t4 becomes IPv6 at ingress
 * and the kernel forwards it out of t6. The kernel's forwarding counts the
 * router's hop: one off the TTL/hop limit, each way.
 *
 * Configuration: bpf-tc writes the prefix into nat64_config as the labs do.
 * A bpf:PATH translator has a map layout natlab does not know: its maps are
 * pinned in a bpffs of the run's own (mounted in the run's temp dir, never
 * /sys/fs/bpf), and --configure CMD runs after loading and after each
 * prefix change, before the frames, with:
 *   NATLAB_PREFIX        the prefix to configure, e.g. 64:ff9b:1:fffe::/96
 *   NATLAB_MAPS          the pin directory: $NATLAB_MAPS/<6to4|4to6>/<map name>
 *   NATLAB_MAP_<SECTION>_<MAP>  each pinned map's path (names upper-cased, non-alphanumerics as _)
 *   NATLAB_NS            the translator's namespace (for ip netns exec)
 * The hook exits 77 when the translator cannot take the prefix (a /64, say):
 * that prefix's cases are "not applicable", with the hook's message as the
 * reason. Any other failure stops the run.
 */

import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { NAT64_OBJECT } from "../bpf/build.ts";
import { attachedPrograms, type Hook, programInfo, writePrefix } from "../bpf/config.ts";
import { run } from "../exec/command.ts";
import { linuxDiscardsHopByHop } from "../packet/linux-hbh.ts";
import { translatedIpv6Size } from "../packet/translated-size.ts";
import { type DatapathContext, type DatapathDriver, GATEWAY, NotApplicableError, runDatapath } from "./datapath.ts";
import type { Section, Translator, TranslatorSpec } from "./types.ts";

/** Where each section is attached on t4. */
const HOOK: Record<Section, Hook> = { "6to4": "egress", "4to6": "ingress" };
/** The configure hook's exit status for "this translator cannot take the prefix" (automake's SKIP). */
export const CONFIGURE_NOT_APPLICABLE = 77;
/** Policy routing table for what arrives on t6. */
const TABLE_FROM_V6 = "64";

export function tcTranslator(spec: TranslatorSpec): Translator {
  const object = spec.object ?? NAT64_OBJECT;
  const sections = spec.sections ?? { "6to4": "6to4", "4to6": "4to6" };
  const foreign = spec.kind === "bpf-path";
  const driver = tcDriver(object, sections, foreign ? spec.configure : undefined, foreign);
  return {
    spec,
    title: `${object} attached with tc to a router's veth (t4: ${sections["4to6"]} at ingress, ${sections["6to4"]} at egress)`,
    rules: { ttlDecrement: { "6to4": 1, "4to6": 1 }, compareEthernet: false, passMeaning: "not-translated" },
    notApplicable: (inp) =>
      routerNotApplicable(inp, 1) ?? routerDiscardsFirst(inp.frame) ?? translationTooLong(inp.frame),
    run: (inputs, onProgress) => runDatapath(driver, inputs, { onProgress, what: spec.name }),
  };
}

/**
 * Cases a router cannot run, whatever translates on it: a TTL or hop limit
 * that the forwarding path expires before any translator sees the packet;
 * a multicast destination, IP or Ethernet (forwarded only by a multicast
 * router); a broadcast that is not IP.
 */
export function routerNotApplicable(inp: { section: Section; frame: Buffer }, hops: number): string | undefined {
  const f = inp.frame;
  const type = f.readUInt16BE(12);
  if (type === 0x86dd && f.length >= 14 + 40) {
    if (f[14 + 7] <= hops)
      return `hop limit ${f[14 + 7]}: a router's forwarding expires it (ICMPv6 Time Exceeded) before it is translated`;
    if (f[14 + 24] === 0xff) return "IPv6 multicast destination: a router forwards it only with multicast routing";
  }
  if (type === 0x0800 && f.length >= 14 + 20) {
    if (f[14 + 8] <= hops)
      return `TTL ${f[14 + 8]}: a router's forwarding expires it (ICMP Time Exceeded) before it is translated`;
    if ((f[14 + 16] & 0xf0) === 0xe0)
      return "IPv4 multicast destination: a router forwards it only with multicast routing";
  }
  if ((f[0] & 1) === 1 && type !== 0x86dd && type !== 0x0800)
    return "a broadcast frame that is not IP: nothing a router forwards";
  if ((f[0] & 1) === 1)
    return "an Ethernet group destination: a router forwards only frames addressed to it (labs/multicast.yaml runs this end to end)";
  return undefined;
}

/** The MTU of a datapath translator's links: veth's default (ETH_DATA_LEN). */
export const DATAPATH_LINK_MTU = 1500;

/**
 * Why a router cannot carry this frame's translation, or undefined: an
 * IPv4 packet whose IPv6 form (`translated` bytes of IP when known, else
 * as RFC 7915 §4.1 sizes it: translatedIpv6Size()) is longer than the
 * link it leaves on. The
 * link refuses it and the router answers the sender itself (Packet Too
 * Big, or Jool's Fragmentation Needed), whatever translates; natlab's
 * program, which knows no MTU, translates it whole
 * (`ip-header/4to6-df-set-1500-byte-packet-grows-to-1520`).
 */
export function translationTooLong(frame: Buffer, translated?: number): string | undefined {
  const size = translated ?? translatedIpv6Size(frame);
  return size !== undefined && size > DATAPATH_LINK_MTU
    ? `translated, longer than the router's link MTU (${DATAPATH_LINK_MTU} bytes of IP): the link refuses it, whatever translates`
    : undefined;
}

/**
 * Why a router on the host's Linux never hands this frame to a translator
 * behind its forwarding (a tc program at egress, TAYGA's TUN device), or
 * undefined: a Hop-by-Hop header ip6_rcv_core() discards (RFC 8200 §4.2,
 * an unknown option whose action bits say discard, and the rest of Linux's
 * checks, harness/fuzz/explain/router.ts). Jool hooks in PREROUTING, after
 * the same parse: its column is decided in compare-decisions.yaml instead,
 * so that the fuzzer's frames (and their cache) stay as they are.
 */
export function routerDiscardsFirst(frame: Buffer): string | undefined {
  return frame.length >= 14 && frame.readUInt16BE(12) === 0x86dd && linuxDiscardsHopByHop(frame)
    ? "a Hop-by-Hop header the router's Linux discards on receipt (RFC 8200 §4.2), before any translator"
    : undefined;
}

function tcDriver(
  object: string,
  sections: Record<Section, string>,
  configure: string | undefined,
  pin: boolean,
): DatapathDriver {
  const bpffs = (ctx: DatapathContext) => join(ctx.tmp, "bpffs");
  // A fresh bpffs holds the kernel's own iterator files: the pins go in a directory of their own.
  const pins = (ctx: DatapathContext) => join(bpffs(ctx), "maps");
  return {
    async setup(ctx) {
      const x = (argv: string[]) => run(argv, { ns: ctx.xlat });
      await x(["tc", "qdisc", "add", "dev", "t4", "clsact"]);
      for (const s of ["4to6", "6to4"] as const) {
        await x(["tc", "filter", "add", "dev", "t4", HOOK[s], "bpf", "da", "obj", object, "sec", sections[s]]);
      }
      await x(["ip", "-6", "rule", "add", "iif", "t6", "table", TABLE_FROM_V6, "pref", "100"]);
      await x(["ip", "-6", "route", "add", "default", "via", GATEWAY.v4Side6, "dev", "t4", "table", TABLE_FROM_V6]);
      await x(["ip", "-6", "route", "add", "default", "via", GATEWAY.v6Side6, "dev", "t6"]);
      if (pin) {
        mkdirSync(bpffs(ctx), { recursive: true });
        // Unmounted by the sweep too (before the temp dir goes) if natlab is killed.
        ctx.owner?.record.teardown.push({ argv: ["umount", bpffs(ctx)] });
        ctx.owner?.save();
        await run(["mount", "-t", "bpf", "bpf", bpffs(ctx)]);
        for (const s of ["4to6", "6to4"] as const) {
          const [id] = await attachedPrograms(ctx.xlat, "t4", HOOK[s]);
          if (id === undefined)
            throw new Error(`tc attached no program from ${object} section ${sections[s]} on t4 ${HOOK[s]}`);
          const info = await programInfo(id);
          mkdirSync(join(pins(ctx), s), { recursive: true });
          for (const [name, mapId] of Object.entries(info.maps)) {
            await run(["bpftool", "map", "pin", "id", String(mapId), join(pins(ctx), s, name)]);
          }
        }
      }
    },
    async configure(ctx, prefix) {
      if (!pin) {
        for (const s of ["4to6", "6to4"] as const) await writePrefix(ctx.xlat, "t4", HOOK[s], prefix);
        return;
      }
      if (!configure) return;
      const r = await run(["sh", "-c", configure], {
        allowFail: true,
        timeoutSec: 60,
        env: mapEnv(pins(ctx), prefix, ctx.xlat),
      });
      if (r.exitCode === CONFIGURE_NOT_APPLICABLE) {
        throw new NotApplicableError(
          `--configure: ${(r.stderr || r.stdout).trim() || `exit ${CONFIGURE_NOT_APPLICABLE}: cannot take prefix ${prefix}`}`,
        );
      }
      if (r.exitCode !== 0) {
        throw new Error(
          `--configure \`${configure}\` exited with ${r.exitCode} for prefix ${prefix}:\n  ${(r.stderr || r.stdout).trim()}`,
        );
      }
    },
    async teardown(ctx) {
      if (pin) await run(["umount", bpffs(ctx)], { allowFail: true });
    },
  };
}

/** The configure hook's environment: the prefix, the pin directory and one variable per pinned map. */
function mapEnv(dir: string, prefix: string, ns: string): Record<string, string> {
  const env: Record<string, string> = { NATLAB_PREFIX: prefix, NATLAB_MAPS: dir, NATLAB_NS: ns };
  for (const s of readdirSync(dir)) {
    for (const m of readdirSync(join(dir, s))) {
      env[`NATLAB_MAP_${s}_${m}`.toUpperCase().replace(/[^A-Z0-9_]/g, "_")] = join(dir, s, m);
    }
  }
  return env;
}
