/**
 * A green result must mean something, and a bad request must fail before
 * anything is built:
 *   - every broken lab of the corpus is refused by `natlab run`, all at once, no stack trace;
 *   - --prefix and --object are checked by the lab file's rules, before any setup step;
 *   - a --filter that matches nothing is a failure;
 *   - a stale or missing translator build is rebuilt before run, xlat and golden check use it;
 *   - after a setup failure summary.json counts 1 failed, as TAP and JUnit do;
 *   - a passing flow says in TAP and JUnit what each expectation matched;
 *   - `--repeat N` runs each flow N times and gives its pass rate.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import test from "ava";
import { run } from "../../harness/exec/command.ts";
import { natlab, natlabNamespaces, ROOT, runDirs } from "./helpers.ts";

const CORPUS = "test/fixtures/labs-invalid";
const F = "test/fixtures/labs";

/** No setup step ran: the console shows none, and no run directory was made for the lab. */
function nothingBuilt(out: string, lab: string, before: string[]): boolean {
  return !/setup \d+\/\d+/.test(out) && JSON.stringify(runsOf(lab)) === JSON.stringify(before);
}

function runsOf(lab: string): string[] {
  const dir = join(ROOT, "results", lab);
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

test("natlab run refuses the whole corpus of broken labs before building anything, each at its file:line:col", async (t) => {
  const files = readdirSync(CORPUS)
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => `${CORPUS}/${f}`);
  const before = natlabNamespaces().length;
  const r = await natlab(["run", ...files]);
  t.is(r.code, 1, r.out.slice(0, 2000));
  t.false(/^\s+at /m.test(r.out), "no stack trace");
  for (const f of files) {
    const first = /^# expect: (\d+:\d+) /m.exec(readFileSync(join(ROOT, f), "utf8"));
    t.true(r.out.includes(`${f}:${first?.[1]}: `), `${f} is reported at ${first?.[1]}`);
  }
  t.false(/setup \d+\/\d+/.test(r.out), "no setup step ran");
  // Other runs may come and go beside this one; this one adds none.
  t.true(natlabNamespaces().length <= before);
});

test("--prefix gives the lab file's own words, before anything is built", async (t) => {
  const before = runsOf("article");
  const flag = await natlab(["run", "labs/article.yaml", "--prefix", "192.168.0.0/16"]);
  const file = await natlab(["run", `${CORPUS}/prefix-ipv4.yaml`]);
  t.is(flag.code, 2, flag.out);
  t.regex(flag.out, /^natlab run: --prefix 192\.168\.0\.0\/16: the NAT64 prefix must be IPv6$/m);
  t.regex(file.out, /prefix-ipv4\.yaml:\d+:\d+: bpf\[0\]\.prefix: the NAT64 prefix must be IPv6$/m);
  t.true(nothingBuilt(flag.out, "article", before), flag.out);
});

test("--object: a missing file, and an object without the lab's sections at the lab's file:line, before anything is built", async (t) => {
  const before = runsOf("article");
  const missing = await natlab(["run", "labs/article.yaml", "--object", "bpf/no-such.o"]);
  t.is(missing.code, 2, missing.out);
  t.regex(missing.out, /^natlab run: --object bpf\/no-such\.o: no such file$/m);
  // A BPF object of another translator, whose sections are named otherwise (xlat64, xlat46).
  await run(["make", "-s", "-C", join(ROOT, "test/fixtures/foreign")]);
  const foreign = "test/fixtures/foreign/siit96.o";
  const other = await natlab(["run", "labs/article.yaml", "--object", foreign]);
  t.is(other.code, 1, other.out);
  t.regex(
    other.out,
    /^labs\/article\.yaml:\d+:\d+: bpf\[0\]\.section: --object \S+siit96\.o has no program section `4to6` \(it has: xlat64, xlat46\)/m,
  );
  t.true(nothingBuilt(missing.out + other.out, "article", before), other.out);
});

