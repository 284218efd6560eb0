import { readdirSync, readFileSync } from "node:fs";
import test from "ava";
import { labJsonSchemaText } from "../../harness/lab/jsonschema.ts";
import { DEFAULT_NAT64_PREFIX, LabError, labFile, loadLab, parseLab } from "../../harness/lab/load.ts";

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
 * Each invalid fixture and the exact problem lines it must give: FILE:LINE:COL,
 * the data path, and (a fragment of) what was expected.
 */
const expected: Record<string, [string, string][]> = {
  "yaml-syntax.yaml": [["6:5", "YAML syntax: Flow map in block collection must be sufficiently indented and end with a }"]],
  "unknown-key.yaml": [["8:5", "links[0].colour: unknown field `colour` in links[0] (allowed: a, b, mtu)"]],
  "wrong-type.yaml": [["7:10", 'links[0].mtu: expected a number, got "large"']],
  "bad-mac.yaml": [["6:33", 'links[0].b.mac: expected a MAC address like 02:00:00:00:00:0a, got "02:00:00:00:0b"']],
  "bad-layer.yaml": [["13:11", "flows[0].inject.packet[1]: unknown layer `ipv5`: a layer is one of eth, ipv4, ipv6, hbh, dstopts, routing, frag, tcp, udp, icmp, icmpv6, payload"]],
  "unknown-layer-field.yaml": [["22:15", "flows[2].expect[0].packet[1].ipv4.ttll: unknown field `ttll` in ipv4; did you mean `ttl`? (allowed: version, ihl, tos,"]],
  "missing-namespace.yaml": [["6:13", "links[0].b.ns: no namespace `router` in this lab (namespaces: host)"]],
  "missing-run.yaml": [["8:5", "flows[0]: a flow needs exactly one of `run` or `inject`"]],
  "missing-device.yaml": [["8:11", "bpf[0].dev: no device `zc` in namespace `host` (devices: za, zb)"]],
  "duplicate-device.yaml": [["5:16", "namespaces.host.devices[0].name: device `za` is defined twice in namespace `host` (first at links[0].a.dev)"]],
  "bad-address.yaml": [
    ["5:40", "links[0].a.addresses[0]: `192.0.2.300` in `192.0.2.300/24` is not an IPv4 or IPv6 address"],
    ["6:40", "links[0].b.addresses[0]: the prefix length of `2001:db8::1/129` must be 0 to 128"],
  ],
  "duplicate-flow.yaml": [["7:11", "flows[1].name: flow name `ping` is already used by flows[0]"]],
  "missing-field.yaml": [["8:5", "bpf[0].section: missing field `section`"]],
  "bad-run-kind.yaml": [["7:7", "flows[0].run: expected exactly one of `ping`, `udp`, `tcp`, `cmd`, got `pong`"]],
  "yaml11-mac.yaml": [["7:33", 'links[0].a.mac: expected a string, got the number 1555200010 (YAML 1.1 reads `02:00:00:00:00:10` as a base-60 number: quote it, "02:00:00:00:00:10")']],
};

test("every invalid fixture has an expectation", (t) => {
  t.deepEqual(readdirSync(invalid).filter((f) => f.endsWith(".yaml")).sort(), Object.keys(expected).sort());
});

for (const [f, lines] of Object.entries(expected)) {
  test(`invalid lab ${f} is refused at the right place`, (t) => {
    const file = `${invalid}/${f}`;
    const err = t.throws(() => loadLab(file), { instanceOf: LabError });
    const got = err!.message.split("\n");
    t.is(got.length, lines.length, err!.message);
    lines.forEach(([pos, text], i) => {
      t.true(got[i].startsWith(`${file}:${pos}: ${text}`), `expected ${file}:${pos}: ${text}\n     got ${got[i]}`);
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
  const err = t.throws(() => parseLab(`name: p\nnamespaces: {h: }\nlinks: [{a: {ns: h, dev: x}, b: {ns: h, dev: y}}]\nbpf: [{dev: "h:x", hook: egress, section: 6to4, prefix: "2001:db8::/80"}]\n`, "p.yaml"), { instanceOf: LabError });
  t.is(err!.message, "p.yaml:4:57: bpf[0].prefix: a NAT64 prefix is /32, /40, /48, /56, /64 or /96 (RFC 6052 section 2.2), got /80");
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
  t.is(err!.message, "k.yaml:3:3: namespaces.Host: the name `Host` is not allowed here: expected a short lowercase name: letters, digits, '-', at most 16");
});

for (const f of readdirSync("labs").filter((f) => f.endsWith(".yaml"))) {
  test(`project lab labs/${f} loads`, (t) => {
    t.notThrows(() => loadLab(`labs/${f}`));
  });
}
