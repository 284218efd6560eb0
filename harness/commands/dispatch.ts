/**
 * From argv to a command of the table: find it (one or two words), answer
 * `--help`/`-h` with its usage and nothing else, parse its options, check
 * root, run it.
 */
import { parseArgs } from "node:util";
import { type Command, UsageError } from "./command.ts";
import { commands } from "./index.ts";

/** The command argv names, and how many words its name took; undefined when none matches. */
export function findCommand(argv: string[], table: Command[] = commands): { cmd: Command; words: number } | undefined {
  const two = table.find((c) => c.name === `${argv[0]} ${argv[1]}`);
  if (two) return { cmd: two, words: 2 };
  const one = table.find((c) => c.name === argv[0]);
  return one ? { cmd: one, words: 1 } : undefined;
}

/** `natlab CMD --help`: the usage line, the details and one line per option. */
export function commandHelp(cmd: Command): string {
  const lines = [`usage: natlab ${cmd.name}${cmd.options.length ? " [options]" : ""}${cmd.args ? ` ${cmd.args}` : ""}`, "", cmd.summary];
  if (cmd.details) lines.push("", cmd.details.trim());
  if (cmd.options.length) {
    lines.push("", "options:");
    const flag = (o: Command["options"][number]) => `${o.short ? `-${o.short}, ` : ""}--${o.name}${o.value ? ` ${o.value}` : ""}`;
    const width = Math.max(...cmd.options.map((o) => flag(o).length));
    for (const o of cmd.options) {
      const dflt = o.default !== undefined && o.default !== false ? ` (default: ${o.default})` : "";
      lines.push(`  ${flag(o).padEnd(width)}  ${o.description}${dflt}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/** Runs the command argv names; undefined when the table has no such command. */
export async function dispatch(argv: string[]): Promise<number | undefined> {
  const found = findCommand(argv);
  if (!found) return undefined;
  const { cmd, words } = found;
  const rest = argv.slice(words);
  const dashdash = cmd.passThrough ? rest.indexOf("--") : -1;
  const own = dashdash >= 0 ? rest.slice(0, dashdash) : rest;
  const passed = dashdash >= 0 ? rest.slice(dashdash + 1) : [];
  if (own.includes("--help") || own.includes("-h")) {
    process.stdout.write(commandHelp(cmd));
    return 0;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: own,
      allowPositionals: true,
      options: Object.fromEntries(
        cmd.options.map((o) => [
          o.name,
          // node refuses keys present with the value undefined
          Object.fromEntries(Object.entries({ type: o.type, short: o.short, multiple: o.multiple, default: o.default }).filter(([, v]) => v !== undefined)) as never,
        ]),
      ),
    });
  } catch (err) {
    // node's messages name the flag; add where to look.
    throw new UsageError(`natlab ${cmd.name}: ${(err as Error).message.split("\n")[0]} (see natlab ${cmd.name} --help)`);
  }
  if (cmd.root && process.getuid?.() !== 0) {
    throw new UsageError(`natlab ${cmd.name} needs root (network namespaces, tc and BPF): run it as root, or in the Vagrant VM (see README)`);
  }
  return cmd.run({ values: parsed.values as never, positionals: [...parsed.positionals, ...passed], argv: rest });
}
