/**
 * Translators under test (harness/translators/) and `natlab golden compare`
 * (root):
 *   - every golden case through bpf, bpf-tc and tayga on the host: natlab's
 *     own two agree with every case they can run, and every TAYGA
 *     difference is decided (fixtures/pcaps/compare-decisions.yaml);
 *   - jool in the debian-6.1 VM: every Jool difference decided (a skip with
 *     the reason where the VM or Jool's build cannot be had);
 *   - a frame that panics Jool's kernel on purpose: the run boots again,
 *     that frame alone is n/a with the kernel's report, every other frame
 *     comes through;
 *   - compare goes red when one translator is broken: the knock-out build
 *     without quoted-packet translation, passed as bpf;
 *   - a SIGKILLed compare leaves nothing: the datapath translators'
 *     namespaces, temporary files and the TAYGA daemon are in owner records,
 *     and the next natlab command sweeps them;
 *   - bpf:PATH: a foreign translator with its own map layout
 *     (test/fixtures/foreign/siit96.c), set up only through --configure; a
 *     prefix it cannot take is "not applicable", never a pass.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { NAT64_NOQUOTE_OBJECT } from "../../harness/bpf/build.ts";
import { run } from "../../harness/exec/command.ts";
import { isAlive, OWNER_DIR, type OwnerRecord } from "../../harness/exec/owner.ts";
import { filterCases, loadCases } from "../../harness/golden/cases.ts";
import { type CompareResult, compareTranslators } from "../../harness/golden/compare.ts";
import { build, type Packet } from "../../harness/packet/index.ts";
import { makeTranslator } from "../../harness/translators/index.ts";
import { CRASHED } from "../../harness/translators/jool/resume.ts";
import { parseTranslator, parseTranslatorList, type TranslatorInput } from "../../harness/translators/types.ts";
import { QEMU } from "../../harness/vm/accel.ts";
import { cachedKernel } from "../../harness/vm/kernels.ts";
import { NATLAB, natlab, natlabNamespaces, ownerRecords, ROOT } from "./helpers.ts";

const root = process.getuid?.() === 0;
const hostTest = root ? test.serial : test.serial.skip;
if (!root) test.serial.skip("translator comparison skipped: needs root (namespaces, tc, BPF)", () => {});
const cases = loadCases();
const FOREIGN = join(ROOT, "test/fixtures/foreign");

function blocking(r: CompareResult): string {
  return r.blocking.map((b) => `${b.translator}: ${b.id}: ${b.summary}`).join("\n");
}

hostTest("bpf, bpf-tc and tayga: natlab's two agree with every case, every TAYGA difference is decided", async (t) => {
  const r = await compareTranslators(parseTranslatorList("bpf,bpf-tc,tayga"), cases);
  t.is(r.blocking.length, 0, blocking(r));
  const [bpf, tc, tayga] = r.translators;
  t.is(bpf.agree, cases.length, "BPF_PROG_TEST_RUN agrees with every case");
  t.is(tc.agree + tc.notApplicable, cases.length, "the tc datapath agrees wherever a router can run the case");
  t.true(tc.agree > cases.length * 0.9, `bpf-tc ran most cases (${tc.agree} agree)`);
  t.true(tayga.agree > 50 && tayga.decided > 0, `TAYGA ran (${tayga.agree} agree, ${tayga.decided} decided)`);
  for (const row of r.rows) {
    for (const cell of Object.values(row.cells))
      if (cell.status === "n/a") t.true(cell.summary.length > 10, `${row.id}: n/a gives a reason`);
  }
});

hostTest("compare goes red when one translator is broken (no quoted-packet translation, passed as bpf)", async (t) => {
  const some = filterCases(cases, "icmp-errors/time exceeded");
  const r = await compareTranslators(
    [parseTranslator("bpf", { object: NAT64_NOQUOTE_OBJECT }), parseTranslator("bpf-tc")],
    some,
  );
  t.true(r.blocking.length > 0, "the broken build's disagreements block");
  t.true(
    r.blocking.every((b) => b.translator === "bpf"),
    blocking(r),
  );
  const cell = r.rows.find((row) => row.cells.bpf.status === "differ")?.cells.bpf;
  t.truthy(
    cell?.diffs.some((d) => /\[3\]/.test(d.path)),
    `the difference names a quoted field: ${cell?.summary}`,
  );
  t.is(r.translators[1].undecided, 0, "the intact tc build still agrees");
});

hostTest("bpf:PATH: a foreign translator set up by --configure; a prefix it cannot take is n/a", async (t) => {
  await run(["make", "-s", "-C", FOREIGN]);
  const spec = parseTranslator(`bpf:${join(FOREIGN, "siit96.o")}`, {
    sections: { "6to4": "xlat64", "4to6": "xlat46" },
    configure: `node ${join(FOREIGN, "configure.mjs")}`,
  });
  const some = filterCases(cases, "addresses/prefix ");
  const r = await compareTranslators([spec], some);
  const cells = r.rows.map((row) => ({ id: row.id, cell: row.cells[spec.name] }));
  const by96 = cells.filter((c) => c.id.includes("prefix-96"));
  const others = cells.filter((c) => !c.id.includes("prefix-96"));
  t.true(by96.length > 0 && others.length > 0);
  // 4to6 agrees; 6to4 differs only in DF, which this translator always sets.
  for (const c of by96) {
    if (c.id.includes("4to6")) t.is(c.cell.status, "agree", `${c.id}: ${c.cell.summary}`);
    else
      t.deepEqual(
        c.cell.diffs.map((d) => d.path),
        ["ipv4.df"],
        `${c.id}: ${c.cell.summary}`,
      );
  }
  for (const c of others) {
    t.is(c.cell.status, "n/a", `${c.id}: ${c.cell.summary}`);
    t.regex(c.cell.summary, /\/96 prefix only/);
  }
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The owner records of one natlab process (compare makes one per datapath translator). */
function recordsOf(pid: number | undefined): OwnerRecord[] {
  return [...ownerRecords().values()].filter((r) => r.pid === pid);
}

