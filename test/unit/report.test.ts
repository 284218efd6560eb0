/**
 * harness/report: console lines, colour rules, the TAP writer.
 */
import test from "ava";
import {
  ConsoleReporter,
  colorEnabled,
  formatFlowLine,
  formatLabStart,
  formatSummary,
  TapWriter,
} from "../../harness/report/index.ts";

const ANSI = /\x1b\[/;

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { out: { isTTY, write: (s: string) => chunks.push(s) }, text: () => chunks.join("") };
}

test("colour: only on a TTY, never with NO_COLOR, forced by FORCE_COLOR", (t) => {
  t.true(colorEnabled({ isTTY: true }, {}));
  t.false(colorEnabled({ isTTY: false }, {}));
  t.false(colorEnabled({ isTTY: true }, { NO_COLOR: "1" }));
  t.true(colorEnabled({ isTTY: false }, { FORCE_COLOR: "1" }));
  t.false(colorEnabled({ isTTY: false }, { FORCE_COLOR: "0" }));
});

test("console lines read as the brief shows them", (t) => {
  t.is(
    formatLabStart({ lab: "article", flows: 6, kernel: "6.18.44", variant: "clsact" }),
    "lab article (6 flows, kernel 6.18.44, variant clsact)",
  );
  t.is(
    formatFlowLine({ name: "ping 6→4 (offloads on)", status: "pass", durationMs: 410 }, false),
    "  ✓ ping 6→4 (offloads on)  0.41s",
  );
  t.is(
    formatFlowLine({ name: "frag", status: "skip", skip: "needs sch_prio", durationMs: 0 }, false),
    "  - frag # SKIP needs sch_prio",
  );
  t.is(
    formatFlowLine(
      { name: "tcp", status: "fail", durationMs: 1234, failure: "expect[0] on r:e1\n  ✗ ipv4.ttl 64 63" },
      false,
    ),
    "  ✗ tcp  1.23s\n      expect[0] on r:e1\n        ✗ ipv4.ttl 64 63",
  );
  t.is(
    formatSummary(
      { lab: "article", passed: 7, failed: 1, skipped: 1, durationMs: 12_345, resultsDir: "/p/results/article" },
      false,
      "/p",
    ),
    "article: 7 passed, 1 failed, 1 skipped in 12.3s; results in results/article/",
  );
  t.is(
    formatSummary(
      {
        lab: "article",
        passed: 9,
        failed: 0,
        skipped: 0,
        durationMs: 5_270,
        resultsDir: "/p/results/article",
        setupMs: 580,
        teardownMs: 210,
      },
      false,
      "/p",
    ),
    "article: 9 passed, 0 failed, 0 skipped in 5.27s (setup 0.58s, teardown 0.21s); results in results/article/",
  );
});

test("ConsoleReporter off a TTY: no colour, no carriage returns, setup shown once when done", (t) => {
  const s = sink(false);
  const r = new ConsoleReporter(s.out, {});
  r.labStart({ lab: "article", flows: 2, kernel: "6.18", variant: "clsact" });
  for (let i = 1; i <= 23; i++) r.setup(i, 23);
  r.flow({ name: "ping", status: "pass", durationMs: 10 });
  r.flow({ name: "tcp", status: "fail", durationMs: 10, failure: "why" });
  r.summary({ lab: "article", passed: 1, failed: 1, skipped: 0, durationMs: 20, resultsDir: "results/article" });
  const text = s.text();
  t.notRegex(text, ANSI);
  t.notRegex(text, /\r/);
  t.is(text.match(/setup/g)?.length, 1);
  t.regex(text, /^ {2}setup 23\/23 steps$/m);
  t.regex(text, /^ {2}✗ tcp {2}0\.01s\n {6}why$/m);
});

test("ConsoleReporter on a TTY: the setup counter rewrites its line; NO_COLOR keeps it plain", (t) => {
  const s = sink(true);
  const r = new ConsoleReporter(s.out, {});
  r.setup(1, 2);
  r.setupFailed(2, 2, "tc filter add failed: RTNETLINK answers: Invalid argument");
  t.regex(s.text(), /^\r {2}setup 1\/2 steps\x1b\[K\n/);
  t.regex(s.text(), /setup failed at step 2\/2: tc filter/);
  t.regex(s.text(), /\x1b\[31m/);
  const plain = sink(true);
  new ConsoleReporter(plain.out, { NO_COLOR: "1" }).flow({ name: "ping", status: "pass", durationMs: 1 });
  t.is(plain.text(), "  ✓ ping  0.00s\n");
});

test("TAP: plan, test points, SKIP and TODO directives, YAML diagnostics without colour", (t) => {
  const w = new TapWriter();
  w.add({ name: "ping 6→4", ok: true, durationMs: 410 });
  w.add({
    name: "tcp #2",
    ok: false,
    durationMs: 1200,
    diagnostics: { message: "line one\n  \x1b[31m✗ ipv4.ttl\x1b[0m 64 63", pcaps: ["flows/tcp/r-e1.pcap"] },
  });
  w.add({ name: "frag", ok: true, skip: "needs sch_prio", durationMs: 0 });
  w.add({
    name: "pmtu",
    ok: false,
    todo: "not translated yet",
    durationMs: 5,
    diagnostics: "no ICMPv6 packet too big",
  });
  const tap = w.toString();
  const lines = tap.split("\n");
  t.is(lines[0], "TAP version 13");
  t.is(lines[1], "1..4");
  t.true(lines.includes("ok 1 - ping 6→4"));
  t.true(lines.includes("not ok 2 - tcp \\#2"), "a # in a name is escaped");
  t.true(lines.includes("ok 3 - frag # SKIP needs sch_prio"));
  t.true(lines.includes("not ok 4 - pmtu # TODO not translated yet"));
  t.regex(
    tap,
    /not ok 2 - tcp \\#2\n {2}---\n {2}message: \|-\n {4}line one\n {6}✗ ipv4\.ttl 64 63\n {2}pcaps:\n {4}- flows\/tcp\/r-e1\.pcap\n {2}duration_ms: 1200\n {2}\.\.\.\n/,
  );
  t.notRegex(tap, ANSI);
  t.is(w.failed, 1, "a TODO failure does not count");
  t.true(w.toString({ todoAsSkip: true }).includes("ok 4 - pmtu # SKIP todo: not translated yet"));
});
