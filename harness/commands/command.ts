/**
 * One command of the natlab CLI, as data: its name, a one-line summary,
 * its options and its handler. `natlab --help`, `natlab CMD --help` and the
 * README's command table are all made from the list in ./index.ts, so a
 * command exists in one place only.
 */

/** A known error: printed as one line `natlab CMD: message`, no stack trace, exit status 2 (see ../errors.ts). */
export { UsageError } from "../errors.ts";

export interface OptionSpec {
  /** Long name without the dashes: `filter` for `--filter`. */
  name: string;
  type: "string" | "boolean";
  /** One letter for `-x`. */
  short?: string;
  /** The value's placeholder in the help text: `TEXT`, `P/LEN`, `N`. */
  value?: string;
  /** May be given more than once (values collect into an array). */
  multiple?: boolean;
  default?: string | boolean;
  /** One line for the help text. */
  description: string;
}

export interface CommandArgs {
  /** Parsed options by long name (node:util parseArgs values). */
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
  /** The arguments as given, after the command name. */
  argv: string[];
}

export interface Command {
  /** `run`, or `golden check` for a subcommand. */
  name: string;
  /** Positional synopsis for the usage line: `[LAB...]`, `IN.pcap`. */
  args?: string;
  /** One line: what it does, for the command table and `natlab --help`. */
  summary: string;
  /** More lines for `natlab CMD --help`. */
  details?: string;
  options: OptionSpec[];
  /** Needs root (namespaces, tc, BPF): checked before the handler runs. */
  root?: boolean;
  /** Used by natlab itself (matrix-worker, bpf-config): left out of the README and of `natlab --help`. */
  internal?: boolean;
  /** Everything after `--` goes to positionals untouched (`natlab exec LAB NS -- CMD...`). */
  passThrough?: boolean;
  run(args: CommandArgs): Promise<number>;
}