hostTest(
  "a SIGKILLed compare leaves nothing: translator namespaces and TAYGA are swept by the next command",
  async (t) => {
    const child: ChildProcess = spawn(NATLAB, ["golden", "compare", "--translators", "bpf-tc,tayga"], {
      cwd: ROOT,
      stdio: "ignore",
    });
    const exited = new Promise((r) => child.on("exit", r));
    // Until TAYGA runs: its record lists the daemon, and its namespaces exist. Bounded: a loaded machine is slow.
    const deadline = Date.now() + 180_000;
    let recs: OwnerRecord[] = [];
    const taygaUp = () =>
      recs.some(
        (r) =>
          r.processes.some((p) => p.what.startsWith("tayga")) &&
          r.namespaces.every((ns) => natlabNamespaces().includes(ns)),
      );
    while (Date.now() < deadline && child.exitCode === null && !taygaUp()) {
      recs = recordsOf(child.pid);
      await sleep(20);
    }
    t.true(taygaUp(), "TAYGA's daemon is in an owner record while it runs");
    await sleep(Math.floor(Math.random() * 500));
    recs = recordsOf(child.pid);
    child.kill("SIGKILL");
    await exited;
    const namespaces = recs.flatMap((r) => r.namespaces);
    const processes = recs.flatMap((r) => r.processes);
    t.true(
      namespaces.filter((ns) => natlabNamespaces().includes(ns)).length >= 2,
      "the kill left namespaces behind (else this proves nothing)",
    );
    t.true(
      processes.some((p) => isAlive(p.pid, p.startTime)),
      "the kill left TAYGA running (else this proves nothing)",
    );
    const next = await natlab(["ls"]);
    t.is(next.code, 0, next.out);
    for (const r of recs) {
      // A natlab started beside the test may have claimed the record first: wait, bounded, for its sweep.
      const until = Date.now() + 60_000;
      while (readdirSync(OWNER_DIR).some((f) => f.startsWith(`${r.runId}.json`)) && Date.now() < until) await sleep(50);
      t.deepEqual(
        r.namespaces.filter((ns) => natlabNamespaces().includes(ns)),
        [],
        `${r.lab}: no namespace left`,
      );
      t.deepEqual(
        r.processes.filter((p) => isAlive(p.pid, p.startTime)).map((p) => p.what),
        [],
        `${r.lab}: no process left`,
      );
      t.deepEqual(
        r.temp.filter((p) => existsSync(p)),
        [],
        `${r.lab}: no temporary file left`,
      );
    }
  },
);

