/**
 * TAP version 13 (https://testanything.org/tap-version-13-specification.html):
 * one test point per flow, a YAML block under each failure with the message
 * and the captures to open. CI reads it through harness/report/junit.ts.
 */
import { stringify } from "yaml";
import { stripColor } from "../text/color.ts";

export interface TapResult {
  name: string;
  ok: boolean;
  /** the reason a flow was skipped; a skipped test point counts as ok */
  skip?: string;
  /** a known failure: reported, not counted against the run */
  todo?: string;
  durationMs: number;
  /** for a failure: the message (a string) or fields shown in the YAML block */
  diagnostics?: string | Record<string, unknown>;
  /** one line written as a TAP comment before the test point (JUnit's system-out); default: the name */
  comment?: string;
}

/** A description can hold anything but "#", which would start a directive, and a newline. */
function description(name: string): string {
  return name
    .replace(/\\/g, "\\\\")
    .replace(/#/g, "\\#")
    .replace(/\s*\n\s*/g, " ");
}

function directive(kind: "SKIP" | "TODO", reason: string): string {
  return ` # ${kind}${reason ? ` ${reason.replace(/\s*\n\s*/g, " ")}` : ""}`;
}

/** The YAML block of a test point, indented two spaces, between "---" and "...". */
function yamlBlock(r: TapResult): string[] {
  const fields: Record<string, unknown> =
    typeof r.diagnostics === "string" ? { message: r.diagnostics } : { ...(r.diagnostics ?? {}) };
  if (typeof fields.message === "string") fields.message = stripColor(fields.message);
  fields.duration_ms = Math.round(r.durationMs);
  const yaml = stringify(fields, { lineWidth: 0 }).trimEnd();
  return ["  ---", ...yaml.split("\n").map((l) => `  ${l}`), "  ..."];
}

export class TapWriter {
  readonly results: TapResult[] = [];

  add(result: TapResult): void {
    this.results.push(result);
  }

  /** Failures that count: not ok, and neither skipped nor todo. */
  get failed(): number {
    return this.results.filter((r) => !r.ok && r.skip === undefined && r.todo === undefined).length;
  }

  /**
   * The TAP text. `todoAsSkip` writes TODO points as skips: JUnit has no
   * "known failure", and tap-junit would count them as failures.
   */
  toString(opts: { todoAsSkip?: boolean } = {}): string {
    const lines = ["TAP version 13", `1..${this.results.length}`];
    this.results.forEach((r, i) => {
      // tap-junit copies the last comment before a test point into its system-out: one per test keeps them apart.
      lines.push(`# ${(r.comment ?? r.name).replace(/\n/g, " ")}`);
      const ok = r.ok || r.skip !== undefined || (opts.todoAsSkip === true && r.todo !== undefined);
      let line = `${ok ? "ok" : "not ok"} ${i + 1} - ${description(r.name)}`;
      if (r.skip !== undefined) line += directive("SKIP", r.skip);
      else if (r.todo !== undefined)
        line += opts.todoAsSkip ? directive("SKIP", `todo: ${r.todo}`) : directive("TODO", r.todo);
      lines.push(line);
      if (!ok || r.diagnostics !== undefined) lines.push(...yamlBlock(r));
    });
    return lines.join("\n") + "\n";
  }
}
