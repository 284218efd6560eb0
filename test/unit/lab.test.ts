import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { labJsonSchemaText } from "../../harness/lab/jsonschema.ts";
import { DEFAULT_NAT64_PREFIX, LabError, labFile, loadLab, parseLab } from "../../harness/lab/load.ts";
import { ROOT } from "../../harness/root.ts";

const valid = "test/fixtures/labs-valid";
const invalid = "test/fixtures/labs-invalid";

for (const f of readdirSync(valid).filter((f) => f.endsWith(".yaml"))) {
  test(`valid lab ${f} loads`, (t) => {
    const lab = loadLab(`${valid}/${f}`);
    t.truthy(lab.name);
    t.is(labFile(lab), `${valid}/${f}`);
  });
}

/**
 * The corpus of broken lab files: each states, in `# expect: LINE:COL TEXT`
 * header lines, every problem it must give. A file must be refused with a
 * LabError (never another error, never a stack trace) listing exactly those
 * problems, each as FILE:LINE:COL: followed by TEXT (" … " in TEXT stands for
 * any text: a list that grows with the project).
 */
function expectations(file: string): { pos: string; text: string }[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .flatMap((l) => {
      const m = /^# expect: (\d+:\d+) (.+)$/.exec(l);
      return m ? [{ pos: m[1], text: m[2] }] : [];
    });
}

const corpus = readdirSync(invalid)
  .filter((f) => f.endsWith(".yaml"))
  .sort();

test.before(() => {
  // The corpus checks BPF sections against the translator object: build it if it is missing (quick when up to date).
  execFileSync("make", ["-s", "-C", join(ROOT, "bpf"), "nat64.o"]);
});

test("the corpus of broken labs has at least 60 files, each stating what it must give", (t) => {
  t.true(corpus.length >= 60, `only ${corpus.length} files`);
  for (const f of corpus) t.true(expectations(`${invalid}/${f}`).length > 0, `${f} has no # expect: line`);
});

for (const f of corpus) {
  test(`broken lab ${f} is refused at the right place`, (t) => {
    const file = `${invalid}/${f}`;
    const err = t.throws(() => loadLab(file, { files: { root: ROOT } }), { instanceOf: LabError });
    const got = err!.message.split("\n");
    t.false(/^\s+at /m.test(err!.message), "no stack trace");
    const want = expectations(file);
    t.is(got.length, want.length, err!.message);
    want.forEach(({ pos, text }, i) => {
      const pieces = text.split(" … ");
      const inOrder = pieces.every(
        (p, k) => got[i]?.indexOf(p, k === 0 ? 0 : got[i].indexOf(pieces[k - 1]) + pieces[k - 1].length) >= 0,
      );
      t.true(got[i]?.startsWith(`${file}:${pos}: `) && inOrder, `expected ${file}:${pos}: ${text}\n     got ${got[i]}`);
    });
  });
}

test("a missing file says so, with the path as given", (t) => {
  const err = t.throws(() => loadLab("no/such/lab.yaml"), { instanceOf: LabError });
  t.is(err!.message, "no/such/lab.yaml:1:1: cannot read the lab file: no such file");
});

test("unquoted MACs and IPv6 addresses are strings (YAML 1.2)", (t) => {
  const lab = parseLab(
    `name: macs
namespaces: {host: }
links:
  - a: {ns: host, dev: za, mac: 02:00:00:00:00:0a, addresses: [64:ff9b:1:fffe::c0a8:201/96, ::1/128]}
    b:
      ns: host
      dev: zb
      mac: 12:34:56:78:90:12
      addresses: [2001:db8::1/64]
bpf:
  - {dev: host:za, hook: ingress, section: 4to6}
`,
    "inline.yaml",
  );
  t.is(lab.links[0].a.mac, "02:00:00:00:00:0a");
  t.is(lab.links[0].b.mac, "12:34:56:78:90:12");
  t.deepEqual(lab.links[0].a.addresses, ["64:ff9b:1:fffe::c0a8:201/96", "::1/128"]);
  t.is(lab.bpf[0].dev, "host:za");
});

