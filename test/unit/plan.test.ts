import { execFileSync } from "node:child_process";
import test from "ava";
import { loadLab, parseLab } from "../../harness/lab/load.ts";
import {
  chooseVariant,
  type Features,
  featuresFromConfig,
  featuresFromModules,
  missingForLiteral,
} from "../../harness/plan/features.ts";
import { planLab, realNamespace } from "../../harness/plan/plan.ts";
import { planToScript } from "../../harness/plan/script.ts";
import { shJoin, shQuote } from "../../harness/text/shell.ts";

/** This machine's kernel: clsact and cls_bpf, none of the write-up's tc modules, no dummy driver. */
const thisKernel: Features = {
  kernel: "6.18",
  clsact: true,
  clsBpf: true,
  prio: false,
  matchall: false,
  actBpf: false,
  actCsum: false,
  dummy: false,
  source: "test",
};
/** A stock distribution kernel: everything. */
const stock: Features = {
  ...thisKernel,
  kernel: "6.1",
  prio: true,
  matchall: true,
  actBpf: true,
  actCsum: true,
  dummy: true,
};

const small = parseLab(
  `name: small
namespaces:
  left:
    routes: [{to: 198.51.100.0/24, via: 192.0.2.2}]
  right:
    sysctls: {net.ipv4.ip_forward: 1}
links:
  - a: {ns: left, dev: l0, mac: 02:00:00:00:00:01, addresses: [192.0.2.1/24]}
    b: {ns: right, dev: r0, mac: 02:00:00:00:00:02, addresses: [192.0.2.2/24, 2001:db8::2/64], arp: false}
bpf:
  - {dev: right:r0, hook: egress, section: 6to4}
`,
  "small.yaml",
);

/** A step as `[namespace or host] command`, for readable order checks. */
const show = (s: { ns?: string; argv: string[] }) =>
  `${s.ns ? s.ns.replace("natlab-t1-", "") : "host"}: ${s.argv.join(" ")}`;

test("two namespaces: steps in order, each with a reason", (t) => {
  const plan = planLab(small, { runId: "t1", features: thisKernel, root: "/p" });
  t.is(plan.variant, "clsact");
  t.deepEqual(plan.namespaces, { left: "natlab-t1-left", right: "natlab-t1-right" });
  const lines = plan.setup.map(show);
  t.deepEqual(
    lines.filter((l) => !l.includes("sysctl -qw net.ipv6")),
    [
      "host: ip netns add natlab-t1-left",
      "host: ip netns add natlab-t1-right",
      "left: ip link set lo up",
      "right: ip link set lo up",
      "right: sysctl -qw net.ipv4.ip_forward=1",
      "host: ip link add name l0 netns natlab-t1-left address 02:00:00:00:00:01 type veth peer name r0 netns natlab-t1-right address 02:00:00:00:00:02",
      "left: ip link set dev l0 up",
      "right: ip link set dev r0 arp off",
      "right: ip link set dev r0 up",
      "left: ip addr add 192.0.2.1/24 dev l0",
      "right: ip addr add 192.0.2.2/24 dev r0",
      "right: ip addr add 2001:db8::2/64 dev r0 nodad",
      "left: ip route add 198.51.100.0/24 via 192.0.2.2",
      "right: tc qdisc add dev r0 clsact",
      "right: tc filter add dev r0 egress bpf da obj /p/bpf/nat64.o sec 6to4",
    ],
  );
  // Noise suppression in every namespace, before any device exists.
  const quiet = plan.setup.filter((s) => s.argv.join(" ").includes("accept_dad=0"));
  t.deepEqual(
    quiet.map((s) => s.ns),
    ["natlab-t1-left", "natlab-t1-right"],
  );
  t.true(plan.setup.indexOf(quiet[1]) < plan.setup.findIndex((s) => s.argv.includes("veth")));
  for (const s of plan.setup) {
    t.truthy(s.why, s.id);
    t.false(s.why.includes("\n"), s.id);
  }
  t.is(new Set(plan.setup.map((s) => s.id)).size, plan.setup.length, "step ids are unique");
  t.deepEqual(plan.teardown.map(show), ["host: ip netns del natlab-t1-right", "host: ip netns del natlab-t1-left"]);
  t.true(plan.teardown.every((s) => s.ignoreFailure));
});