test("--filter matching no flow fails with the flows there are, before anything is built", async (t) => {
  const before = runsOf("article");
  const r = await natlab(["run", "labs/article.yaml", "--filter", "no such flow"]);
  t.is(r.code, 2, r.out);
  t.regex(r.out, /natlab run: --filter "no such flow" matches no flow \(flows: "ping 6 to 4 and back"/);
  t.true(nothingBuilt(r.out, "article", before), r.out);
});

test("a translator source newer than its object is rebuilt before the run", async (t) => {
  const object = join(ROOT, "bpf", "nat64.o");
  const source = join(ROOT, "bpf", "nat64.c");
  // The source as if edited after the last build (its content is unchanged: make rebuilds the same program).
  const later = new Date(statSync(object).mtimeMs + 2000);
  utimesSync(source, later, later);
  const r = await natlab(["run", "labs/article.yaml", "--filter", "crafted udp"]);
  t.is(r.code, 0, r.out);
  t.regex(r.out, /rebuilding \(make -C bpf\)/);
  t.true(statSync(object).mtimeMs >= later.getTime() - 1000, "nat64.o was rebuilt");
});

test("after a setup failure summary.json counts 1 failed with the error, as TAP and JUnit do", async (t) => {
  const r = await natlab(["run", `${F}/bad-setup.yaml`]);
  t.not(r.code, 0);
  const dir = runDirs(r.out)["bad-setup"];
  t.truthy(dir, r.out);
  const summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8"));
  t.is(summary.counts.fail, 1, JSON.stringify(summary.counts));
  t.regex(JSON.stringify(summary.flows), /nft/, "the error is in summary.json");
  t.regex(readFileSync(join(dir, "report.tap"), "utf8"), /^not ok 1 - lab bad-setup setup/m);
  t.regex(readFileSync(join(dir, "junit.xml"), "utf8"), /failures="1"/);
});

test("a passing flow says in TAP and JUnit what each expectation matched", async (t) => {
  const r = await natlab(["run", "labs/article.yaml", "--filter", "crafted udp"]);
  t.is(r.code, 0, r.out);
  const dir = runDirs(r.out).article;
  const tap = readFileSync(join(dir, "report.tap"), "utf8");
  const junit = readFileSync(join(dir, "junit.xml"), "utf8");
  for (const text of [tap, junit]) {
    t.regex(text, /expect\[0\] on host:zb: 1 frame, checksums valid/, text);
    t.regex(text, /expect\[1\] on host:zb: 1 frame, checksums valid/, text);
  }
});

test("--repeat N runs each flow N times and prints its pass rate", async (t) => {
  const r = await natlab(["run", "labs/article.yaml", "--filter", "crafted", "--repeat", "3"]);
  t.is(r.code, 0, r.out);
  for (const flow of ["crafted tcp syn", "crafted udp", "crafted icmpv6 echo"]) {
    t.regex(r.out, new RegExp(`^\\s*3/3\\s+article\\s+${flow}$`, "m"), r.out);
  }
  const bad = await natlab(["run", "labs/article.yaml", "--repeat", "0"]);
  t.is(bad.code, 2, bad.out);
});

test("a missing translator object is rebuilt before xlat, and a stale one before golden check", async (t) => {
  const object = join(ROOT, "bpf", "nat64.o");
  rmSync(object, { force: true });
  const out = join(mkdtempSync(join(tmpdir(), "natlab-test-xlat-")), "out.pcap");
  const x = await natlab(["xlat", "fixtures/pcaps/icmp-echo/echo-reply-4to6.in.pcap", "--out", out]);
  t.is(x.code, 0, x.out);
  t.regex(x.out, /rebuilding \(make -C bpf\)/);
  t.true(existsSync(object), "nat64.o was rebuilt");
  rmSync(dirname(out), { recursive: true, force: true });
  const source = join(ROOT, "bpf", "nat64.c");
  const later = new Date(statSync(object).mtimeMs + 2000);
  utimesSync(source, later, later);
  const g = await natlab(["golden", "check", "--filter", "echo request"]);
  t.is(g.code, 0, g.out);
  t.regex(g.out, /rebuilding \(make -C bpf\)/);
  t.false(/^\s+at /m.test(x.out + g.out), "no stack trace");
});
