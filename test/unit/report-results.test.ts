/**
 * harness/report: JUnit through tap-junit (run as a subprocess) and the
 * results directory.
 */
import { readlinkSync, writeFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import {
  devFile,
  finishRun,
  junitFromTap,
  latestRun,
  listRuns,
  parseKeep,
  resultsDir,
  resultsLayout,
  slug,
  summarize,
  TapWriter,
  writeReports,
} from "../../harness/report/index.ts";

/**
 * Well-formedness, enough for what tap-junit writes: balanced tags, quoted
 * attributes without duplicates, no raw "<" or stray "&" in text. Returns the
 * first problem, or "" when there is none.
 */
function xmlProblem(xml: string): string {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, "");
  const entity = /&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;
  const stack: string[] = [];
  let roots = 0;
  let last = 0;
  for (const m of body.matchAll(/<[^<>]*>/g)) {
    const text = body.slice(last, m.index);
    if (text.includes("<") || entity.test(text)) return `bad text before offset ${m.index}: ${text.slice(0, 40)}`;
    if (stack.length === 0 && text.trim() !== "") return `text outside the root: ${text.slice(0, 40)}`;
    last = m.index + m[0].length;
    const tag = /^<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>$/.exec(m[0]);
    if (!tag) return `malformed tag ${m[0].slice(0, 60)}`;
    const [, close, name, attrs, self] = tag;
    const names = [...attrs.matchAll(/([\w:.-]+)="([^"]*)"/g)].map((a) => {
      if (entity.test(a[2])) throw new Error(`bad entity in attribute ${a[1]}`);
      return a[1];
    });
    if (new Set(names).size !== names.length) return `duplicate attribute in ${m[0].slice(0, 60)}`;
    if (close) {
      if (stack.pop() !== name) return `</${name}> closes the wrong element`;
    } else if (!self) {
      if (stack.length === 0) roots++;
      stack.push(name);
    } else if (stack.length === 0) roots++;
  }
  if (body.slice(last).trim() !== "") return "text after the root";
  if (stack.length) return `unclosed <${stack.at(-1)}>`;
  return roots === 1 ? "" : `${roots} root elements`;
}

function sampleTap(): TapWriter {
  const w = new TapWriter();
  w.add({ name: "ping 6→4 (offloads on)", ok: true, durationMs: 410 });
  w.add({
    name: "tcp <syn> & ack",
    ok: false,
    durationMs: 1234,
    diagnostics: {
      message: 'expect[0] on router:eth1\n  ✗ ipv4.ttl  64  63\n  "quoted"',
      pcaps: ["flows/tcp/router-eth1.pcap"],
    },
    comment: "pcaps: flows/tcp/router-eth1.pcap",
  });
  w.add({ name: "frag", ok: true, skip: "needs sch_prio", durationMs: 0 });
  w.add({ name: "pmtu", ok: false, todo: "not yet", durationMs: 2 });
  return w;
}

test("the XML checker itself rejects broken XML", (t) => {
  t.is(xmlProblem('<?xml version="1.0"?><a x="1"><b/>t</a>'), "");
  t.not(xmlProblem("<a><b></a></b>"), "");
  t.not(xmlProblem('<a x="1" x="2"/>'), "");
  t.not(xmlProblem("<a>R&D</a>"), "");
  t.not(xmlProblem("<a/><b/>"), "");
});

