/**
 * Progress for the person at the terminal: a line per lab, one compact setup
 * counter, a line per flow with its time (failures followed by their
 * explanation), and a summary. Colour only on a TTY without NO_COLOR; the
 * setup counter rewrites its line only on a TTY.
 */
import { relative } from "node:path";
import { colorEnabled, paint } from "../text/color.ts";

export interface Out {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface LabStart {
  lab: string;
  flows: number;
  kernel: string;
  variant: string;
}

export interface FlowLine {
  name: string;
  status: "pass" | "fail" | "skip";
  durationMs: number;
  /** the explanation of a failure, printed under the line */
  failure?: string;
  skip?: string;
}

export interface RunSummary {
  lab: string;
  passed: number;
  failed: number;
  skipped: number;
  durationMs: number;
  /** where the results are; shown relative to the working directory */
  resultsDir: string;
  /** How long building the lab (its setup steps) and taking it down took, when it was built. */
  setupMs?: number;
  teardownMs?: number;
}

export function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(2)}s` : `${(ms / 1000).toFixed(1)}s`;
}

export function formatLabStart(x: LabStart): string {
  return `lab ${x.lab} (${x.flows} flow${x.flows === 1 ? "" : "s"}, kernel ${x.kernel}, variant ${x.variant})`;
}

export function formatFlowLine(x: FlowLine, color: boolean): string {
  if (x.status === "skip") return paint(color, "yellow", `  - ${x.name} # SKIP ${x.skip ?? ""}`.trimEnd());
  const mark = x.status === "pass" ? paint(color, "green", "✓") : paint(color, "red", "✗");
  const line = `  ${mark} ${x.name}  ${paint(color, "dim", seconds(x.durationMs))}`;
  if (x.status === "pass" || !x.failure) return line;
  const body = x.failure
    .split("\n")
    .map((l) => (l === "" ? l : `      ${l}`))
    .join("\n");
  return `${line}\n${body}`;
}

export function formatSummary(x: RunSummary, color: boolean, cwd = process.cwd()): string {
  const parts = [
    paint(color && x.passed > 0, "green", `${x.passed} passed`),
    paint(color && x.failed > 0, "red", `${x.failed} failed`),
    paint(color && x.skipped > 0, "yellow", `${x.skipped} skipped`),
  ];
  const where = relative(cwd, x.resultsDir) || ".";
  const times =
    x.setupMs !== undefined && x.teardownMs !== undefined
      ? ` (setup ${seconds(x.setupMs)}, teardown ${seconds(x.teardownMs)})`
      : "";
  return `${x.lab}: ${parts.join(", ")} in ${seconds(x.durationMs)}${times}; results in ${where.endsWith("/") ? where : `${where}/`}`;
}

export class ConsoleReporter {
  private readonly color: boolean;
  private setupOpen = false;

  constructor(
    private readonly out: Out = process.stdout,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.color = colorEnabled(out, env);
  }

  private line(text: string): void {
    this.endSetup();
    this.out.write(`${text}\n`);
  }

  private endSetup(): void {
    if (this.setupOpen) this.out.write("\n");
    this.setupOpen = false;
  }

  labStart(x: LabStart): void {
    this.line(paint(this.color, "bold", formatLabStart(x)));
  }

  /** Setup progress: on a TTY one line counting up in place; elsewhere only the final count. */
  setup(done: number, total: number): void {
    const text = `  setup ${done}/${total} steps`;
    if (this.out.isTTY) {
      this.out.write(`\r${text}\x1b[K`);
      this.setupOpen = true;
      if (done === total) this.endSetup();
    } else if (done === total) {
      this.line(text);
    }
  }

  /** Setup stopped at step `step` (1-based): say which, and why. */
  setupFailed(step: number, total: number, why: string): void {
    this.line(paint(this.color, "red", `  setup failed at step ${step}/${total}: ${why}`));
  }

  flow(x: FlowLine): void {
    this.line(formatFlowLine(x, this.color));
  }

  summary(x: RunSummary): void {
    this.line(formatSummary(x, this.color));
  }
}
