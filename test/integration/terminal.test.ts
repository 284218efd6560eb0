/**
 * natlab's interactive commands in a real terminal (tmux, see tmux.ts):
 *   - `natlab step labs/article.yaml`, driven one Enter at a time: every plan
 *     step shown with its why and the write-up steps it stands for, tc's
 *     filter list and the translator's counters after each BPF step, the lab
 *     up at the end; then `natlab down`, and nothing is left;
 *   - `natlab shell LAB NS`: the prompt names the lab and the namespace, a
 *     command runs inside that namespace, `exit` leaves with its status.
 * Labs are named by run id, never by name, so an article lab someone else
 * has up on the machine is never touched.
 */
import { existsSync } from "node:fs";
import test, { type ExecutionContext } from "ava";
import { recordPath } from "../../harness/exec/owner.ts";
import { prepareLab } from "../../harness/run/lab.ts";
import { namespacesOfRun, natlab, ownerRecords, ROOT } from "./helpers.ts";
import { Terminal } from "./tmux.ts";

const PROMPT = "[Enter] run it  [a] run the rest  [q] stop and remove the lab >";

/** How many times `needle` occurs in `text`. */
function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/** The text natlab step showed for step n (from its header to the next step's, or to the end). */
function block(screen: string, n: number, total: number): string {
  const start = screen.indexOf(`── step ${n}/${total} `);
  const end = screen.indexOf(`── step ${n + 1}/${total} `);
  return start < 0 ? "" : screen.slice(start, end < 0 ? undefined : end);
}

/** `natlab down RUN-ID`, then: no namespace, owner record or temporary directory of that run is left. */
async function downAndGone(t: ExecutionContext, runId: string, temp: string[]): Promise<void> {
  const down = await natlab(["down", runId]);
  t.is(down.code, 0, down.out);
  t.regex(down.out, new RegExp(`lab article \\(run ${runId}\\) is down: removed 1 namespace`));
  t.deepEqual(namespacesOfRun(runId), [], "no namespace of the lab is left");
  t.false(existsSync(recordPath(runId)), "no owner record is left");
  t.deepEqual(
    temp.filter((d) => existsSync(d)),
    [],
    "no temporary directory is left",
  );
}

/**
 * After the step test, pass or fail: a lab natlab step finished is taken down with `natlab down`; one whose
 * natlab step was still building when the terminal closed is removed by the next natlab command's sweep of dead
 * owners (`natlab ls` here). Either way nothing of the run may be left.
 */
async function removeStepped(t: ExecutionContext, runId: string, temp: string[]): Promise<void> {
  const alive = (pid: number) => existsSync(`/proc/${pid}`);
  const deadline = Date.now() + 30_000;
  // natlab step ends with its terminal (SIGHUP): wait for that, bounded, before touching what it made.
  for (
    let r = ownerRecords().get(runId);
    r && !r.ready && alive(r.pid) && Date.now() < deadline;
    r = ownerRecords().get(runId)
  ) {
    await new Promise((res) => setTimeout(res, 50));
  }
  const rec = ownerRecords().get(runId);
  if (rec?.ready) return downAndGone(t, runId, temp);
  await natlab(["ls"]);
  t.deepEqual(namespacesOfRun(runId), [], "no namespace of the interrupted build is left");
  t.false(existsSync(recordPath(runId)), "no owner record of the interrupted build is left");
}

