/**
 * Translators under test, as data: a name on the command line, what the
 * translator is and how its output is compared with natlab's golden cases.
 * Pure: no process, namespace or file is touched here (the drivers that run
 * a translator are the other files of this folder).
 *
 *   bpf         bpf/nat64.o through BPF_PROG_TEST_RUN (the default)
 *   bpf-tc      the same object attached with tc in a namespace, frames through a real device
 *   tayga       TAYGA in a namespace with a TUN device and routes
 *   jool        Jool's SIIT module in a namespace of the debian-6.1 VM
 *   bpf:PATH    any tc translator object, attached like bpf-tc; sections and a configure hook as options
 */

export type Section = "6to4" | "4to6";

export type TranslatorKind = "bpf" | "bpf-tc" | "tayga" | "jool" | "bpf-path";

export interface TranslatorSpec {
  /** As written: bpf, bpf-tc, tayga, jool, bpf:PATH. */
  name: string;
  kind: TranslatorKind;
  /** The object file (bpf, bpf-tc: bpf/nat64.o unless --object; bpf-path: PATH). */
  object?: string;
  /** The program sections of a bpf:PATH translator (default 6to4 and 4to6). */
  sections?: Record<Section, string>;
  /** Shell command run after a bpf:PATH translator is loaded, before the first frame. */
  configure?: string;
}

export const BUILTIN_TRANSLATORS = ["bpf", "bpf-tc", "tayga", "jool"] as const;

/** Read one translator name as given on the command line; throws a message that lists the accepted forms. */
export function parseTranslator(
  text: string,
  opts: { object?: string; sections?: Partial<Record<Section, string>>; configure?: string } = {},
): TranslatorSpec {
  const name = text.trim();
  if (name === "bpf" || name === "bpf-tc") return { name, kind: name, object: opts.object };
  if (name === "tayga" || name === "jool") return { name, kind: name };
  if (name.startsWith("bpf:") && name.length > 4) {
    return {
      name,
      kind: "bpf-path",
      object: name.slice(4),
      sections: { "6to4": opts.sections?.["6to4"] ?? "6to4", "4to6": opts.sections?.["4to6"] ?? "4to6" },
      configure: opts.configure,
    };
  }
  throw new Error(
    `unknown translator "${text}": use bpf, bpf-tc, tayga, jool, or bpf:PATH (a tc program's object file)`,
  );
}

/** A comma-separated list of translators (compare's --translators); names must be unique. */
export function parseTranslatorList(text: string, opts: Parameters<typeof parseTranslator>[1] = {}): TranslatorSpec[] {
  const specs = text
    .split(",")
    .filter((s) => s.trim() !== "")
    .map((s) => parseTranslator(s, opts));
  if (specs.length === 0) throw new Error("no translator named: give a list like bpf,bpf-tc,tayga,jool");
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.name)) throw new Error(`translator ${s.name} is listed twice`);
    seen.add(s.name);
  }
  return specs;
}

/**
 * How a translator's output is compared with the golden expectation. Each
 * rule is printed above the compare table, so a reader knows what "agree"
 * allowed.
 */
export interface CompareRules {
  /**
   * Hops the translator's datapath counts: the expected TTL/hop limit minus
   * this is what must come out. 0 for a program that runs on one frame
   * (BPF_PROG_TEST_RUN); 1 for a tc program on a router (the kernel's
   * forwarding decrements); a daemon behind a TUN device is forwarded into
   * and out of it, and may count a hop of its own.
   */
  ttlDecrement: Record<Section, number>;
  /** Ethernet addresses are compared only where the translator writes them (not a router's neighbours). */
  compareEthernet: boolean;
  /** What a "pass" case (not for the translator) means for this one. */
  passMeaning: "untouched" | "not-translated";
}

/** One frame given to a translator, with how it is to be configured. */
export interface TranslatorInput {
  /** file/slug of the golden case. */
  id: string;
  frame: Buffer;
  section: Section;
  prefix: string;
}

/** What came out of the translator for one input frame. */
export interface TranslatorOutput {
  /**
   * ok: translated (frames hold the result); pass: handed on untouched; shot:
   * nothing came out; n/a: the translator cannot run this case (reason says
   * why); error: running it failed (reason says how).
   */
  verdict: "ok" | "pass" | "shot" | "n/a" | "error";
  /** Frames sent on towards the destination, in order. */
  frames: Buffer[];
  /** Frames sent back towards the source: ICMP errors the translator made itself. */
  back: Buffer[];
  reason?: string;
  /** The kernel's report, when running this frame stopped the translator's kernel (Jool in its VM). */
  crash?: string;
}

/** A translator that can run frames; made by harness/translators/index.ts. */
export interface Translator {
  spec: TranslatorSpec;
  /** One line: what runs, e.g. "TAYGA 0.9.2 in a namespace, TUN device nat64". */
  title: string;
  rules: CompareRules;
  /** Why this translator cannot run a case with this section and prefix, or undefined. */
  notApplicable(input: Pick<TranslatorInput, "section" | "prefix" | "frame">): string | undefined;
  /** Every input through the translator; one output per input, in order. */
  run(inputs: TranslatorInput[], onProgress?: (message: string) => void): Promise<TranslatorOutput[]>;
}
