/**
 * Frames through a translator on a real datapath: two namespaces joined by
 * two veth pairs, the translator in one of them.
 *
 *   natlab-<run>-peer                         natlab-<run>-xlat
 *   s6 02:00:00:64:00:06  ════ veth ════  t6 02:00:00:64:01:06   (IPv6 side)
 *   s4 02:00:00:64:00:04  ════ veth ════  t4 02:00:00:64:01:04   (IPv4 side)
 *
 * A case's input is sent with tcpreplay on s6 (6to4) or s4 (4to6), so it
 * arrives on t6 or t4 as any frame from the wire does. What the translator
 * namespace sends out comes back into the peer namespace and is captured
 * there: on the other family's side "forward" (the translation, or an
 * untranslated frame routed on), on the input's side "back" (an ICMP error
 * the translator made itself). The peer has IPv6 off and no addresses: it
 * sends nothing of its own.
 *
 * Which output belongs to which input: after every input frame comes a
 * marker, a small UDP datagram any translator translates, carrying its
 * number. Frames captured between marker i-1 and marker i are input i's.
 * tcpreplay runs on one CPU (taskset) so the frames enter the kernel's
 * receive queue of one CPU, in order. The wait ends when the last marker has
 * arrived, bounded by a timeout (a translator that translates nothing ends
 * in an error that says so, never in a hang).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { embedIpv4 } from "../packet/prefix.ts";
import { onCleanup } from "../exec/cleanup.ts";
import { run } from "../exec/command.ts";
import { removeNamespace } from "../exec/netns.ts";
import { type Capture, startCapture } from "../flow/capture.ts";
import { isNoise } from "../match/index.ts";
import { build, parse, readPcap, writePcap } from "../packet/index.ts";
import { newRunId } from "../run/lab.ts";
import type { Section, TranslatorInput, TranslatorOutput } from "./types.ts";

export const MAC = {
  s6: "02:00:00:64:00:06",
  s4: "02:00:00:64:00:04",
  t6: "02:00:00:64:01:06",
  t4: "02:00:00:64:01:04",
} as const;
/** The peer's addresses as the translator namespace's next hops (static neighbours, never answered). */
export const GATEWAY = { v6Side6: "fe80::6", v4Side6: "fe80::4", v4Side4: "169.254.64.4" } as const;

/** The marker's addresses (documentation space, far from the cases' own .33 and .10). */
const MARKER_V4_SRC = "198.51.100.250";
const MARKER_V4_DST = "192.0.2.250";
const MARKER_PORT = 40064;
const MARKER_TEXT = "natlab-marker-";
/** The bound on a capture's start (tcpdump's "listening on"). */
const CAPTURE_START_SEC = 120;
/** Frames per second (markers included) unless the translator asks for fewer. */
const DEFAULT_PPS = 1000;

export interface DatapathContext {
  runId: string;
  /** The translator's namespace and the peer's (real names). */
  xlat: string;
  peer: string;
  tmp: string;
}

/** Thrown by a driver's configure when the translator cannot take a prefix: the group's cases are n/a, with the message as the reason. */
export class NotApplicableError extends Error {}

/** What a translator adds to the common topology. */
export interface DatapathDriver {
  /** After the veths exist and are up, before the first frame: tc, TUN, routes, the daemon. */
  setup(ctx: DatapathContext): Promise<void>;
  /** Make the translator use this prefix; called before each group whose prefix differs from the last. */
  configure(ctx: DatapathContext, prefix: string): Promise<void>;
  /** Undo what setup made outside the namespaces (the namespaces themselves go after). */
  teardown?(ctx: DatapathContext): Promise<void>;
}

export interface DatapathOptions {
  /** Frames per second tcpreplay sends (markers included); lower under emulation. */
  pps?: number;
  /**
   * Send one frame, wait for its marker, then the next: for a translator
   * whose path is slower than the kernel's own forwarding (a daemon behind a
   * TUN device), so an untranslated frame routed on cannot overtake it.
   */
  lockstep?: boolean;
  /** Seconds to wait for the last marker after the last frame was sent. */
  settleSec?: number;
  onProgress?: (message: string) => void;
}