test("defaults: the NAT64 prefix, capture from expect", (t) => {
  const lab = loadLab(`${valid}/two-ns.yaml`);
  t.is(loadLab(`${valid}/sample.yaml`).bpf[0].prefix, DEFAULT_NAT64_PREFIX);
  t.is(lab.bpf[0].prefix, "2001:db8:64::/96");
  t.deepEqual(lab.flows[0].capture, ["router:eth0"]);
  t.deepEqual(lab.flows[1].capture, ["router:eth0"]);
  t.deepEqual(lab.namespaces.client.sysctls, {});
});

test("every problem is reported at once, in file order", (t) => {
  const err = t.throws(
    () =>
      parseLab(
        `name: Bad_Name
namespaces: {host: {}}
links:
  - a: {ns: host, dev: za, arp: maybe}
    b: {ns: nowhere, dev: zb}
`,
        "two.yaml",
      ),
    { instanceOf: LabError },
  );
  t.deepEqual(
    err!.problems.map((p) => `${p.line}:${p.col} ${p.path}`),
    ["1:7 name", "4:33 links[0].a.arp"],
  );
  t.regex(err!.problems[1].message, /expected true or false, or one of on, off; got "maybe"/);
});

test("a bad NAT64 prefix length cites RFC 6052", (t) => {
  const err = t.throws(
    () =>
      parseLab(
        `name: p\nnamespaces: {h: }\nlinks: [{a: {ns: h, dev: x}, b: {ns: h, dev: y}}]\nbpf: [{dev: "h:x", hook: egress, section: 6to4, prefix: "2001:db8::/80"}]\n`,
        "p.yaml",
      ),
    { instanceOf: LabError },
  );
  t.is(
    err!.message,
    "p.yaml:4:57: bpf[0].prefix: a NAT64 prefix is /32, /40, /48, /56, /64 or /96 (RFC 6052 section 2.2), got /80",
  );
});

test("schema/lab.schema.json is up to date (regenerate: bin/natlab schema)", (t) => {
  t.is(readFileSync("schema/lab.schema.json", "utf8"), labJsonSchemaText());
});

test("messages for keyed unions: two layers in one item, two run kinds, a YAML boolean", (t) => {
  const err = t.throws(
    () =>
      parseLab(
        `name: u
namespaces: {host: }
flows:
  - name: f
    run: {ping: {ns: host, to: "::1"}, udp: {ns: host}}
  - name: g
    run: {cmd: {ns: host, argv: [true]}}
  - name: h
    inject: {dev: "host:lo", packet: [{ipv4: {}, tcp: {}}]}
`,
        "u.yaml",
      ),
    { instanceOf: LabError },
  );
  t.deepEqual(err!.message.split("\n"), [
    "u.yaml:5:40: flows[0].run.udp: `udp` cannot be combined with `ping`: choose one",
    'u.yaml:7:34: flows[1].run.cmd.argv[0]: expected a string, got true (YAML read `true` as a boolean: quote it, "true")',
    "u.yaml:9:50: flows[2].inject.packet[0].tcp: one layer per list item: put `tcp` in an item of its own (`- tcp: {...}`)",
  ]);
});

test("a map key that breaks its rule is pointed at", (t) => {
  const err = t.throws(() => parseLab("name: k\nnamespaces:\n  Host: {}\n", "k.yaml"), { instanceOf: LabError });
  t.is(
    err!.message,
    "k.yaml:3:3: namespaces.Host: the name `Host` is not allowed here: expected a short lowercase name: letters, digits, '-', at most 16",
  );
});

for (const f of readdirSync("labs").filter((f) => f.endsWith(".yaml"))) {
  test(`project lab labs/${f} loads`, (t) => {
    t.notThrows(() => loadLab(`labs/${f}`));
  });
}

test("every property of the lab schema has a description (editors show them)", (t) => {
  const missing: string[] = [];
  let total = 0;
  const walk = (n: unknown, path: string): void => {
    if (Array.isArray(n)) {
      n.forEach((x, i) => {
        walk(x, `${path}[${i}]`);
      });
      return;
    }
    if (!n || typeof n !== "object") return;
    const o = n as Record<string, unknown>;
    for (const [k, v] of Object.entries((o.properties ?? {}) as Record<string, { description?: string }>)) {
      total++;
      if (!v.description) missing.push(`${path}.${k}`);
    }
    for (const [k, v] of Object.entries(o)) walk(v, `${path}/${k}`);
  };
  walk(JSON.parse(labJsonSchemaText()), "");
  t.true(total > 200, `${total} properties`);
  t.deepEqual(missing, []);
});
