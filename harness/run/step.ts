/**
 * `natlab step`: a lab built one plan step at a time, for teaching. Each
 * step shows why it is there, the write-up step it stands for (the plan
 * carries both, see plan/writeup.ts) and the command as typed on a shell;
 * Enter runs it. After a step that attaches or configures the translator,
 * what changed: `tc -s filter show` on that hook and the translator's
 * counters. The build is bringUp's, so at the end the lab is up as with
 * `natlab up`, and Ctrl-C or `q` removes what was built so far.
 */
import { createInterface } from "node:readline";
import { devicePrograms, programInfo } from "../bpf/config.ts";
import { formatStats, readStats } from "../bpf/stats.ts";
import { run } from "../exec/command.ts";
import type { Step } from "../plan/plan.ts";
import { hostArgv } from "../plan/script.ts";
import { shJoin } from "../text/shell.ts";
import type { LabRunOptions, PreparedLab } from "./lab.ts";
import { bringUp, labFileOf, upMessage } from "./up.ts";

/** Lines from stdin, one per call; undefined at end of input. */
function lineReader(): { next(): Promise<string | undefined>; close(): void } {
  // terminal: false leaves the terminal in cooked mode, so Ctrl-C is a real SIGINT and tears the lab down.
  const rl = createInterface({ input: process.stdin, terminal: false });
  const queue: string[] = [];
  const waiting: ((l: string | undefined) => void)[] = [];
  let ended = false;
  rl.on("line", (l) => (waiting.length ? waiting.shift()?.(l) : queue.push(l)));
  rl.on("close", () => {
    ended = true;
    for (const w of waiting.splice(0)) w(undefined);
  });
  return {
    next: () =>
      queue.length
        ? Promise.resolve(queue.shift())
        : ended
          ? Promise.resolve(undefined)
          : new Promise((r) => waiting.push(r)),
    close: () => rl.close(),
  };
}

/** For a step that attaches the translator or sets its prefix: the lab namespace, device and hook it acts on. */
export function bpfTarget(step: Step): { ns: string; dev: string; hook: "ingress" | "egress" } | undefined {
  const m = /^(bpf|matchall|prefix):([^:]+):([^:]+):(ingress|egress)/.exec(step.id);
  return m ? { ns: m[2], dev: m[3], hook: m[4] as "ingress" | "egress" } : undefined;
}

/** The text shown before a step runs. */
export function describeStep(step: Step, index: number, total: number): string {
  const lines = [`── step ${index + 1}/${total} ${"─".repeat(40)}`, `  why:       ${step.why}`];
  for (const r of step.replaces ?? []) lines.push(`  write-up:  step ${r.n}: ${r.text}`);
  lines.push(`  command:   ${shJoin(hostArgv(step.ns, step.argv))}`);
  if (step.stdin !== undefined)
    lines.push(
      ...step.stdin
        .trimEnd()
        .split("\n")
        .map((l) => `             | ${l}`),
    );
  return lines.join("\n");
}

/** What changed at a translator hook: tc's filter list with statistics, then the counters of each program there. */
async function showTranslator(
  p: PreparedLab,
  t: { ns: string; dev: string; hook: "ingress" | "egress" },
): Promise<string> {
  const ns = p.nsOf(t.ns);
  const where = p.variant === "literal" ? (t.hook === "ingress" ? ["parent", "ffff:"] : []) : [t.hook];
  const argv = ["tc", "-s", "filter", "show", "dev", t.dev, ...where];
  const tc = await run(argv, { ns, allowFail: true });
  const out = [
    `  $ ${shJoin(hostArgv(ns, argv))}`,
    ...(tc.stdout || tc.stderr)
      .trimEnd()
      .split("\n")
      .map((l) => `    ${l}`),
  ];
  for (const { id, hook } of await devicePrograms(ns, t.dev)) {
    const info = await programInfo(id);
    if (info.maps.nat64_stats === undefined) continue;
    out.push(`  translator counters, ${t.dev} ${hook} (program ${id}, ${info.name}):`);
    out.push(formatStats(await readStats(info.maps.nat64_stats), { indent: "    " }));
  }
  return out.join("\n");
}

export async function stepThrough(
  labArg: string,
  opts: Pick<LabRunOptions, "root" | "variant" | "object" | "prefix">,
  o: { yes: boolean },
): Promise<number> {
  const say = (t: string) => process.stdout.write(`${t}\n`);
  const input = o.yes ? undefined : lineReader();
  let pausing = !o.yes;
  let first = true;
  try {
    const r = await bringUp(labFileOf(labArg), opts, {
      async before(step, i, total) {
        if (first) {
          first = false;
          say(
            `natlab step: ${total} steps build this lab. Enter runs a step; a + Enter runs the rest; q + Enter stops and removes the lab.\n`,
          );
        }
        say(describeStep(step, i, total));
        if (!pausing || !input) return true;
        process.stdout.write("  [Enter] run it  [a] run the rest  [q] stop and remove the lab > ");
        const answer = await input.next();
        if (answer === undefined || answer.trim() === "q") {
          say(
            answer === undefined
              ? "\nend of input: stopping, removing what was built"
              : "stopping, removing what was built",
          );
          return false;
        }
        if (answer.trim() === "a") pausing = false;
        return true;
      },
      async after(e, p) {
        say("  done");
        const target = bpfTarget(e.step);
        if (target) say(await showTranslator(p, target));
        say("");
      },
      note: (t) => say(`natlab: ${t}`),
    });
    if (!r.up) return 1;
    for (const n of r.prepared.plan.notes) say(`note: ${n}`);
    say(upMessage(r.prepared, r.ms));
    return 0;
  } finally {
    input?.close();
  }
}