test("real namespace names stay short", (t) => {
  t.is(realNamespace("a1b2c3", "sixteen-chars-ok"), "natlab-a1b2c3-sixteen-chars-ok");
  t.true(realNamespace("a1b2c3", "sixteen-chars-ok").length <= 32);
});

test("a non-default prefix adds a bpf-config step", (t) => {
  const plan = planLab(loadLab("test/fixtures/labs-valid/two-ns.yaml"), {
    runId: "t2",
    features: thisKernel,
    root: "/p",
  });
  const cfg = plan.setup.find((s) => s.argv[1] === "bpf-config");
  t.deepEqual(cfg?.argv, [
    "/p/bin/natlab",
    "bpf-config",
    "--ns",
    "natlab-t2-router",
    "--dev",
    "eth0",
    "--hook",
    "ingress",
    "--prefix",
    "2001:db8:64::/96",
  ]);
  t.is(plan.setup.at(-1), cfg);
  // No dummy driver here: a tun holds the dummy's addresses.
  t.deepEqual(plan.setup.find((s) => s.id === "dummy:router:dummy0")?.argv, [
    "ip",
    "tuntap",
    "add",
    "dev",
    "dummy0",
    "mode",
    "tun",
  ]);
  const withDummy = planLab(loadLab("test/fixtures/labs-valid/two-ns.yaml"), {
    runId: "t2",
    features: stock,
    root: "/p",
  });
  t.deepEqual(withDummy.setup.find((s) => s.id === "dummy:router:dummy0")?.argv, [
    "ip",
    "link",
    "add",
    "name",
    "dummy0",
    "type",
    "dummy",
  ]);
  // A per-device sysctl comes after its device exists.
  const ids = plan.setup.map((s) => s.id);
  t.true(ids.indexOf("sysctl:router:net.ipv6.conf.eth0.accept_ra") > ids.indexOf("veth:client:eth0"));
  t.true(ids.indexOf("sysctl:router:net.ipv4.ip_forward") < ids.indexOf("veth:client:eth0"));
  t.deepEqual(plan.services, [
    { name: "echo", ns: "natlab-t2-router", cmd: ["socat", "UDP6-LISTEN:7,fork", "EXEC:cat"] },
  ]);
});

test("nftables from a file is read relative to the lab file", (t) => {
  const lab = parseLab("name: n\nnamespaces:\n  fw: {nftables: {file: rules/fw.nft}}\n", "labs/n.yaml");
  const read: string[] = [];
  const readFile = (p: string) => {
    read.push(p);
    return "table ip t {}\n";
  };
  const plan = planLab(lab, { runId: "t3", features: thisKernel, root: "/p", labPath: "labs/n.yaml", readFile });
  t.deepEqual(read, ["labs/rules/fw.nft"]);
  const nft = plan.setup.find((s) => s.id === "nft:fw");
  t.is(nft?.stdin, "table ip t {}\n");
  t.regex(nft?.why ?? "", /from labs\/rules\/fw\.nft/);
});

test("variant: clsact by default, literal only when the kernel has it", (t) => {
  t.is(chooseVariant(thisKernel), "clsact");
  t.is(chooseVariant(stock), "clsact");
  t.is(chooseVariant(stock, "literal"), "literal");
  t.is(chooseVariant(thisKernel, "clsact"), "clsact");
  const err = t.throws(() => chooseVariant(thisKernel, "literal"));
  t.regex(err!.message, /needs sch_prio, cls_matchall, act_bpf, act_csum, which kernel 6.18 lacks/);
  t.deepEqual(missingForLiteral({ ...stock, actCsum: false }), ["act_csum"]);
  t.throws(() => chooseVariant({ ...thisKernel, clsBpf: false }), { message: /lacks cls_bpf/ });
});