/** Build the two namespaces and their veths; returns the context and a teardown. */
export async function buildDatapath(): Promise<{ ctx: DatapathContext; destroy: () => Promise<void> }> {
  const runId = newRunId();
  const ctx: DatapathContext = {
    runId,
    xlat: `natlab-${runId}-xlat`,
    peer: `natlab-${runId}-peer`,
    tmp: mkdtempSync(join(tmpdir(), `natlab-${runId}-xlat-`)),
  };
  const destroy = async () => {
    unregister();
    await removeNamespace(ctx.xlat);
    await removeNamespace(ctx.peer);
    rmSync(ctx.tmp, { recursive: true, force: true });
  };
  const unregister = onCleanup(`translator namespaces of run ${runId}`, destroy);
  const x = (argv: string[]) => run(argv, { ns: ctx.xlat });
  const p = (argv: string[]) => run(argv, { ns: ctx.peer });
  await run(["ip", "netns", "add", ctx.xlat]);
  await run(["ip", "netns", "add", ctx.peer]);
  // Quiet IPv6 in the translator namespace before any device exists: no DAD, no router
  // solicitations, no unsolicited MLD reports (they would sit between the markers).
  for (const conf of ["all", "default"]) {
    for (const [k, v] of [["accept_dad", 0], ["dad_transmits", 0], ["router_solicitations", 0], ["accept_ra", 0],
      ["mldv1_unsolicited_report_interval", 0], ["mldv2_unsolicited_report_interval", 0], ["forwarding", 1]] as const) {
      await x(["sysctl", "-qw", `net.ipv6.conf.${conf}.${k}=${v}`]);
    }
    await x(["sysctl", "-qw", `net.ipv4.conf.${conf}.rp_filter=0`]);
    await p(["sysctl", "-qw", `net.ipv6.conf.${conf}.disable_ipv6=1`]);
  }
  await x(["sysctl", "-qw", "net.ipv4.ip_forward=1"]);
  for (const side of ["6", "4"] as const) {
    const [t, s] = [`t${side}`, `s${side}`] as const;
    await run(["ip", "link", "add", t, "netns", ctx.xlat, "address", MAC[t], "type", "veth", "peer", "name", s, "netns", ctx.peer, "address", MAC[s]]);
    await p(["ip", "link", "set", s, "up"]);
    await x(["ip", "link", "set", t, "up"]);
  }
  await x(["ip", "link", "set", "lo", "up"]);
  // The peer as next hop, both families, on both sides: static, so nothing is ever resolved.
  await x(["ip", "-6", "neigh", "add", GATEWAY.v6Side6, "lladdr", MAC.s6, "dev", "t6", "nud", "permanent"]);
  await x(["ip", "-6", "neigh", "add", GATEWAY.v4Side6, "lladdr", MAC.s4, "dev", "t4", "nud", "permanent"]);
  await x(["ip", "neigh", "add", GATEWAY.v4Side4, "lladdr", MAC.s4, "dev", "t4", "nud", "permanent"]);
  return { ctx, destroy };
}

/** Inputs grouped by (prefix, section), in first-seen order, with their positions. */
function groups(inputs: TranslatorInput[]): { prefix: string; section: Section; at: number[] }[] {
  const out = new Map<string, { prefix: string; section: Section; at: number[] }>();
  inputs.forEach((inp, i) => {
    const key = `${inp.prefix} ${inp.section}`;
    if (!out.has(key)) out.set(key, { prefix: inp.prefix, section: inp.section, at: [] });
    out.get(key)?.at.push(i);
  });
  return [...out.values()];
}

