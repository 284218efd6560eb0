/**
 * A Jool run that survives a crash of its guest kernel
 * (harness/translators/jool/resume.ts, and the share's files it reads in
 * translator.ts): what a boot finished is kept at the run's positions, the
 * frame noted in flight is recorded as crashed with the kernel's report,
 * the next boot gets what is left, and the number of boots is bounded.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import {
  afterBoot,
  CRASHED,
  kernelTrace,
  newResume,
  pending,
  traceHeadline,
} from "../../harness/translators/jool/resume.ts";
import { readNote, readParts, writeOutputs } from "../../harness/translators/jool/translator.ts";
import type { TranslatorOutput } from "../../harness/translators/types.ts";

const shot = (): TranslatorOutput => ({ verdict: "shot", frames: [], back: [] });
const ok = (b: number): TranslatorOutput => ({ verdict: "ok", frames: [Buffer.alloc(60, b)], back: [] });

const CONSOLE = [
  "natlab-vm: ready, kernel 6.1.0-57-amd64, running the command",
  "natlab translate: 4to6, prefix 64:ff9b:1:fffe::/96: 509 frames",
  "[   31.174716] BUG: kernel NULL pointer dereference, address: 0000000000000008",
  "[   31.175832] RIP: 0010:skb_release_data+0xe4/0x1b0",
  "[   31.176867] Call Trace:",
  "[   31.177528]  sendpkt_send+0xac/0x180 [jool_common]",
  "[   31.178092] Kernel panic - not syncing: Fatal exception in interrupt",
  "[   31.178092] Kernel Offset: disabled",
].join("\n");

test("a boot that finishes keeps every output and needs no other", (t) => {
  const s = newResume(4);
  const again = afterBoot(
    s,
    [0, 1, 2, 3],
    [{ positions: [0, 1, 2, 3], outputs: [ok(1), shot(), ok(2), shot()] }],
    undefined,
  );
  t.false(again);
  t.deepEqual(pending(s), []);
  t.is(s.outputs[2]?.frames[0][0], 2);
  t.is(s.crashes.length, 0);
});

test("a crash keeps the finished chunks, blames the noted frame and boots again with the rest", (t) => {
  const s = newResume(10);
  // First boot: all ten; chunks [0..3] and [4..5] done, the kernel dies on boot position 7.
  const again = afterBoot(
    s,
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [
      { positions: [0, 1, 2, 3], outputs: [ok(0), ok(1), ok(2), ok(3)] },
      { positions: [4, 5], outputs: [ok(4), ok(5)] },
    ],
    { note: 7, console: CONSOLE },
  );
  t.true(again);
  t.is(s.outputs[7]?.verdict, "n/a");
  t.is(s.outputs[7]?.reason, CRASHED);
  t.regex(s.outputs[7]?.crash ?? "", /skb_release_data/);
  t.deepEqual(pending(s), [6, 8, 9]);
  // Second boot: given the three left, in order; its position 1 is the run's 8.
  const given = pending(s);
  t.false(afterBoot(s, given, [{ positions: [0, 1, 2], outputs: [ok(6), ok(8), ok(9)] }], undefined));
  t.is(s.outputs[8]?.frames[0][0], 8);
  t.is(s.outputs[6]?.frames[0][0], 6);
  t.deepEqual(pending(s), []);
  t.is(s.boots, 2);
  t.is(s.crashes[0].position, 7);
});

test("a stale note (its frame already has an output) blames no frame", (t) => {
  const s = newResume(3);
  t.true(afterBoot(s, [0, 1, 2], [{ positions: [0, 1], outputs: [ok(0), ok(1)] }], { note: 1, console: CONSOLE }));
  t.is(s.crashes[0].position, undefined);
  t.is(s.outputs[1]?.verdict, "ok");
  t.deepEqual(pending(s), [2]);
});

test("the number of boots after a crash is bounded; what is left then is an error that says so", (t) => {
  const s = newResume(5);
  let given = pending(s);
  let boots = 0;
  // Every boot dies on its first frame, before any chunk is done.
  while (afterBoot(s, given, [], { note: 0, console: CONSOLE }, 2)) {
    given = pending(s);
    boots++;
  }
  t.is(boots, 2);
  t.is(s.crashes.length, 3);
  t.deepEqual(
    s.outputs.map((o) => o?.verdict),
    ["n/a", "n/a", "n/a", "error", "error"],
  );
  t.regex(s.outputs[4]?.reason ?? "", /died 3 times.*at most 2/);
});

test("the kernel's report is cut from the console, with a headline", (t) => {
  const trace = kernelTrace(CONSOLE);
  t.true(trace.startsWith("[   31.174716] BUG: kernel NULL pointer dereference"));
  t.true(trace.endsWith("Fatal exception in interrupt"));
  t.is(
    traceHeadline(trace),
    "BUG: kernel NULL pointer dereference, address: 0000000000000008 at skb_release_data+0xe4/0x1b0",
  );
  t.regex(kernelTrace("natlab-vm: ready\nnatlab translate: started"), /no kernel report/);
});

test("the guest's parts and note read back from the share; a part cut short is left out", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "natlab-resume-"));
  try {
    const parts = join(dir, "parts");
    mkdirSync(parts);
    writeOutputs(join(parts, "00000.json"), [ok(1), shot()], [3, 4]);
    writeOutputs(join(parts, "00001.json"), [ok(2)], [5]);
    writeFileSync(join(parts, "00002.json"), '{"pcap":"00002.pcap","positions":[6');
    const got = readParts(parts);
    t.deepEqual(
      got.map((p) => p.positions),
      [[3, 4], [5]],
    );
    t.is(got[1].outputs[0].frames[0][0], 2);
    writeFileSync(join(dir, "note"), "17              \n");
    t.is(readNote(join(dir, "note")), 17);
    t.is(readNote(join(dir, "absent")), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