test("JUnit from TAP: well-formed, with failures, skips, times and the failure text line by line", async (t) => {
  const w = sampleTap();
  const xml = await junitFromTap(
    w.toString({ todoAsSkip: true }),
    "article",
    w.results.map((r) => r.durationMs),
  );
  t.is(xmlProblem(xml), "", xml);
  t.regex(xml, /<testsuites tests="4" name="article" failures="1">/);
  t.regex(xml, /<testsuite name="article" tests="4" skipped="2" failures="1">/);
  t.regex(xml, /<testcase name="ping 6→4 \(offloads on\)" id="1" time="0\.410"/);
  t.regex(
    xml,
    /<testcase name="tcp &lt;syn&gt; &amp; ack" id="2" time="1\.234"><failure message="expect\[0\] on router:eth1&#10;/,
  );
  t.regex(xml, />expect\[0\] on router:eth1\n {2}✗ ipv4\.ttl {2}64 {2}63\n {2}&quot;quoted&quot;<\/failure>/);
  t.regex(xml, /<system-out># pcaps: flows\/tcp\/router-eth1\.pcap\n<\/system-out>/);
  t.regex(xml, /<testcase name="frag" id="3" time="0\.000"><skipped\/>/);
  t.regex(xml, /<testcase name="pmtu" id="4" time="0\.002"><skipped\/>/, "TODO reported as skipped");
});

test("JUnit from TAP: a text that is no TAP still gives a well-formed, empty report", async (t) => {
  const xml = await junitFromTap("not tap at all\n", "x");
  t.is(xmlProblem(xml), "");
  t.regex(xml, /tests="0"/);
});

test("slug and device file names", (t) => {
  t.is(slug("ping 6→4 (offloads on)"), "ping-6-4-offloads-on");
  t.is(slug("  TCP: SYN/ACK  "), "tcp-syn-ack");
  t.is(slug("→"), "flow");
  t.is(devFile("router:eth1"), "router-eth1");
});

test("results layout: fixed names under results/<lab>/<run-id>/; odd lab names and run ids refused", (t) => {
  const l = resultsLayout("/p", "article", "a1b2c3");
  t.is(l.labDir, "/p/results/article");
  t.is(l.dir, "/p/results/article/a1b2c3");
  t.is(l.tap, "/p/results/article/a1b2c3/report.tap");
  t.is(l.junit, "/p/results/article/a1b2c3/junit.xml");
  t.is(l.summary, "/p/results/article/a1b2c3/summary.json");
  t.is(l.html, "/p/results/article/a1b2c3/report.html");
  t.is(l.trace, "/p/results/article/a1b2c3/trace.txt");
  t.is(l.plan, "/p/results/article/a1b2c3/plan.sh");
  t.is(l.stats, "/p/results/article/a1b2c3/stats.json");
  t.is(
    l.pcap("ping 6→4 (offloads on)", "router:eth1"),
    "/p/results/article/a1b2c3/flows/ping-6-4-offloads-on/router-eth1.pcap",
  );
  for (const bad of ["../etc", "", "Article", "a/b"])
    t.throws(() => resultsLayout("/p", bad, "a1b2c3"), { message: /cannot name a results directory/ });
  for (const bad of ["latest", "..", "a/b", ""])
    t.throws(() => resultsLayout("/p", "article", bad), { message: /run id .* cannot name/ });
});

test("resultsDir makes this run's directory and touches no other run; the flat layout of old is removed", async (t) => {
  const root = await mkdtemp(join(tmpdir(), "natlab-h6-"));
  try {
    await mkdir(join(root, "results", "article", "flows", "old"), { recursive: true });
    await writeFile(join(root, "results", "article", "summary.json"), "{}");
    await mkdir(join(root, "results", "article", "0ld0ld"), { recursive: true });
    await writeFile(join(root, "results", "article", "0ld0ld", "keep"), "keep");
    await mkdir(join(root, "results", "other"), { recursive: true });
    await writeFile(join(root, "results", "other", "keep"), "keep");
    const layout = await resultsDir(root, "article", "r1");
    await t.throwsAsync(stat(join(layout.labDir, "flows")));
    await t.throwsAsync(stat(join(layout.labDir, "summary.json")));
    t.true((await stat(join(layout.dir, "flows"))).isDirectory());
    t.is(JSON.parse(await readFile(layout.run, "utf8")).runId, "r1");
    t.is(await readFile(join(root, "results", "article", "0ld0ld", "keep"), "utf8"), "keep");
    t.is(await readFile(join(root, "results", "other", "keep"), "utf8"), "keep");

    const meta = {
      lab: "article",
      kernel: "6.18.44",
      variant: "clsact",
      runId: "r1",
      startedAt: "2026-11-26T22:00:00Z",
      durationMs: 1646,
    };
    const summary = summarize(meta, [
      { name: "ping 6→4 (offloads on)", status: "pass", durationMs: 410 },
      {
        name: "tcp",
        status: "fail",
        durationMs: 1234,
        failure: "expect[0] \x1b[31m✗\x1b[0m …",
        pcaps: ["flows/tcp/router-eth1.pcap"],
      },
      { name: "frag", status: "skip", durationMs: 0, skip: "needs sch_prio" },
    ]);
    await writeReports(layout, sampleTap(), summary);
    const back = JSON.parse(await readFile(layout.summary, "utf8"));
    t.deepEqual(back.counts, { pass: 1, fail: 1, skip: 1 });
    t.is(back.flows[1].failure, "expect[0] ✗ …", "no colour codes in summary.json");
    t.regex(await readFile(layout.tap, "utf8"), /^TAP version 13\n1\.\.4\n/);
    const xml = await readFile(layout.junit, "utf8");
    t.is(xmlProblem(xml), "");
    t.regex(xml, /failures="1"/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test("finishRun points latest at the run and keeps the newest N; a run still going is never pruned", async (t) => {
  const root = await mkdtemp(join(tmpdir(), "natlab-keep-"));
  try {
    const finished = async (id: string, minute: number) => {
      const l = await resultsDir(root, "article", id, new Date(Date.UTC(2026, 11, 5, 9, minute)));
      // A dead writer: pid 0 is never a process natlab could have started.
      writeFileSync(
        l.run,
        JSON.stringify({
          lab: "article",
          runId: id,
          startedAt: new Date(Date.UTC(2026, 11, 5, 9, minute)).toISOString(),
          pid: 0,
        }),
      );
      await writeFile(l.summary, "{}");
      return l;
    };
    for (let i = 1; i <= 4; i++) await finished(`run${i}`, i);
    // run0 started first and is still going (this process wrote it and it has no summary yet).
    const going = await resultsDir(root, "article", "run0", new Date(Date.UTC(2026, 11, 5, 9, 0)));
    const last = await finished("run5", 5);
    const removed = finishRun(last, 2);
    t.deepEqual(removed.map((d) => d.split("/").pop()).sort(), ["run1", "run2", "run3"]);
    t.deepEqual((await readdir(last.labDir)).sort(), ["latest", "run0", "run4", "run5"]);
    t.is(readlinkSync(join(last.labDir, "latest")), "run5", "latest is a relative link to the run");
    t.is(latestRun(root, "article")?.dir, last.dir);
    t.deepEqual(
      listRuns(last.labDir).map((r) => r.record.runId),
      ["run0", "run4", "run5"],
      "oldest first",
    );
    t.false(listRuns(last.labDir)[0].finished);
    t.truthy(going);
    // The run that was still going finishes: it becomes latest and prunes the older ones beyond 2.
    await writeFile(going.summary, "{}");
    finishRun(going, 2);
    t.is(latestRun(root, "article")?.runId, "run0");
    t.deepEqual(
      (await readdir(last.labDir)).sort(),
      ["latest", "run0", "run5"],
      "run0 is kept as latest; run4 is the oldest beyond 2",
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test("parseKeep: a whole number of runs, 1 or more", (t) => {
  t.is(parseKeep(undefined), 10);
  t.is(parseKeep("3"), 3);
  for (const bad of ["0", "-1", "two", "1.5"]) t.throws(() => parseKeep(bad), { message: /number of runs to keep/ });
});
