/**
 * Golden cases as tables (harness/golden/table.ts): a row becomes the same
 * case as the one written out, parameters keep their types, a dropped row
 * takes no expected output, and every mistake in a table is reported at
 * FILE:LINE:COL like a lab file's.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { loadCaseFile } from "../../harness/golden/cases.ts";
import { expandRow } from "../../harness/golden/table.ts";
import { LabError } from "../../harness/lab/load.ts";

/** Load `text` as a case file; the problems' text when it is refused. */
function load(text: string): { cases: ReturnType<typeof loadCaseFile>; error?: string } {
  const dir = mkdtempSync(join(tmpdir(), "natlab-golden-table-"));
  const file = join(dir, "t.yaml");
  writeFileSync(file, text);
  try {
    return { cases: loadCaseFile(file) };
  } catch (e) {
    if (!(e instanceof LabError)) throw e;
    return { cases: [], error: e.message.replaceAll(file, "t.yaml") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const TABLE = `- template:
    rfc: RFC 7915 §4.2 (Destination Unreachable, Code $code)
    in:
      - {eth: {}}
      - {ipv4: {src: 203.0.113.5, dst: 192.0.2.33}}
      - {icmp: {type: 3, code: $code}}
      - {ipv4: {src: 192.0.2.33, dst: 198.51.100.10}}
      - {udp: {sport: 40000, dport: 33434}}
    verdict: ok
    out:
      - {eth: {}}
      - {ipv6: {src: "64:ff9b:1:fffe::cb00:7105", dst: "64:ff9b:1:fffe::c000:221"}}
      - {icmpv6: {type: 1, code: $v6code}}
      - {ipv6: {src: "64:ff9b:1:fffe::c000:221", dst: "64:ff9b:1:fffe::c633:640a", hlim: 64}}
      - {udp: {sport: 40000, dport: 33434}}
  rows:
    - name: code 0
      why: Net Unreachable becomes No Route.
      with: {code: 0, v6code: 0}
    - name: code 14 is dropped
      why: Host Precedence Violation has no counterpart.
      verdict: shot
      with: {code: 14}
`;

const WRITTEN_OUT = `- name: code 0
  rfc: RFC 7915 §4.2 (Destination Unreachable, Code 0)
  why: Net Unreachable becomes No Route.
  in:
    - {eth: {}}
    - {ipv4: {src: 203.0.113.5, dst: 192.0.2.33}}
    - {icmp: {type: 3, code: 0}}
    - {ipv4: {src: 192.0.2.33, dst: 198.51.100.10}}
    - {udp: {sport: 40000, dport: 33434}}
  verdict: ok
  out:
    - {eth: {}}
    - {ipv6: {src: "64:ff9b:1:fffe::cb00:7105", dst: "64:ff9b:1:fffe::c000:221"}}
    - {icmpv6: {type: 1, code: 0}}
    - {ipv6: {src: "64:ff9b:1:fffe::c000:221", dst: "64:ff9b:1:fffe::c633:640a", hlim: 64}}
    - {udp: {sport: 40000, dport: 33434}}
`;

test("a table row is the case written out; a shot row takes no out", (t) => {
  const { cases, error } = load(TABLE);
  t.is(error, undefined);
  const [written] = load(WRITTEN_OUT).cases;
  t.deepEqual({ ...cases[0], line: 0 }, { ...written, line: 0 });
  t.is(cases[0].line, 17, "the row's line, for messages");
  t.is(cases[1].verdict, "shot");
  t.is(cases[1].out, undefined);
  t.is(cases[1].rfc, "RFC 7915 §4.2 (Destination Unreachable, Code 14)");
});

test("placeholders: a whole scalar keeps the value's type, text is written out, $$ is a dollar", (t) => {
  const x = expandRow(
    { in: [{ icmp: { code: "$code", rest: "$layer" } }], why: "code $code costs $$5 ($code)" },
    { with: { code: 3, layer: { a: 1 } } },
    0,
  );
  t.deepEqual(x.problems, []);
  t.deepEqual(x.data.in, [{ icmp: { code: 3, rest: { a: 1 } } }]);
  t.is(x.data.why, "code 3 costs $5 (3)");
  t.deepEqual(x.origin.in, ["template", "in"]);
});

test("a row's own fields replace the template's and are located in the row", (t) => {
  const x = expandRow({ verdict: "ok", why: "$w" }, { why: "mine", with: {} }, 2);
  t.is(x.data.why, "mine");
  t.deepEqual(x.origin.why, ["rows", 2, "why"]);
  t.deepEqual(x.problems, []);
});

test("a placeholder the row does not give is an error at the placeholder, naming the row", (t) => {
  const { error } = load(TABLE.replace("with: {code: 0, v6code: 0}", "with: {code: 0}"));
  t.regex(
    error ?? "",
    /^t\.yaml:13:34: \[0\]\.template\.out\[2\]\.icmpv6\.code: the template uses \$v6code, and this row gives no `v6code`/m,
  );
});

test("an unused parameter is an error at its key", (t) => {
  const { error } = load(TABLE.replace("with: {code: 14}", "with: {code: 14, v6cod: 1}"));
  t.regex(
    error ?? "",
    /^t\.yaml:23:24: \[0\]\.rows\[1\]\.with\.v6cod: `v6cod` is never used: the template has no \$v6cod/m,
  );
});

test("a row field that is no case field is refused with a suggestion, at the row", (t) => {
  const { error } = load(TABLE.replace("verdict: shot", "verdikt: shot"));
  t.regex(error ?? "", /^t\.yaml:22:7: \[0\]\.rows\[1\]\.verdikt: unknown field `verdikt`.*did you mean `verdict`/m);
});

test("a wrong value filled into the template is reported in the template, naming the row", (t) => {
  const { error } = load(TABLE.replace("with: {code: 0, v6code: 0}", 'with: {code: "zero", v6code: 0}'));
  t.regex(error ?? "", /^t\.yaml:6:32: \[0\]\.template\.in\[2\]\.icmp\.code: .*\(table row 1 "code 0"\)/m);
});

test("a plain case's mistakes have positions too, and every problem is listed", (t) => {
  const { error } = load(
    `${WRITTEN_OUT}  verdict: maybe\n`.replace("  verdict: ok\n", "").replace("  why: Net", "  wy: Net"),
  );
  const lines = (error ?? "").split("\n");
  t.true(
    lines.some((l) => /^t\.yaml:3:3: \[0\]\.wy: unknown field `wy`/.test(l)),
    error,
  );
  t.true(
    lines.some((l) => /^t\.yaml:\d+:\d+: \[0\]\.verdict: expected one of ok, pass, shot/.test(l)),
    error,
  );
});

test("a table without rows, or a template that is not a map, is refused", (t) => {
  t.regex(
    load("- template: {verdict: ok}\n  rows: []\n").error ?? "",
    /t\.yaml:2:9: \[0\]\.rows: needs at least 1 item/,
  );
  t.regex(load("- template: [1]\n  rows: [{name: x}]\n").error ?? "", /t\.yaml:1:13: \[0\]\.template: expected a map/);
});
