/**
 * Help made from the command table: `natlab --help`, `natlab CMD --help`,
 * and the README's command table (`natlab readme` writes it; a unit test
 * checks that README.md has it as the table makes it).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { ROOT } from "../root.ts";
import type { Command, OptionSpec } from "./command.ts";

/** `--out FILE`, `-o, --out FILE`, `--quick`: an option as typed. */
function flag(o: OptionSpec): string {
  return `${o.short ? `-${o.short}, ` : ""}--${o.name}${o.value ? ` ${o.value}` : ""}`;
}

/** `natlab run [options] [LAB...]`: the synopsis of a command. */
export function synopsis(cmd: Command): string {
  return `natlab ${cmd.name}${cmd.options.length ? " [options]" : ""}${cmd.args ? ` ${cmd.args}` : ""}`;
}

/** `natlab CMD --help`: the usage line, the summary, the details and one line per option. */
export function commandHelp(cmd: Command): string {
  const lines = [`usage: ${synopsis(cmd)}`, "", ...wrap(cmd.summary, "")];
  if (cmd.details) lines.push("", cmd.details.trim());
  if (cmd.root) lines.push("", "needs root (network namespaces, tc or BPF)");
  // Every command answers -h and --help (harness/commands/dispatch.ts), so the list always ends with it.
  const options: OptionSpec[] = [
    ...cmd.options,
    { name: "help", short: "h", type: "boolean", description: "this text" },
  ];
  lines.push("", "options:");
  const width = Math.max(...options.map((o) => flag(o).length));
  for (const o of options) {
    const dflt = o.default !== undefined && o.default !== false ? ` (default: ${o.default})` : "";
    lines.push(`  ${flag(o).padEnd(width)}  ${o.description}${dflt}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Text broken into lines of at most width characters, at spaces, each starting with indent. */
export function wrap(text: string, indent: string, width = 100): string[] {
  const lines: string[] = [];
  let line = indent;
  for (const word of text.split(" ")) {
    if (line.length > indent.length && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent;
    }
    line += line.length > indent.length ? ` ${word}` : word;
  }
  return [...lines, line];
}

/** `natlab --help`: every public command's synopsis and summary. */
export function usage(table: Command[]): string {
  const lines = ["natlab: a regression suite and teaching lab for stateless NAT64 in eBPF", "", "usage:"];
  for (const c of table.filter((c) => !c.internal)) lines.push(`  ${synopsis(c)}`, ...wrap(c.summary, "      "));
  lines.push("", "natlab CMD --help: that command's options");
  return `${lines.join("\n")}\n`;
}

/** The usage of the commands whose names start with `group ` (`natlab golden`); undefined when none do. */
export function groupHelp(group: string, table: Command[]): string | undefined {
  const members = table.filter((c) => c.name.startsWith(`${group} `) && !c.internal);
  if (!members.length) return undefined;
  return `usage:\n${members.flatMap((c) => [`  ${synopsis(c)}`, ...wrap(c.summary, "      ")]).join("\n")}\n`;
}

/** The README's command table in Markdown: a row per public command, its options named. */
export function readmeTable(table: Command[]): string {
  const rows = ["| command | what it does |", "| --- | --- |"];
  // Plain text in Markdown: `<lab>` would be an HTML tag, `*` emphasis and `|` a cell's end.
  const text = (t: string) => t.replace(/[<*|]/g, (ch) => `\\${ch}`);
  for (const c of table.filter((c) => !c.internal)) {
    const opts = c.options.map((o) => `\`${flag(o)}\``).join(", ");
    const name = `natlab ${c.name}${c.args ? ` ${c.args}` : ""}`.replaceAll("|", "\\|");
    rows.push(`| \`${name}\` | ${text(c.summary)}${opts ? `. Options: ${opts}` : ""} |`);
  }
  return `${rows.join("\n")}\n`;
}

const BEGIN = "<!-- natlab readme: the command table, made from harness/commands/ -->\n";
const END = "<!-- end of the command table -->\n";

/** README text with its command table replaced by table's; throws when the markers are missing. */
export function withReadmeTable(readmeText: string, table: Command[]): string {
  const a = readmeText.indexOf(BEGIN);
  const b = readmeText.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md has no command table between "${BEGIN.trim()}" and "${END.trim()}"`);
  return readmeText.slice(0, a + BEGIN.length) + readmeTable(table) + readmeText.slice(b);
}

export const help: Command = {
  name: "help",
  args: "[CMD]",
  summary: "this list, or one command's options (the same as natlab CMD --help)",
  options: [],
  async run({ positionals }) {
    const { commands } = await import("./index.ts");
    const name = positionals.join(" ");
    if (!name) {
      process.stdout.write(usage(commands));
      return 0;
    }
    const cmd = commands.find((c) => c.name === name);
    const text = cmd ? commandHelp(cmd) : groupHelp(name, commands);
    if (!text) throw new UsageError(`no command ${name}: natlab --help lists them`);
    process.stdout.write(text);
    return 0;
  },
};

export const readme: Command = {
  name: "readme",
  summary: "write the README's command table from the command table (harness/commands/)",
  options: [{ name: "check", type: "boolean", description: "only check it: exit 1 when README.md differs" }],
  internal: true,
  async run({ values }) {
    const { commands } = await import("./index.ts");
    const path = join(ROOT, "README.md");
    const text = readFileSync(path, "utf8");
    const next = withReadmeTable(text, commands);
    if (values.check) {
      console.log(
        next === text
          ? "README.md's command table is up to date"
          : "README.md's command table differs: run natlab readme",
      );
      return next === text ? 0 : 1;
    }
    writeFileSync(path, next);
    console.log(next === text ? "README.md's command table was already up to date" : "wrote README.md's command table");
    return 0;
  },
};