test("write-up steps: clsact stands in for 6, 8-10, 12, 13; the rest map to their counterparts", (t) => {
  const plan = planLab(loadLab("test/fixtures/labs-valid/writeup.yaml"), {
    runId: "t4",
    features: thisKernel,
    root: "/p",
  });
  const byStep = new Map<number, string>();
  for (const s of plan.setup) for (const r of s.replaces ?? []) byStep.set(r.n, s.id);
  t.deepEqual(Object.fromEntries(byStep), {
    1: "veth:host:za",
    2: "neigh:host:zb:192.168.2.1",
    3: "neigh:host:za:192.168.2.2",
    4: "neigh:host:za:64:ff9b:1:fffe::c0a8:202",
    5: "neigh:host:zb:64:ff9b:1:fffe::c0a8:201",
    6: "clsact:host:za",
    8: "clsact:host:za",
    9: "clsact:host:za",
    10: "clsact:host:za",
    12: "bpf:host:za:ingress",
    13: "bpf:host:za:egress",
    14: "up:host:za",
    15: "up:host:zb",
    16: "arp:host:za",
    17: "arp:host:zb",
    18: "addr:host:za:64:ff9b:1:fffe::c0a8:201/96",
    19: "addr:host:zb:192.168.2.2/24",
  });
  t.deepEqual(
    plan.notes.map((n) => n.split(" `")[0]),
    ["write-up step 7", "write-up step 11", "write-up step 20", "write-up step 21"],
  );
  const script = planToScript(plan);
  t.true(
    script.includes(
      "# write-up step 12: tc filter add dev za parent ffff: matchall action bpf obj bpf/nat64-pipe.o sec 4to6 action csum ip4h tcp udp icmp (not on this kernel: no sch_prio, cls_matchall, act_bpf, act_csum; clsact + cls_bpf da, checksums fixed in the program)",
    ),
  );
});

test("literal variant runs the write-up's tc steps as written", (t) => {
  const plan = planLab(loadLab("test/fixtures/labs-valid/writeup.yaml"), {
    runId: "t5",
    features: stock,
    root: "/p",
    variant: "literal",
  });
  const tc = plan.setup.filter((s) => s.argv[0] === "tc").map((s) => s.argv.join(" "));
  t.is(tc.length, 8);
  t.is(
    tc[6],
    "tc filter add dev za parent ffff: matchall action bpf obj /p/bpf/nat64-pipe.o sec 4to6 action csum ip4h tcp udp icmp",
  );
  t.true(plan.setup.filter((s) => s.argv[1] === "filter" && s.argv[2] === "del").every((s) => s.ignoreFailure));
  // Without a literal block, the same shape is generated from the bpf attachments.
  const gen = planLab(small, { runId: "t5", features: stock, root: "/p", variant: "literal" });
  t.deepEqual(
    gen.setup.filter((s) => s.argv[0] === "tc").map((s) => s.argv.join(" ")),
    [
      "tc qdisc replace dev r0 root prio",
      "tc filter add dev r0 matchall action bpf obj /p/bpf/nat64.o sec 6to4 action csum ip4h tcp udp icmp",
    ],
  );
});

test("shQuote leaves plain words bare and quotes the rest", (t) => {
  t.is(shQuote("64:ff9b:1:fffe::/96"), "64:ff9b:1:fffe::/96");
  t.is(shQuote("a b"), "'a b'");
  t.is(shQuote("it's"), `'it'\\''s'`);
  t.is(shQuote("$HOME"), "'$HOME'");
  t.is(shQuote(""), "''");
});

