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
import { closeSync, fstatSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onCleanup } from "../exec/cleanup.ts";
import { run } from "../exec/command.ts";
import { removeNamespace } from "../exec/netns.ts";
import { Owner, ownerScope, setCurrentOwner } from "../exec/owner.ts";
import { type Capture, startCapture, untilQuiet } from "../flow/capture.ts";
import { isNoise } from "../match/index.ts";
import { build, parse, writePcap } from "../packet/index.ts";
import { embedIpv4 } from "../packet/prefix.ts";
import { ROOT } from "../root.ts";
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
/** Frames sent between two reads of the captures (and sent again when a marker among them is lost). */
const DEFAULT_CHUNK = 500;

export interface DatapathContext {
  runId: string;
  /** The translator's namespace and the peer's (real names). */
  xlat: string;
  peer: string;
  tmp: string;
  /** The owner record of the run (harness/exec/owner.ts): what a SIGKILL leaves is swept from it. */
  owner?: Owner;
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
  /** Frames per chunk (default 500): sent in one tcpreplay, then split by marker. */
  chunk?: number;
  /** What the owner record names the run after, e.g. "tayga". */
  what?: string;
  onProgress?: (message: string) => void;
  /**
   * Send with noted-send.py instead of tcpreplay, writing each input's
   * position in `inputs` over this file just before the frame goes: for a
   * translator that may panic its kernel (Jool), the file then names the
   * frame in flight.
   */
  noteFile?: string;
  /** Each chunk's outputs as soon as they are known (positions in `inputs`): kept by a caller whose kernel may die. */
  onChunk?: (positions: number[], outputs: TranslatorOutput[]) => void;
}