/** Every input through the driver's translator; one output per input, in order. */
export async function runDatapath(driver: DatapathDriver, inputs: TranslatorInput[], opts: DatapathOptions = {}): Promise<TranslatorOutput[]> {
  const outputs: TranslatorOutput[] = inputs.map(() => ({ verdict: "error", frames: [], back: [], reason: "not run" }));
  const { ctx, destroy } = await buildDatapath();
  try {
    await driver.setup(ctx);
    let configured: string | undefined;
    let n = 0;
    for (const g of groups(inputs)) {
      if (g.prefix !== configured) {
        try {
          await driver.configure(ctx, g.prefix);
          configured = g.prefix;
        } catch (e) {
          if (!(e instanceof NotApplicableError)) throw e;
          for (const i of g.at) outputs[i] = { verdict: "n/a", frames: [], back: [], reason: e.message };
          configured = undefined;
          continue;
        }
      }
      opts.onProgress?.(`${g.section}, prefix ${g.prefix}: ${g.at.length} frames`);
      let todo = g.at;
      // A lost marker leaves its neighbours ambiguous: send those again, slower, twice at most.
      for (let attempt = 0; attempt < 3 && todo.length; attempt++) {
        const pps = Math.max(50, Math.round((opts.pps ?? DEFAULT_PPS) / 2 ** attempt));
        const got = await sendGroup(ctx, g.section, g.prefix, todo.map((i) => inputs[i].frame), `${n++}`, { ...opts, pps });
        todo.forEach((i, k) => {
          outputs[i] = classify(inputs[i].frame, got[k]);
        });
        todo = todo.filter((i) => outputs[i].verdict === "error" && outputs[i].reason?.startsWith(MARKER_LOST));
        if (todo.length) opts.onProgress?.(`${todo.length} frames again: a marker was lost (a loaded machine drops captured frames)`);
      }
    }
  } finally {
    await driver.teardown?.(ctx);
    await destroy();
  }
  return outputs;
}

/**
 * What came out, as a verdict: nothing forward is "shot"; a frame of the
 * input's own EtherType is "pass" (routed on untranslated); else "ok".
 */
export function classify(input: Buffer, out: TranslatorOutput): TranslatorOutput {
  if (out.verdict === "error" || out.frames.length === 0) return out;
  const sameFamily = out.frames[0].readUInt16BE(12) === input.readUInt16BE(12);
  return { ...out, verdict: sameFamily ? "pass" : "ok" };
}

/** The frame with the peer's MAC as source and the translator's as destination (unless the destination is a group). */
export function addressed(frame: Buffer, section: Section): Buffer {
  const f = Buffer.from(frame);
  const [s, t] = section === "6to4" ? [MAC.s6, MAC.t6] : [MAC.s4, MAC.t4];
  if ((f[0] & 1) === 0) Buffer.from(t.replaceAll(":", ""), "hex").copy(f, 0);
  Buffer.from(s.replaceAll(":", ""), "hex").copy(f, 6);
  return f;
}

/** Marker number `n`: a UDP datagram from one address of the prefix (or IPv4 space) to another. */
export function marker(section: Section, prefix: string, n: number): Buffer {
  const payload = { payload: { text: `${MARKER_TEXT}${n}` } };
  const udp = { udp: { sport: MARKER_PORT, dport: MARKER_PORT } };
  if (section === "6to4") {
    const ip = { ipv6: { src: embedIpv4(prefix, MARKER_V4_DST), dst: embedIpv4(prefix, MARKER_V4_SRC), hlim: 64 } };
    return build([{ eth: { src: MAC.s6, dst: MAC.t6 } }, ip, udp, payload]);
  }
  const ip = { ipv4: { src: MARKER_V4_SRC, dst: MARKER_V4_DST, ttl: 64, df: true, id: n & 0xffff } };
  return build([{ eth: { src: MAC.s4, dst: MAC.t4 } }, ip, udp, payload]);
}

/** The marker number a captured frame carries, or undefined when it is not a marker. */
export function markerNumber(frame: Buffer): number | undefined {
  const at = frame.indexOf(MARKER_TEXT);
  if (at < 0) return undefined;
  const n = Number(/^\d+/.exec(frame.subarray(at + MARKER_TEXT.length).toString("latin1"))?.[0]);
  return Number.isInteger(n) ? n : undefined;
}

interface Seen {
  ts: number;
  data: Buffer;
  forward: boolean;
}