/** Runs sh on text and returns its stdout. */
const sh = (args: string[], input?: string) => execFileSync("sh", args, { input, encoding: "utf8" });

test("quoted argv comes back from sh word for word", (t) => {
  const words = [
    "plain",
    "two words",
    "it's",
    '"dq"',
    "$HOME",
    "`id`",
    "a\\b",
    "tab\there",
    "new\nline",
    "*",
    "",
    "ffff:",
  ];
  const out = sh(["-c", `printf '%s\\0' ${shJoin(words)}`]);
  t.deepEqual(out.split("\0").slice(0, -1), words);
});

test("the script passes sh -n, keeps heredocs verbatim and sets up its trap", (t) => {
  const lab = parseLab(
    `name: quoting
namespaces:
  fw:
    nftables: |
      table inet t {
        chain c { comment "it's \`$HOME\` here"; }
      }
services:
  - {name: echo, ns: fw, cmd: [sh, -c, "echo '$x' \\"y\\""]}
flows:
  - name: "one's $flow"
    run: {cmd: {ns: fw, argv: ["true"]}}
`,
    "q.yaml",
  );
  const plan = planLab(lab, { runId: "t6", features: thisKernel, root: "/with space/it's" });
  plan.setup.push({
    id: "odd",
    phase: "setup",
    ns: "natlab-t6-fw",
    argv: ["echo", "a b", "it's", "$HOME", "`x`"],
    why: "quoting check",
  });
  plan.setup.push({
    id: "fed",
    phase: "setup",
    argv: ["cat"],
    stdin: "NATLAB_EOF\nx",
    ignoreFailure: true,
    why: "stdin and || true",
  });
  const script = planToScript(plan, { labFile: "q.yaml" });
  t.notThrows(() => sh(["-n"], script), script);
  t.true(script.startsWith("#!/bin/sh\n"));
  t.regex(script, /^set -e$/m);
  t.regex(script, /^trap '.*teardown.*' EXIT$/m);
  t.true(
    script.includes(
      "nft -f - <<'NATLAB_EOF'\ntable inet t {\n  chain c { comment \"it's `$HOME` here\"; }\n}\nNATLAB_EOF\n",
    ),
  );
  t.true(script.includes("ip netns exec natlab-t6-fw echo 'a b' 'it'\\''s' '$HOME' '`x`'"));
  t.true(script.includes("cat <<'NATLAB_EOF_' || true\nNATLAB_EOF\nx\nNATLAB_EOF_\n"));
  t.true(script.includes("#   echo: ip netns exec natlab-t6-fw sh -c 'echo '\\''$x'\\'' \"y\"'"));
});

test("features from kernel config text", (t) => {
  const f = featuresFromConfig(
    [
      "CONFIG_NET_SCH_INGRESS=y",
      "CONFIG_NET_CLS_BPF=m",
      "# CONFIG_NET_SCH_PRIO is not set",
      "CONFIG_NET_CLS_MATCHALL=n",
      "CONFIG_NET_ACT_BPF=y",
      "CONFIG_NET_ACT_CSUM=m",
      "CONFIG_DUMMY=m",
    ].join("\n"),
    "6.x",
    "sample",
  );
  t.deepEqual(f, {
    kernel: "6.x",
    clsact: true,
    clsBpf: true,
    prio: false,
    matchall: false,
    actBpf: true,
    actCsum: true,
    dummy: true,
    source: "sample",
  });
  t.deepEqual(missingForLiteral(f), ["sch_prio", "cls_matchall"]);
});

test("features from module lists", (t) => {
  const f = featuresFromModules(
    "kernel/net/sched/sch_ingress.ko\nkernel/net/sched/cls_bpf.ko\nkernel/net/sched/act_bpf.ko.xz: \nkernel/net/sched/sch_prio.ko.zst:\n",
  );
  t.true(f.clsact && f.clsBpf && f.actBpf && f.prio);
  t.false(f.matchall || f.actCsum || f.dummy);
});
