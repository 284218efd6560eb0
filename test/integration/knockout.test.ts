/**
 * Knock-out builds: each golden behaviour's cases fail when the code for
 * that behaviour is compiled out of bpf/nat64.c (needs root:
 * BPF_PROG_TEST_RUN). One object per behaviour, the whole golden suite run
 * against it (one runner process per prefix/section group):
 *   bpf/nat64-nocsum.o   -DNAT64_NO_L4_CSUM_FIX  TCP/UDP with a non-neutral prefix, ICMP echo
 *   bpf/nat64-noquote.o  -DNAT64_NO_QUOTED_XLAT  ICMP errors that carry a quoted packet
 *   bpf/nat64-nomtu.o    -DNAT64_NO_MTU_ADJUST   the pmtu cases
 *   bpf/nat64-nosize.o   -DNAT64_NO_ICMP_SIZE_LIMIT  the icmp-size cases that cut (not the ones at the limit)
 *   bpf/nat64-no4884.o   -DNAT64_NO_RFC4884      the icmp-extensions cases with an extension to read
 *   bpf/nat64-nocheck.o  -DNAT64_NO_CSUM_CHECK   the cases counted dropped.bad_checksum
 * Every case of the behaviour must fail with a field-level diff naming the
 * field the knocked-out code writes (or, for a drop, with the verdict); the
 * test logs every case that failed.
 */
import test from "ava";
import {
  buildBpf,
  NAT64_NO4884_OBJECT,
  NAT64_NOCHECK_OBJECT,
  NAT64_NOCSUM_OBJECT,
  NAT64_NOMTU_OBJECT,
  NAT64_NOQUOTE_OBJECT,
  NAT64_NOSIZE_OBJECT,
} from "../../harness/bpf/build.ts";
import { type Case, loadCases } from "../../harness/golden/cases.ts";
import { type CaseResult, checkCases } from "../../harness/golden/check.ts";

const NEUTRAL = "64:ff9b:1:fffe::/96";
const root = process.getuid?.() === 0;
const cases = loadCases();

/** A case whose input carries a packet after its ICMP error header (layers after the ICMP layer). */
function quotes(c: Case): boolean {
  const i = c.in.findIndex((l) => "icmp" in l || "icmpv6" in l);
  return i >= 0 && c.in.slice(i + 1).some((l) => "ipv4" in l || "ipv6" in l);
}

interface Knockout {
  object: string;
  flag: string;
  /** The behaviour's cases: each must fail against the object. */
  mine: (c: Case) => boolean;
  /** A diff row (field path) that shows the behaviour is missing. */
  field: RegExp;
  /** For cases the behaviour drops: the failure says the drop did not happen, instead of a diff. */
  dropped?: (c: Case) => boolean;
}

const KNOCKOUTS: Knockout[] = [
  {
    object: NAT64_NOCSUM_OBJECT,
    flag: "NAT64_NO_L4_CSUM_FIX",
    mine: (c) => c.verdict === "ok" && ((c.file === "tcp-udp" && c.prefix !== NEUTRAL) || c.file === "icmp-echo"),
    field: /\.chksum\b/,
  },
  {
    object: NAT64_NOQUOTE_OBJECT,
    flag: "NAT64_NO_QUOTED_XLAT",
    mine: (c) => c.verdict === "ok" && c.file === "icmp-errors" && quotes(c),
    field: /layers\[3\]|\[3\]\./, // the quoted IP header stays the other family
  },
  {
    object: NAT64_NOMTU_OBJECT,
    flag: "NAT64_NO_MTU_ADJUST",
    // a Packet Too Big of MTU 0 gives 0 with or without the adjustment (the floor)
    mine: (c) => c.file === "pmtu" && !/packet-too-big-0-/.test(c.slug),
    field: /\bicmp(v6)?\.mtu\b/,
  },
  {
    object: NAT64_NOSIZE_OBJECT,
    flag: "NAT64_NO_ICMP_SIZE_LIMIT",
    // "... becomes exactly 1280 whole": at the limit, nothing to cut
    mine: (c) => c.file === "icmp-size" && !/exactly \d+ whole/.test(c.name),
    field: /^(ipv6\.plen|ipv4\.len|icmp(v6)?\.quotelen)$/,
  },
  {
    object: NAT64_NO4884_OBJECT,
    flag: "NAT64_NO_RFC4884",
    // the legacy and non-compliant messages read as "no extension" either way
    mine: (c) => c.file === "icmp-extensions" && !/(no|without) extension/.test(c.name),
    field: /^(ipv6\.plen|ipv4\.len|icmp(v6)?\.(length|quotelen|ext))$/,
  },
  {
    object: NAT64_NOCHECK_OBJECT,
    flag: "NAT64_NO_CSUM_CHECK",
    mine: (c) => /dropped\.bad_checksum/.test(c.why ?? ""),
    field: /./,
    dropped: () => true,
  },
];

/** The field paths of the diff rows marked ✗ in a failure text. */
function diffFields(failure: string): string[] {
  return [...failure.matchAll(/^\s*✗ (\S+)\s/gm)].map((m) => m[1]);
}

function name(r: CaseResult): string {
  return `${r.case.file}/${r.case.slug}`;
}

test.before(async () => {
  if (root) await buildBpf();
});

for (const k of KNOCKOUTS) {
  const mine = cases.filter(k.mine);
  (root ? test : test.skip)(
    `-D${k.flag}: all ${mine.length} of its golden cases fail with a field-level diff`,
    async (t) => {
      t.true(mine.length > 0, `no golden case selected for ${k.flag}`);
      const results = await checkCases(cases, { object: k.object });
      const failed = results.filter((r) => !r.ok);
      const others = failed.filter((r) => !k.mine(r.case));
      t.log(`${k.object.replace(/.*\//, "bpf/")}: ${failed.length}/${results.length} cases fail`);
      t.log(
        `  of its own behaviour (${failed.length - others.length}/${mine.length}):\n    ${failed
          .filter((r) => k.mine(r.case))
          .map(name)
          .join("\n    ")}`,
      );
      if (others.length)
        t.log(`  others that depend on it too (${others.length}):\n    ${others.map(name).join("\n    ")}`);
      for (const r of results.filter((x) => k.mine(x.case))) {
        if (r.ok) {
          t.fail(`${name(r)} passes without ${k.flag}: its case does not test the behaviour`);
          continue;
        }
        if (k.dropped?.(r.case)) {
          t.regex(r.failure, /expected a drop \(TC_ACT_SHOT\), got verdict ok/, `${name(r)}: translated, not dropped`);
          continue;
        }
        t.regex(r.failure, /expected beside actual/, `${name(r)}: the failure shows a diff`);
        const fields = diffFields(r.failure);
        t.true(
          fields.some((f) => k.field.test(f)),
          `${name(r)}: the diff names the knocked-out field (${k.field}); it names ${fields.join(", ") || "nothing"}:\n${r.failure}`,
        );
      }
    },
  );
}
