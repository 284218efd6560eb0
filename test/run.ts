/**
 * `npm test`: every check natlab has, in order, ending with the one line CI
 * counts: "N passed, N failed, N skipped".
 *
 *   1. tsc --noEmit (strict) and biome check     (one test each)
 *   2. unit tests (ava, no root)                   test/unit/
 *   3. integration tests (ava, as root: real labs) test/integration/
 *
 * Integration files run one at a time: each builds real namespaces and
 * captures, and two cores are better spent on one lab than on contention.
 */
import { spawn } from "node:child_process";

interface Tally {
  passed: number;
  failed: number;
  skipped: number;
}
const total: Tally = { passed: 0, failed: 0, skipped: 0 };
const failures: string[] = [];
const started = Date.now();

/**
 * Seconds between one TAP test point and the one before it. With --serial that is the test's own
 * time, its hooks included; the slowest are listed at the end, so that the 10-minute budget has
 * a known owner.
 */
const durations: { name: string; secs: number }[] = [];

/** Records a duration for each test point in `text` (whole lines only). */
function timeTestPoints(text: string, clock: { last: number }): void {
  for (const line of text.split("\n")) {
    const m = /^(?:not )?ok \d+ - (.*)$/.exec(line);
    if (!m) continue;
    const now = Date.now();
    durations.push({ name: m[1], secs: (now - clock.last) / 1000 });
    clock.last = now;
  }
}

function sh(argv: string[], opts: { tap?: boolean; timed?: boolean } = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, FORCE_COLOR: "0" },
    });
    let out = "";
    let pending = "";
    const clock = { last: Date.now() };
    const onData = (d: Buffer) => {
      out += d.toString();
      if (opts.tap) process.stdout.write(d);
      if (!opts.timed) return;
      pending += d.toString();
      const cut = pending.lastIndexOf("\n");
      if (cut < 0) return;
      timeTestPoints(pending.slice(0, cut), clock);
      pending = pending.slice(cut + 1);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => resolve({ code: code ?? 1, out }));
  });
}

async function single(name: string, argv: string[]): Promise<void> {
  const t0 = Date.now();
  const r = await sh(argv);
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (r.code === 0) {
    total.passed++;
    console.log(`ok - ${name} (${secs}s)`);
  } else {
    total.failed++;
    failures.push(name);
    console.log(`not ok - ${name} (${secs}s)\n${r.out.trim().replace(/^/gm, "    ")}`);
  }
}

/** Runs ava with TAP output and adds its counts (ava prints "# pass N", "# skip N", "# fail N"). */
async function ava(name: string, args: string[], opts: { timed?: boolean } = {}): Promise<void> {
  console.log(`# ${name}`);
  const r = await sh(["npx", "ava", "--tap", ...args], { tap: true, timed: opts.timed });
  const count = (k: string) => Number(new RegExp(`^# ${k} (\\d+)`, "m").exec(r.out)?.[1] ?? 0);
  const pass = count("pass");
  const fail = count("fail");
  const skip = count("skip") + count("todo");
  total.passed += pass;
  total.failed += fail;
  total.skipped += skip;
  if (fail > 0 || (r.code !== 0 && fail === 0)) {
    if (fail === 0) total.failed++; // ava itself failed (a crash, an uncaught error, no tests found)
    failures.push(name);
  }
}

await single("typecheck: tsc --noEmit (strict)", ["npx", "tsc", "--noEmit", "-p", "."]);
await single("lint: biome check harness test (lint and format)", [
  "npx",
  "biome",
  "check",
  "--error-on-warnings",
  "harness",
  "test",
]);
await ava("unit tests", ["test/unit/"]);
if (process.getuid?.() === 0) {
  await ava("integration tests (as root)", ["--serial", "--concurrency", "1", "test/integration/"], { timed: true });
} else {
  console.log("# integration tests need root: skipped (run `npm test` as root)");
  total.skipped++;
}

if (durations.length) {
  console.log("\nslowest integration tests (seconds since the test point before):");
  for (const d of [...durations].sort((a, b) => b.secs - a.secs).slice(0, 10)) {
    console.log(`  ${d.secs.toFixed(1).padStart(6)}  ${d.name}`);
  }
}
const secs = ((Date.now() - started) / 1000).toFixed(0);
if (failures.length) console.log(`\nfailed: ${failures.join("; ")}`);
console.log(`\nnpm test finished in ${secs}s`);
console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(total.failed > 0 ? 1 : 0);