/** Build the two namespaces and their veths, recorded under an owner of their own; returns the context and a teardown. */
export async function buildDatapath(
  what = "translator",
): Promise<{ ctx: DatapathContext; destroy: () => Promise<void> }> {
  const runId = newRunId();
  const ctx: DatapathContext = {
    runId,
    xlat: `natlab-${runId}-xlat`,
    peer: `natlab-${runId}-peer`,
    tmp: mkdtempSync(join(tmpdir(), `natlab-${runId}-xlat-`)),
  };
  // The record exists before the first namespace, and lists both: a SIGKILL at any moment
  // leaves them to the sweep of the next natlab command (harness/exec/sweep.ts).
  const owner = new Owner({
    runId,
    lab: `${what} (datapath)`,
    kind: "run",
    namespaces: [ctx.xlat, ctx.peer],
    temp: [ctx.tmp],
  });
  ctx.owner = owner;
  setCurrentOwner(owner);
  const destroy = async () => {
    unregister();
    await removeNamespace(ctx.xlat);
    await removeNamespace(ctx.peer);
    rmSync(ctx.tmp, { recursive: true, force: true });
    owner.remove();
  };
  const unregister = onCleanup(`translator namespaces of run ${runId}`, destroy);
  const x = (argv: string[]) => run(argv, { ns: ctx.xlat });
  const p = (argv: string[]) => run(argv, { ns: ctx.peer });
  await run(["ip", "netns", "add", ctx.xlat]);
  await run(["ip", "netns", "add", ctx.peer]);
  // Quiet IPv6 in the translator namespace before any device exists: no DAD, no router
  // solicitations, no unsolicited MLD reports (they would sit between the markers).
  for (const conf of ["all", "default"]) {
    for (const [k, v] of [
      ["accept_dad", 0],
      ["dad_transmits", 0],
      ["router_solicitations", 0],
      ["accept_ra", 0],
      ["mldv1_unsolicited_report_interval", 0],
      ["mldv2_unsolicited_report_interval", 0],
      ["forwarding", 1],
    ] as const) {
      await x(["sysctl", "-qw", `net.ipv6.conf.${conf}.${k}=${v}`]);
    }
    await x(["sysctl", "-qw", `net.ipv4.conf.${conf}.rp_filter=0`]);
    await p(["sysctl", "-qw", `net.ipv6.conf.${conf}.disable_ipv6=1`]);
  }
  await x(["sysctl", "-qw", "net.ipv4.ip_forward=1"]);
  for (const side of ["6", "4"] as const) {
    const [t, s] = [`t${side}`, `s${side}`] as const;
    await run([
      "ip",
      "link",
      "add",
      t,
      "netns",
      ctx.xlat,
      "address",
      MAC[t],
      "type",
      "veth",
      "peer",
      "name",
      s,
      "netns",
      ctx.peer,
      "address",
      MAC[s],
    ]);
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
  // One prefix's two sections side by side: the translator is configured once per prefix.
  return [...out.values()].sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
}

/**
 * Every input through the driver's translator; one output per input, in
 * order. The two captures run for the whole run (under emulation tcpdump
 * takes seconds to start: once, not once per group), the markers are
 * numbered across the run, and a group is sent in chunks, so a lost
 * marker costs a chunk's resend and never a wait on a huge file.
 */
export function runDatapath(
  driver: DatapathDriver,
  inputs: TranslatorInput[],
  opts: DatapathOptions = {},
): Promise<TranslatorOutput[]> {
  // An owner of its own per run: compare runs several translators at once in one process.
  return ownerScope(() => runDatapathOwned(driver, inputs, opts));
}

async function runDatapathOwned(
  driver: DatapathDriver,
  inputs: TranslatorInput[],
  opts: DatapathOptions,
): Promise<TranslatorOutput[]> {
  const outputs: TranslatorOutput[] = inputs.map(() => ({ verdict: "error", frames: [], back: [], reason: "not run" }));
  const { ctx, destroy } = await buildDatapath(opts.what);
  // Set here, not only inside buildDatapath: an async function's context does not flow back to its caller.
  setCurrentOwner(ctx.owner);
  let taps: Taps | undefined;
  const timing = { setup: 0, configure: 0, captures: 0, frames: 0 };
  const clock = () => performance.now() / 1000;
  try {
    let t0 = clock();
    await driver.setup(ctx);
    timing.setup = clock() - t0;
    t0 = clock();
    // tcpdump starts in well under a second here, but in tens of seconds under emulation on a loaded host.
    taps = await Taps.start(ctx);
    timing.captures = clock() - t0;
    let configured: string | undefined;
    const chunk = opts.chunk ?? DEFAULT_CHUNK;
    let done = 0;
    for (const g of groups(inputs)) {
      if (g.prefix !== configured) {
        t0 = clock();
        try {
          await driver.configure(ctx, g.prefix);
          configured = g.prefix;
        } catch (e) {
          if (!(e instanceof NotApplicableError)) throw e;
          for (const i of g.at) outputs[i] = { verdict: "n/a", frames: [], back: [], reason: e.message };
          opts.onChunk?.(
            g.at,
            g.at.map((i) => outputs[i]),
          );
          configured = undefined;
          continue;
        } finally {
          timing.configure += clock() - t0;
        }
      }
      opts.onProgress?.(`${g.section}, prefix ${g.prefix}: ${g.at.length} frames`);
      t0 = clock();
      for (let from = 0; from < g.at.length; from += chunk) {
        const positions = g.at.slice(from, from + chunk);
        let todo = positions;
        // A lost marker leaves its neighbours ambiguous: send those again, slower, twice at most.
        for (let attempt = 0; attempt < 3 && todo.length; attempt++) {
          const pps = Math.max(50, Math.round((opts.pps ?? DEFAULT_PPS) / 2 ** attempt));
          const got = await sendChunk(
            ctx,
            taps,
            g.section,
            g.prefix,
            todo.map((i) => inputs[i].frame),
            { ...opts, pps },
            todo,
          );
          todo.forEach((i, k) => {
            outputs[i] = classify(inputs[i].frame, got[k]);
          });
          todo = todo.filter((i) => outputs[i].verdict === "error" && outputs[i].reason?.startsWith(MARKER_LOST));
          if (todo.length)
            opts.onProgress?.(
              `${todo.length} frames again: a marker was lost (a loaded machine drops captured frames)`,
            );
        }
        opts.onChunk?.(
          positions,
          positions.map((i) => outputs[i]),
        );
        done += Math.min(chunk, g.at.length - from);
        if (g.at.length > chunk) opts.onProgress?.(`${done} of ${inputs.length} frames`);
      }
      timing.frames += clock() - t0;
    }
  } finally {
    await taps?.stop();
    await driver.teardown?.(ctx);
    await destroy();
  }
  const s = (x: number) => `${x.toFixed(1)} s`;
  opts.onProgress?.(
    `time: setup ${s(timing.setup)}, captures ${s(timing.captures)}, configure ${s(timing.configure)}, frames ${s(timing.frames)}`,
  );
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

/** Where a frame of each section goes in, and where its translation comes out (the peer's side). */
const DEVICES: Record<Section, { in: "s6" | "s4"; fwd: "s6" | "s4" }> = {
  "6to4": { in: "s6", fwd: "s4" },
  "4to6": { in: "s4", fwd: "s6" },
};

/**
 * The two captures of a run, on the peer's s4 and s6 (what the translator
 * namespace sends), read as they grow: each file from where the last read
 * stopped, each frame parsed once. Markers are numbered across the run.
 */
class Taps {
  private nextMarker = 0;
  /** The timestamp of the last marker a chunk ended with: what came before is that chunk's. */
  private consumedTs = -Infinity;
  private constructor(
    private readonly caps: Record<"s4" | "s6", Capture>,
    private readonly readers: Record<"s4" | "s6", PcapTail>,
  ) {}

  static async start(ctx: DatapathContext): Promise<Taps> {
    const file = (dev: string) => join(ctx.tmp, `tap-${dev}.pcap`);
    const s4 = await startCapture(ctx.peer, "s4", file("s4"), "in", CAPTURE_START_SEC);
    try {
      const s6 = await startCapture(ctx.peer, "s6", file("s6"), "in", CAPTURE_START_SEC);
      return new Taps({ s4, s6 }, { s4: new PcapTail(file("s4")), s6: new PcapTail(file("s6")) });
    } catch (e) {
      await s4.stop();
      throw e;
    }
  }

  /** The next `n` marker numbers. */
  take(n: number): number {
    const base = this.nextMarker;
    this.nextMarker += n;
    return base;
  }

  /** Polls until marker `n` has come out on `dev` (true), or the bound runs out (false). */
  async waitForMarker(dev: "s4" | "s6", n: number, boundSec: number): Promise<boolean> {
    const until = performance.now() + boundSec * 1000;
    for (;;) {
      this.readers[dev].read();
      if (this.readers[dev].markers.has(n)) return true;
      if (performance.now() >= until) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * What both captures hold after the last chunk, up to marker `last`
   * (everything read when it never came), in time order. The side the
   * input went in by may write a little later than the other: it is read
   * once it has been quiet for a moment.
   */
  async chunk(section: Section, last: number): Promise<Seen[]> {
    const { in: inDev, fwd } = DEVICES[section];
    await untilQuiet(this.caps[inDev].file, 60, 1000);
    this.readers.s4.read();
    this.readers.s6.read();
    const end = this.readers[fwd].markers.get(last) ?? Infinity;
    const seen: Seen[] = [];
    for (const dev of ["s4", "s6"] as const) {
      for (const f of this.readers[dev].takeUntil(end))
        if (f.ts > this.consumedTs) seen.push({ ...f, forward: dev === fwd });
    }
    seen.sort((a, b) => a.ts - b.ts);
    this.consumedTs = end === Infinity ? Math.max(this.consumedTs, ...seen.map((f) => f.ts)) : end;
    return seen;
  }

  async stop(): Promise<void> {
    await this.caps.s4.stop();
    await this.caps.s6.stop();
  }
}

/**
 * A pcap file that tcpdump is still writing, read incrementally: only the
 * bytes added since the last read, and only whole records. Link noise is
 * left out; marker numbers are indexed with their timestamps.
 */
export class PcapTail {
  private offset = 0;
  private little = true;
  private nano = false;
  private frames: { ts: number; data: Buffer }[] = [];
  private cursor = 0;
  readonly markers = new Map<number, number>();

  constructor(private readonly file: string) {}

  read(): void {
    let fd: number;
    try {
      fd = openSync(this.file, "r");
    } catch {
      return; // not written yet
    }
    try {
      const size = fstatSync(fd).size;
      if (size <= this.offset) return;
      const b = Buffer.alloc(size - this.offset);
      readSync(fd, b, 0, b.length, this.offset);
      let o = 0;
      if (this.offset === 0) {
        if (b.length < PCAP_HEADER) return;
        const magic = b.readUInt32LE(0);
        this.little = magic === PCAP_MAGIC_US || magic === PCAP_MAGIC_NS;
        this.nano = magic === PCAP_MAGIC_NS || b.readUInt32BE(0) === PCAP_MAGIC_NS;
        o = PCAP_HEADER;
      }
      const u32 = (at: number) => (this.little ? b.readUInt32LE(at) : b.readUInt32BE(at));
      // A record still being written ends this read; the next read starts at it.
      while (o + PCAP_RECORD <= b.length && o + PCAP_RECORD + u32(o + 8) <= b.length) {
        const ts = u32(o) + u32(o + 4) / (this.nano ? 1e9 : 1e6);
        const data = Buffer.from(b.subarray(o + PCAP_RECORD, o + PCAP_RECORD + u32(o + 8)));
        o += PCAP_RECORD + data.length;
        const n = markerNumber(data);
        if (n !== undefined) this.markers.set(n, ts);
        if (n !== undefined || !mayBeNoise(data) || !isNoise(parse(data))) this.frames.push({ ts, data });
      }
      this.offset += o;
    } finally {
      closeSync(fd);
    }
  }

  /** The frames not taken yet with a timestamp up to `end`, in file order. */
  takeUntil(end: number): { ts: number; data: Buffer }[] {
    const out: { ts: number; data: Buffer }[] = [];
    while (this.cursor < this.frames.length && this.frames[this.cursor].ts <= end) out.push(this.frames[this.cursor++]);
    return out;
  }
}

const PCAP_HEADER = 24;
const PCAP_RECORD = 16;
const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;
const IPPROTO_HOPOPTS = 0;
const IPPROTO_ICMPV6 = 58;
const IPPROTO_DSTOPTS = 60;

/**
 * Whether a frame could be link noise (match/noise.ts): only those are
 * decoded to find out. Anything else, IPv4 or IPv6 with a plain transport,
 * cannot be, and a run of a hundred thousand frames is not decoded twice.
 */
function mayBeNoise(f: Buffer): boolean {
  if (f.length < 14) return true;
  const type = f.readUInt16BE(12);
  if (type === ETH_P_IP) return f.length < 14 + 20 || f[14 + 9] === 2;
  if (type === ETH_P_IPV6)
    return f.length < 14 + 40 || [IPPROTO_HOPOPTS, IPPROTO_ICMPV6, IPPROTO_DSTOPTS].includes(f[14 + 6]);
  return true;
}

/** One chunk: inputs with markers between them, split by marker. */
async function sendChunk(
  ctx: DatapathContext,
  taps: Taps,
  section: Section,
  prefix: string,
  frames: Buffer[],
  opts: DatapathOptions,
  ids: number[],
): Promise<TranslatorOutput[]> {
  const { in: inDev, fwd } = DEVICES[section];
  const base = taps.take(frames.length);
  const sendFile = join(ctx.tmp, `send-${base}.pcap`);
  const seq = frames.flatMap((f, i) => [addressed(f, section), marker(section, prefix, base + i)]);
  writePcap(
    sendFile,
    seq.map((data, i) => ({ ts: i / 1000, data })),
  );
  const pps = opts.pps ?? DEFAULT_PPS;
  const idsFile = join(ctx.tmp, `send-${base}.ids`);
  if (opts.noteFile) writeFileSync(idsFile, ids.join("\n"));
  // One CPU: the frames enter one receive queue, in order (and the note is that CPU's frame in flight).
  const sender = (file: string) =>
    opts.noteFile
      ? ["/usr/bin/python3", NOTED_SEND, inDev, file, String(pps), opts.noteFile, idsFile]
      : ["tcpreplay", "-q", `--pps=${pps}`, "-i", inDev, file];
  const replay = (file: string, n: number) =>
    run(["taskset", "-c", "0", ...sender(file)], {
      ns: ctx.peer,
      timeoutSec: 60 + n / pps,
    });
  if (!opts.lockstep) {
    await replay(sendFile, seq.length);
    await taps.waitForMarker(fwd, base + frames.length - 1, opts.settleSec ?? 10);
  } else {
    // One frame and its marker at a time: nothing sent overtakes what is still being translated.
    for (let i = 0; i < frames.length; i++) {
      const one = join(ctx.tmp, `send-${base}-${i}.pcap`);
      writePcap(
        one,
        [seq[2 * i], seq[2 * i + 1]].map((data, k) => ({ ts: k / 1000, data })),
      );
      await replay(one, 2);
      rmSync(one, { force: true });
      // A marker that never comes: the rest would wait as long each; they are sent again or reported.
      if (!(await taps.waitForMarker(fwd, base + i, opts.settleSec ?? 10))) break;
    }
  }
  rmSync(sendFile, { force: true });
  rmSync(idsFile, { force: true });
  return splitByMarker(await taps.chunk(section, base + frames.length - 1), frames.length, base);
}

/**
 * Frames between marker base+i-1 and marker base+i are input i's. When a
 * marker is missing (dropped by a loaded machine: a capture ring or a
 * receive queue overflowing), the outputs on either side of it cannot be
 * told apart: both inputs are an error "marker lost", and runDatapath sends
 * them again.
 */
export function splitByMarker(seen: Seen[], count: number, base = 0): TranslatorOutput[] {
  const out: TranslatorOutput[] = Array.from({ length: count }, () => ({ verdict: "shot", frames: [], back: [] }));
  const markers = new Set<number>();
  let current = 0;
  for (const f of seen) {
    const n = f.forward ? markerNumber(f.data) : undefined;
    if (n !== undefined && n >= base && n < base + count) {
      markers.add(n - base);
      current = n - base + 1;
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

/** The sender that notes each input before it goes (see its header). */
const NOTED_SEND = join(ROOT, "harness", "translators", "noted-send.py");

/** Write a file in the run's temp dir; returns its path. */
export function writeRunFile(ctx: DatapathContext, name: string, text: string): string {
  const path = join(ctx.tmp, name);
  writeFileSync(path, text);
  return path;
}
