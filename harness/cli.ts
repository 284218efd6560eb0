/**
 * natlab: build NAT64 labs in network namespaces, run their flows, report.
 * The commands are in harness/commands/ (`natlab --help` lists them); this
 * runs one, then the cleanups, and turns errors into exit statuses.
 */
import { dispatch } from "./commands/dispatch.ts";
import { Failure, UsageError } from "./errors.ts";
import { runCleanups } from "./exec/cleanup.ts";
import { toolEnv } from "./exec/command.ts";
import { LabError } from "./lab/load.ts";

/**
 * Known errors are one line (a lab file's are one per problem), a failure natlab explains is its explanation;
 * a stack trace is for bugs, or NATLAB_DEBUG=1.
 */
function report(err: Error): void {
  const known = err instanceof UsageError || err instanceof LabError;
  if (known && !process.env.NATLAB_DEBUG) process.stderr.write(`${err.message}\n`);
  else if (err instanceof Failure && !process.env.NATLAB_DEBUG) process.stderr.write(`natlab: ${err.message}\n`);
  else process.stderr.write(`natlab: ${err.stack ?? err.message}\n`);
}

/** First what natlab runs killed with SIGKILL (or a power cut) left behind (exec/sweep.ts), then the command. */
async function main(argv: string[]): Promise<number> {
  const { sweepBeforeCommand } = await import("./exec/sweep.ts");
  await sweepBeforeCommand(argv[0], (l) => process.stderr.write(`natlab: ${l}\n`));
  return dispatch(argv);
}

// Every tool natlab runs comes from the system, never from node_modules/.bin (see toolEnv).
process.env.PATH = toolEnv().PATH;
main(process.argv.slice(2))
  .then(async (code) => {
    await runCleanups();
    process.exit(code);
  })
  .catch(async (err: Error) => {
    await runCleanups((l) => process.stderr.write(`natlab: ${l}\n`));
    report(err);
    process.exit(err instanceof UsageError ? 2 : 1);
  });
