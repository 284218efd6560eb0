/**
 * From argv to a command of the table: find it (one or two words), answer
 * `--help`/`-h` with its usage and nothing else, parse its options, check
 * root, run it. Every known error leaves as a UsageError whose message
 * starts with `natlab CMD: `.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { type Command, UsageError } from "./command.ts";
import { commandHelp, groupHelp, usage } from "./help.ts";
import { commands } from "./index.ts";

/** The command argv names, and how many words its name took; undefined when none matches. */
export function findCommand(argv: string[], table: Command[] = commands): { cmd: Command; words: number } | undefined {
  const two = table.find((c) => c.name === `${argv[0]} ${argv[1]}`);
  if (two) return { cmd: two, words: 2 };
  const one = table.find((c) => c.name === argv[0]);
  return one ? { cmd: one, words: 1 } : undefined;
}

/** A usage error's message as one line that names the command: `natlab CMD: what went wrong, what to do`. */
export function named(cmd: string, err: UsageError): UsageError {
  if (!err.message.startsWith("natlab")) err.message = `natlab ${cmd}: ${err.message}`;
  return err;
}

/** The node:util parseArgs configuration of a command's options (it rejects keys set to undefined). */
function optionsFor(cmd: Command): ParseArgsConfig["options"] {
  const entries = cmd.options.map((o) => {
    const spec: NonNullable<ParseArgsConfig["options"]>[string] = { type: o.type };
    if (o.short) spec.short = o.short;
    if (o.multiple) spec.multiple = true;
    if (o.default !== undefined) spec.default = o.default as never;
    return [o.name, spec] as const;
  });
  return Object.fromEntries(entries);
}

/** Runs the command argv names and returns its exit status; prints help for `--help`, `-h` or no command. */
export async function dispatch(argv: string[], table: Command[] = commands): Promise<number> {
  const first = argv[0];
  if (first === undefined || first === "--help" || first === "-h") {
    process.stdout.write(usage(table));
    // No command at all is a mistake (exit 2); asking for help is not.
    return first === undefined ? 2 : 0;
  }
  const found = findCommand(argv, table);
  if (!found) {
    // `natlab golden` or `natlab golden --help`: the group's commands.
    const group = groupHelp(first, table);
    const asked = argv.length === 1 || argv[1] === "--help" || argv[1] === "-h";
    if (group && asked) {
      process.stdout.write(group);
      return argv.length === 1 ? 2 : 0;
    }
    if (group) throw new UsageError(`natlab ${first}: no subcommand ${argv[1]}: natlab ${first} --help lists them`);
    throw new UsageError(`natlab: no command ${first}: natlab --help lists them`);
  }
  const { cmd, words } = found;
  const rest = argv.slice(words);
  const dashdash = cmd.passThrough ? rest.indexOf("--") : -1;
  const own = dashdash >= 0 ? rest.slice(0, dashdash) : rest;
  const passed = dashdash >= 0 ? rest.slice(dashdash + 1) : [];
  if (own.includes("--help") || own.includes("-h")) {
    process.stdout.write(commandHelp(cmd));
    return 0;
  }
  const options = optionsFor(cmd);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: own, allowPositionals: true, options });
  } catch (err) {
    // node's messages name the flag; add where to look.
    // Its first sentence: "Unknown option '--x'" without the advice about "--" that follows.
    const why = (err as Error).message.split(/\.(?: |$)/)[0];
    throw new UsageError(`natlab ${cmd.name}: ${why} (natlab ${cmd.name} --help lists the options)`);
  }
  if (cmd.root && process.getuid?.() !== 0) {
    throw new UsageError(
      `natlab ${cmd.name}: needs root (network namespaces, tc and BPF): ` +
        "run it as root, or in the Vagrant VM (see README)",
    );
  }
  try {
    return await cmd.run({
      values: parsed.values as never,
      positionals: [...parsed.positionals, ...passed],
      argv: rest,
    });
  } catch (err) {
    throw err instanceof UsageError ? named(cmd.name, err) : err;
  }
}
