/**
 * The options every command that builds a lab shares (run, up, step): which
 * variant, which translator build, which NAT64 prefix. One spec and one
 * reader, so the commands cannot drift apart.
 */
import { UsageError } from "../errors.ts";
import type { CommandArgs, OptionSpec } from "./command.ts";

export const LAB_BUILD_OPTIONS: OptionSpec[] = [
  {
    name: "variant",
    type: "string",
    value: "V",
    description: "clsact, or literal (the write-up's prio/matchall/act_bpf/act_csum); default: literal where possible",
  },
  { name: "object", type: "string", value: "O.o", description: "another translator build for every BPF attachment" },
  { name: "prefix", type: "string", value: "P/LEN", description: "another NAT64 prefix for every BPF attachment" },
];

/** Reads --variant: clsact, literal or (absent) the lab's and kernel's default. */
export function variantOption(v: unknown): "clsact" | "literal" | undefined {
  if (v === undefined || v === "clsact" || v === "literal") return v;
  throw new UsageError(`--variant is clsact or literal, not ${v}`);
}

/** The three options' values, checked. */
export function labBuildValues(values: CommandArgs["values"]): {
  variant: "clsact" | "literal" | undefined;
  object: string | undefined;
  prefix: string | undefined;
} {
  return {
    variant: variantOption(values.variant),
    object: values.object as string | undefined,
    prefix: values.prefix as string | undefined,
  };
}
