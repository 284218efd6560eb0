/**
 * `natlab bench` before it is wired into harness/cli.ts:
 *   node --import tsx harness/bench/cli-main.ts [--quick] ...
 * Runs the cleanups on every exit path, as harness/cli.ts does.
 */
import { runCleanups } from "../exec/cleanup.ts";
import { toolEnv } from "../exec/command.ts";
import { benchCommand } from "./cli.ts";

process.env.PATH = toolEnv().PATH;
benchCommand(process.argv.slice(2))
  .then(async (code) => {
    await runCleanups();
    process.exit(code);
  })
  .catch(async (err: Error) => {
    await runCleanups((l) => process.stderr.write(`natlab: ${l}\n`));
    process.stderr.write(`natlab bench: ${err.stack ?? err.message}\n`);
    process.exit(1);
  });