/** One group: inputs with markers between them, captured on both sides, split by marker. */
async function sendGroup(ctx: DatapathContext, section: Section, prefix: string, frames: Buffer[], tag: string, opts: DatapathOptions): Promise<TranslatorOutput[]> {
  const [inDev, fwdDev] = section === "6to4" ? ["s6", "s4"] : ["s4", "s6"];
  const sendFile = join(ctx.tmp, `send-${tag}.pcap`);

  const seq = frames.flatMap((f, i) => [addressed(f, section), marker(section, prefix, i)]);
  writePcap(sendFile, seq.map((data, i) => ({ ts: i / 1000, data })));
  const files = { fwd: join(ctx.tmp, `fwd-${tag}.pcap`), back: join(ctx.tmp, `back-${tag}.pcap`) };
  const caps: Capture[] = [];
  try {
    // tcpdump starts in well under a second here, but in tens of seconds under emulation on a loaded host.
    caps.push(await startCapture(ctx.peer, fwdDev, files.fwd, "in", CAPTURE_START_SEC));
    caps.push(await startCapture(ctx.peer, inDev, files.back, "in", CAPTURE_START_SEC));
    const pps = opts.pps ?? DEFAULT_PPS;
    const replay = (file: string, frames: number) =>
      run(["taskset", "-c", "0", "tcpreplay", "-q", `--pps=${pps}`, "-i", inDev, file], { ns: ctx.peer, timeoutSec: 60 + frames / pps });
    if (!opts.lockstep) {
      await replay(sendFile, seq.length);
      await waitForMarker(files.fwd, frames.length - 1, opts.settleSec ?? 10);
    } else {
      // One frame and its marker at a time: nothing sent overtakes what is still being translated.
      for (let i = 0; i < frames.length; i++) {
        const one = join(ctx.tmp, `send-${tag}-${i}.pcap`);
        writePcap(one, [seq[2 * i], seq[2 * i + 1]].map((data, k) => ({ ts: k / 1000, data })));
        await replay(one, 2);
        // A marker that never comes: the rest would wait as long each; they are sent again or reported.
        if (!(await waitForMarker(files.fwd, i, opts.settleSec ?? 10))) break;
      }
    }
  } finally {
    for (const c of caps) await c.stop();
  }
  const seen: Seen[] = [
    ...readCapture(files.fwd).map((f) => ({ ...f, forward: true })),
    ...readCapture(files.back).map((f) => ({ ...f, forward: false })),
  ].sort((a, b) => a.ts - b.ts);
  return splitByMarker(seen, frames.length);
}

function readCapture(file: string): { ts: number; data: Buffer }[] {
  try {
    return readPcap(readFileSync(file)).frames.filter((f) => !isNoise(parse(f.data)));
  } catch {
    return [];
  }
}

/** Poll the forward capture until marker `last` is in it (true), or the bound runs out (false: the split says what is missing). */
async function waitForMarker(file: string, last: number, boundSec: number): Promise<boolean> {
  const until = performance.now() + boundSec * 1000;
  while (performance.now() < until) {
    if (readCapture(file).some((f) => markerNumber(f.data) === last)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/**
 * Frames between marker i-1 and marker i are input i's. When a marker is
 * missing (dropped by a loaded machine: a capture ring or a receive queue
 * overflowing), the outputs on either side of it cannot be told apart: both
 * inputs are an error "marker lost", and runDatapath sends them again.
 */
export function splitByMarker(seen: Seen[], count: number): TranslatorOutput[] {
  const out: TranslatorOutput[] = Array.from({ length: count }, () => ({ verdict: "shot", frames: [], back: [] }));
  const markers = new Set<number>();
  let current = 0;
  for (const f of seen) {
    const n = f.forward ? markerNumber(f.data) : undefined;
    if (n !== undefined) {
      markers.add(n);
      current = n + 1;
      continue;
    }
    if (current >= count) continue;
    (f.forward ? out[current].frames : out[current].back).push(f.data);
  }
  for (let i = 0; i < count; i++) {
    if (markers.has(i) && (i === 0 || markers.has(i - 1))) continue;
    out[i] = {
      verdict: "error",
      frames: [],
      back: [],
      reason: `${MARKER_LOST}: marker ${markers.has(i) ? i - 1 : i} (a UDP datagram sent after a frame) never came through (${markers.size} of ${count} arrived)`,
    };
  }
  return out;
}

const MARKER_LOST = "marker lost";

/** Write a file in the run's temp dir; returns its path. */
export function writeRunFile(ctx: DatapathContext, name: string, text: string): string {
  const path = join(ctx.tmp, name);
  writeFileSync(path, text);
  return path;
}