/** Why Jool cannot run here, or undefined. */
function joolUnavailable(): string | undefined {
  if (!existsSync(QEMU)) return `${QEMU} missing (apt-get install -y qemu-system-x86)`;
  if (!existsSync("/usr/bin/jool_siit"))
    return "jool_siit missing (apt-get install -y --no-install-recommends jool-tools)";
  if (!cachedKernel("debian-6.1"))
    return "the debian-6.1 kernel is not prepared (natlab run --kernel debian-6.1 prepares it)";
  return undefined;
}

const joolWhy = root ? joolUnavailable() : "needs root";
if (joolWhy) test.serial.skip(`jool in the VM skipped: ${joolWhy}`, () => {});
(joolWhy ? test.serial.skip : test.serial)(
  "jool in the debian-6.1 VM: every difference with Jool is decided",
  async (t) => {
    const r = await compareTranslators(parseTranslatorList("jool"), cases);
    t.is(r.blocking.length, 0, blocking(r));
    t.true(r.translators[0].agree > cases.length / 2, `Jool ran the cases (${r.translators[0].agree} agree)`);
  },
);

/**
 * An IPv4 option whose length byte is 0 (a Timestamp option, not End or
 * No-Op): Jool 4.1.9's has_unexpired_src_route() adds the length to walk
 * the options and never moves, a soft lockup that kernel.softlockup_panic
 * turns into a panic (harness/fuzz/explain/hazards.ts, optionHazard()).
 * The fuzzer keeps such frames from Jool; here one is given on purpose.
 */
function optionOfLengthZero(): Buffer {
  return build([
    { eth: {} },
    { ipv4: { src: "198.51.100.10", dst: "192.0.2.33", ttl: 64, options: [{ type: 0x44, len: 0, data: "00 00" }] } },
    { udp: { sport: 53, dport: 40000 } },
    { payload: { text: "lockup" } },
  ] as Packet);
}

/** A UDP datagram 4to6 that Jool translates, one source port per frame. */
function datagram(port: number): Buffer {
  return build([
    { eth: {} },
    { ipv4: { src: "198.51.100.10", dst: "192.0.2.33", ttl: 64 } },
    { udp: { sport: port, dport: 53 } },
    { payload: { text: "query" } },
  ] as Packet);
}

/** More frames than a golden run has, so that the guest notes each one before it goes (a fuzz run's way). */
const CRASH_RUN_FRAMES = 1100;
const CRASH_AT = 700;

(joolWhy ? test.serial.skip : test.serial)(
  "jool: a frame that panics the VM's kernel is n/a with the kernel's report; the run boots again and every other frame comes through",
  async (t) => {
    const inputs: TranslatorInput[] = Array.from({ length: CRASH_RUN_FRAMES }, (_, i) => ({
      id: `crash/${i}`,
      frame: i === CRASH_AT ? optionOfLengthZero() : datagram(20000 + i),
      section: "4to6",
      prefix: "64:ff9b::/96",
    }));
    const progress: string[] = [];
    const out = await makeTranslator(parseTranslator("jool")).run(inputs, (m) => progress.push(m));
    t.is(out.length, inputs.length, "one output per input");
    const crashed = out[CRASH_AT];
    t.is(crashed.verdict, "n/a", `the crashing frame: ${crashed.verdict} ${crashed.reason ?? ""}`);
    t.is(crashed.reason, CRASHED);
    t.regex(crashed.crash ?? "", /soft lockup|BUG|Oops|panic/i, "the kernel's report is kept");
    const others = out.filter((_, i) => i !== CRASH_AT);
    const notOk = others.map((o, i) => `${i}: ${o.verdict} ${o.reason ?? ""}`).filter((x) => !/: ok $/.test(x));
    t.deepEqual(notOk.slice(0, 5), [], `${notOk.length} other frames not translated`);
    const said = progress.slice(-12).join("\n");
    t.true(
      progress.some((m) => m.startsWith(`the guest's kernel died on frame crash/${CRASH_AT} `)),
      `the console names the frame:\n${said}`,
    );
    t.true(
      progress.some((m) => m.startsWith("booting again with the ")),
      `the console says it boots again:\n${said}`,
    );
  },
);
