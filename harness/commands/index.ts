/**
 * The command table: every natlab command, in the order `natlab --help`
 * lists them. Add a command by writing harness/commands/<name>.ts that
 * exports a Command, and adding it here.
 */
import type { Command } from "./command.ts";
import { down } from "./down.ts";
import { exec } from "./exec.ts";
import { flows } from "./flows.ts";
import { ls } from "./ls.ts";
import { shell } from "./shell.ts";
import { step } from "./step.ts";
import { up } from "./up.ts";

export const commands: Command[] = [up, step, ls, exec, shell, flows, down];
