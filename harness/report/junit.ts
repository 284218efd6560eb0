/**
 * JUnit XML for CI systems, converted from our TAP by the `tap-junit` tool
 * (run as its CLI: TAP on stdin, XML on stdout when no --output is given).
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { execa } from "execa";

function tapJunitBin(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("tap-junit/package.json")), "bin", "tap-junit");
}

/**
 * tap-junit writes a failure as `<failure message="..."/>` with the message's
 * newlines raw inside the attribute, where XML readers turn them into spaces
 * (XML 1.0 §3.3.3). Keep the lines: encode them in the attribute, and repeat
 * the message as the element's text, which is what most CI pages show.
 */
function keepFailureLines(xml: string): string {
  return xml.replace(/<failure message="([^"]*)"([^>]*?)\/>/g, (_all, message: string, rest: string) => {
    return `<failure message="${message.replace(/\r?\n/g, "&#10;")}"${rest}>${message}</failure>`;
  });
}

/** tap-junit gives no times: add each test case's, in seconds, by its TAP number. */
function addTimes(xml: string, timesMs: number[]): string {
  return xml.replace(/<testcase ([^>]*?)id="(\d+)"/g, (all, before: string, id: string) => {
    const ms = timesMs[Number(id) - 1];
    return ms === undefined ? all : `<testcase ${before}id="${id}" time="${(ms / 1000).toFixed(3)}"`;
  });
}

/**
 * JUnit XML for a TAP text. `name` names the test suites (the lab);
 * `timesMs[i]` is the duration of test point i+1.
 */
export async function junitFromTap(tap: string, name: string, timesMs: number[] = []): Promise<string> {
  const run = await execa(process.execPath, [tapJunitBin(), "--name", name, "--classname", name], {
    input: tap,
    reject: false,
  });
  if (run.exitCode !== 0 || !run.stdout.trimStart().startsWith("<?xml")) {
    throw new Error(
      `tap-junit could not convert the TAP report of ${name} (exit ${run.exitCode}): ${run.stderr || run.stdout}`.trim(),
    );
  }
  return addTimes(keepFailureLines(run.stdout.trim()), timesMs) + "\n";
}
