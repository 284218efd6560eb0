/**
 * From a translator's name to a runnable translator (types.ts says what
 * each one is; the drivers are the files beside this one).
 */
import { bpfTranslator } from "./bpf.ts";
import { joolTranslator } from "./jool/translator.ts";
import { taygaTranslator } from "./tayga.ts";
import { tcTranslator } from "./tc.ts";
import type { Translator, TranslatorSpec } from "./types.ts";

export function makeTranslator(spec: TranslatorSpec): Translator {
  switch (spec.kind) {
    case "bpf":
      return bpfTranslator(spec);
    case "bpf-tc":
    case "bpf-path":
      return tcTranslator(spec);
    case "tayga":
      return taygaTranslator(spec);
    case "jool":
      return joolTranslator(spec);
  }
}
