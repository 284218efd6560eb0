/**
 * A plan as a POSIX sh script a person can read and paste: each command
 * preceded by why it is there, the write-up's own lines beside the commands
 * that stand in for them, and a trap that takes the lab down again if a step
 * fails or the script is interrupted.
 *
 *   sh lab.sh        build the lab (it stays up; the script ends by saying how to remove it)
 *   sh lab.sh down   remove it
 */
import { shJoin, shQuote } from "../text/shell.ts";
import { describeFeatures, missingForLiteral } from "./features.ts";
import type { Plan, Step } from "./plan.ts";

export interface ScriptOptions {
  /** The lab file, for the header. */
  labFile?: string;
}

/** The command as typed on the host: `ip -n NS ...`, `tc -n NS ...`, else `ip netns exec NS ...`. */
export function hostArgv(ns: string | undefined, argv: string[]): string[] {
  if (!ns) return argv;
  if ((argv[0] === "ip" || argv[0] === "tc") && argv[1] !== "netns") return [argv[0], "-n", ns, ...argv.slice(1)];
  return ["ip", "netns", "exec", ns, ...argv];
}

/** A heredoc delimiter that does not occur as a line of the text. */
function delimiter(text: string): string {
  let d = "NATLAB_EOF";
  const lines = new Set(text.split("\n"));
  while (lines.has(d)) d += "_";
  return d;
}

function command(step: Step): string {
  const line = shJoin(hostArgv(step.ns, step.argv));
  const orTrue = step.ignoreFailure ? " || true" : "";
  if (step.stdin === undefined) return line + orTrue;
  const d = delimiter(step.stdin);
  const body = step.stdin.endsWith("\n") ? step.stdin : `${step.stdin}\n`;
  // A quoted delimiter: the text goes in as written, no $ or ` expansion.
  // The redirection comes before `|| true`, or it would feed `true` instead.
  return `${line} <<'${d}'${orTrue}\n${body}${d}`;
}

/** Why a write-up tc step is not run as written, for the comment beside its stand-in. */
function standInReason(plan: Plan, step: Step): string {
  const isTc = step.argv[0] === "tc";
  if (!isTc || plan.variant !== "clsact") return "";
  const missing = missingForLiteral(plan.features);
  if (missing.length === 0) return " (clsact variant chosen; `--variant literal` runs this step as written)";
  return ` (not on this kernel: no ${missing.join(", ")}; clsact + cls_bpf da, checksums fixed in the program)`;
}

export function planToScript(plan: Plan, opts: ScriptOptions = {}): string {
  const out: string[] = [];
  const comment = (text: string) => out.push(...text.split("\n").map((l) => `# ${l}`.trimEnd()));
  out.push("#!/bin/sh");
  comment(`natlab lab \`${plan.lab}\`${opts.labFile ? ` from ${opts.labFile}` : ""}, run ${plan.runId}`);
  comment(
    `variant: ${plan.variant}${plan.variant === "clsact" ? " (clsact qdisc + cls_bpf direct action)" : " (the write-up's prio/matchall/act_bpf/act_csum)"}`,
  );
  comment(`kernel ${describeFeatures(plan.features)}`);
  comment(
    `namespaces: ${Object.entries(plan.namespaces)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ")}`,
  );
  comment("Run as root: `sh THIS` builds the lab and leaves it up; `sh THIS down` removes it.");
  out.push("set -e", "");
  out.push("teardown() {");
  for (const s of plan.teardown) out.push(`  # ${s.why}`, `  ${shJoin(hostArgv(s.ns, s.argv))} 2>/dev/null || true`);
  out.push("}", "");
  out.push('if [ "$#" -gt 0 ] && [ "$1" = down ]; then teardown; exit 0; fi', "");
  comment("Any failure or interruption takes down what was built so far.");
  out.push(
    "trap 'status=$?; trap - EXIT; teardown; exit $status' EXIT",
    "trap 'exit 130' INT",
    "trap 'exit 143' TERM",
    "",
  );
  for (const step of plan.setup) {
    comment(step.why);
    const replaced = step.replaces ?? [];
    const reason = standInReason(plan, step);
    for (const r of replaced) comment(`write-up step ${r.n}: ${r.text}${replaced.length === 1 ? reason : ""}`);
    if (replaced.length > 1 && reason) comment(`  ${reason.trim()}`);
    out.push(command(step), "");
  }
  if (plan.services.length > 0) {
    comment("Services: `natlab run` starts these after setup and stops them before teardown:");
    for (const s of plan.services) comment(`  ${s.name}: ${shJoin(hostArgv(s.ns, s.cmd))}`);
    out.push("");
  }
  if (plan.notes.length > 0) {
    comment("Notes:");
    for (const n of plan.notes) comment(`  ${n}`);
    out.push("");
  }
  out.push("trap - EXIT INT TERM");
  const del = plan.teardown.map((s) => shJoin(hostArgv(s.ns, s.argv))).join("; ");
  out.push(`echo ${shQuote(`lab ${plan.lab} is up (run ${plan.runId}); remove it with: ${del}`)}`);
  return `${out.join("\n")}\n`;
}