test.serial(
  "natlab step in tmux: each step with its why and write-up step, tc and counters after BPF, the lab up",
  async (t) => {
    const term = Terminal.start([`${ROOT}/bin/natlab`, "step", "labs/article.yaml"]);
    let runId: string | undefined;
    let temp: string[] = [];
    try {
      const first = await term.waitFor("the first step", (s) => /ip netns add natlab-[0-9a-f]{6}-host/.test(s));
      const total = Number(/natlab step: (\d+) steps build this lab/.exec(first)?.[1]);
      runId = /ip netns add natlab-([0-9a-f]{6})-host/.exec(first)?.[1];
      if (!runId || !total) return t.fail(`no step count or run id in:\n${first}`);
      temp = ownerRecords().get(runId)?.temp ?? [];
      // The plan is pure: planned again under the same run id, it is the plan natlab step is showing.
      const plan = prepareLab("labs/article.yaml", { root: ROOT }, runId).plan;
      t.is(total, plan.setup.length, "every setup step of the plan is offered");

      for (let n = 1; n <= total; n++) {
        // Enter only once step n is on the screen and asks for it: a key sent earlier would answer the wrong step.
        const screen = await term.waitFor(
          `step ${n}/${total} to ask for Enter (or run without asking)`,
          (s) => count(s, PROMPT) >= n || count(s, "  done") >= n,
        );
        if (!t.is(count(screen, "  done"), n - 1, `step ${n} waits for Enter: nothing ran ahead of it`)) return;
        term.type("");
      }
      const end = await term.waitFor(
        "the lab to be up",
        (s) => /^lab article is up \(run [0-9a-f]{6}/m.test(s),
        60_000,
      );
      t.is(await term.exited(), 0, "natlab step exits 0");

      const withWriteUp: number[] = [];
      plan.setup.forEach((s, i) => {
        const b = block(end, i + 1, total);
        t.true(b.includes(`  why:       ${s.why}`), `step ${i + 1} shows its why (${s.why}):\n${b}`);
        for (const r of s.replaces ?? []) {
          t.true(b.includes(`  write-up:  step ${r.n}: ${r.text}`), `step ${i + 1} shows write-up step ${r.n}:\n${b}`);
          withWriteUp.push(r.n);
        }
        t.regex(b, /\n {2}done\n/, `step ${i + 1} ran`);
      });
      t.true(withWriteUp.length >= 15, `the write-up's steps are shown beside the plan's (${withWriteUp.join(", ")})`);

      // After each BPF attachment: tc -s filter show on that hook, then the counters of the programs there.
      for (const [hook, section] of [
        ["ingress", "4to6"],
        ["egress", "6to4"],
      ]) {
        const n =
          plan.setup.findIndex((s) => s.argv.includes("filter") && s.argv.includes(hook) && s.argv.includes(section)) +
          1;
        t.true(n > 0, `the plan attaches ${section} at za ${hook}`);
        const b = block(end, n, total);
        t.true(
          b.includes(`$ tc -n natlab-${runId}-host -s filter show dev za ${hook}`),
          `tc -s filter show after step ${n}:\n${b}`,
        );
        t.regex(b, new RegExp(`nat64\\.o:\\[${section}\\] direct-action`), `tc lists the ${section} program`);
        t.regex(
          b,
          new RegExp(`translator counters, za ${hook} \\(program \\d+, nat64_${section}\\):\\n {4}\\S`),
          `its counters after step ${n}`,
        );
      }
      t.regex(end, /natlab down article/, "it says how to remove the lab");

      // The lab outlived natlab step.
      t.deepEqual(namespacesOfRun(runId), [`natlab-${runId}-host`]);
      t.like(ownerRecords().get(runId), { kind: "up", ready: true });
      const ping = await natlab(["exec", runId, "host", "--", "ping", "-c", "1", "64:ff9b:1:fffe::c0a8:202"]);
      t.is(ping.code, 0, ping.out);
    } finally {
      runId ??= /natlab-([0-9a-f]{6})-host/.exec(term.screen())?.[1];
      term.close();
      if (runId) await removeStepped(t, runId, temp);
    }
  },
);

test.serial("natlab shell in tmux: the prompt names lab and namespace, commands run there, exit leaves", async (t) => {
  const up = await natlab(["up", "labs/article.yaml"]);
  t.is(up.code, 0, up.out);
  const runId = /lab article is up \(run ([0-9a-f]{6})/.exec(up.out)?.[1];
  if (!runId) return t.fail(`no run id in:\n${up.out}`);
  const temp = ownerRecords().get(runId)?.temp ?? [];
  const term = Terminal.start([`${ROOT}/bin/natlab`, "shell", runId, "host"]);
  try {
    // The prompt: the lab and namespace, then the working directory, as `[natlab article:host] ~# `.
    const prompt = "[natlab article:host] ";
    const atPrompt = (s: string) => /\[natlab article:host\] \S*#$/.test(s.trimEnd().split("\n").at(-1) ?? "");
    const first = await term.waitFor("the shell's prompt", atPrompt);
    t.true(first.includes(`natlab: a shell in natlab-${runId}-host (lab article, namespace host)`), first);

    term.type("ip -br addr; ip netns identify");
    const ns = `natlab-${runId}-host`;
    const shown = await term.waitFor("the namespace's addresses", (s) => count(s, prompt) >= 2 && atPrompt(s));
    t.regex(shown, /^za@zb\s+\S+\s+64:ff9b:1:fffe::c0a8:201\/96/m, "ip -br addr shows the lab's address on za");
    t.regex(shown, /^zb@za\s+\S+\s+192\.168\.2\.2\/24/m);
    t.regex(shown, new RegExp(`^${ns}$`, "m"), "ip netns identify names the lab's namespace");

    term.type("exit 7");
    t.is(await term.exited(), 7, "exit leaves the shell, and its status is natlab's");
    t.deepEqual(namespacesOfRun(runId), [ns], "the lab stays up after the shell");
  } finally {
    term.close();
    await downAndGone(t, runId, temp);
  }
});
