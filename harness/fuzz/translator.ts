/**
 * The translator under test, seen from the fuzzer: frames in, per-frame
 * outcomes out. natlab's own BPF program (./bpf.ts) is one; a reference
 * translator such as Jool is another, and differential fuzzing compares two.
 */
import type { Section } from "../bpf/xlat.ts";

export type { Section };

/**
 * What happened to one frame:
 *   ok     translated: `outputs` holds what came out (normally one frame)
 *   pass   not for the translator, left alone: `outputs` holds the frame as it came out
 *   shot   dropped: no output
 *   other  an unexpected result (a return code the hook does not define)
 *   error  the frame could not be run at all (`reason`); it says nothing about the translator
 */
export type FrameVerdict = "ok" | "pass" | "shot" | "other" | "error";

export interface FrameOutcome {
  verdict: FrameVerdict;
  outputs: Buffer[];
  /** The direction the frame was given to, when the translator has directions. */
  section?: Section;
  reason?: string;
}

/** The translator's own count of what it did with a batch, when it keeps one. */
export interface Counters {
  translated: number;
  passed: number;
  dropped: number;
  /** Every counter by name (e.g. "4to6.dropped.truncated"), for the report. */
  byName: Record<string, number>;
}

export interface TranslateConfig {
  /** The NAT64 prefix, "P/LEN". */
  prefix: string;
  /** Give every frame to this direction; by default each goes by its EtherType. */
  section?: Section;
}

export interface TranslateResult {
  /** One per input frame, in order. */
  outcomes: FrameOutcome[];
  /** Undefined when the translator keeps no counters. */
  counters?: Counters;
}

/**
 * One function type for every translator the fuzzer can drive. Why a
 * function over a batch of frames, not a frame: natlab's runner does about
 * 160,000 frames a second only when one process loads the program once and
 * runs many frames; a reference translator in a VM or a namespace has the
 * same shape (set up once, replay a pcap, collect what comes out). Why
 * outcomes and not bytes alone: the invariants (untaken frames untouched,
 * drops counted, at most one output) need the verdict, and a translator that
 * fragments may emit several frames for one input. The invariants in
 * ./invariants.ts and differential fuzzing (`--reference`) are written
 * against this type only.
 */
export type Translate = (frames: Buffer[], config: TranslateConfig) => Promise<TranslateResult>;

export interface TranslatorUnderTest {
  /** For the report: "bpf/nat64.o". */
  name: string;
  translate: Translate;
  /** A shell command that runs the frames of `pcap` through this translator as the fuzzer did. */
  reproduce(pcap: string, config: TranslateConfig): string;
}
