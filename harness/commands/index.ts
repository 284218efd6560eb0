/**
 * The command table: every natlab command, in the order `natlab --help`
 * lists them. Add a command by writing harness/commands/<name>.ts that
 * exports a Command, and adding it here.
 */
import { bench } from "./bench.ts";
import { benchCompare } from "./bench-compare.ts";
import { bpfConfig } from "./bpf-config.ts";
import { build } from "./build.ts";
import { clean } from "./clean.ts";
import type { Command } from "./command.ts";
import { doctor } from "./doctor.ts";
import { down } from "./down.ts";
import { exec } from "./exec.ts";
import { flows } from "./flows.ts";
import { fuzzCommand } from "./fuzz.ts";
import { goldenBuild, goldenCheck, goldenCompare, goldenVerify } from "./golden.ts";
import { help, readme } from "./help.ts";
import { ls } from "./ls.ts";
import { matrix, matrixWorker } from "./matrix.ts";
import { run } from "./run.ts";
import { schema } from "./schema.ts";
import { script } from "./script.ts";
import { shell } from "./shell.ts";
import { stats } from "./stats.ts";
import { step } from "./step.ts";
import { translateCommand } from "./translate.ts";
import { up } from "./up.ts";
import { xlatCommand } from "./xlat.ts";

export const commands: Command[] = [
  run,
  up,
  step,
  ls,
  exec,
  shell,
  flows,
  down,
  script,
  build,
  doctor,
  clean,
  xlatCommand,
  goldenBuild,
  goldenCheck,
  goldenVerify,
  goldenCompare,
  fuzzCommand,
  matrix,
  bench,
  benchCompare,
  stats,
  schema,
  help,
  matrixWorker,
  bpfConfig,
  translateCommand,
  readme,
];
