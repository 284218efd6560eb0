/**
 * The command table: every natlab command, in the order `natlab --help`
 * lists them. Add a command by writing harness/commands/<name>.ts that
 * exports a Command, and adding it here.
 */
import type { Command } from "./command.ts";
import { translateCommand } from "./translate.ts";

export const commands: Command[] = [translateCommand];
