/**
 * A second opinion on the expected outputs' checksums from tshark, an
 * independent decoder: every "ok" case's expected frame must have no
 * checksum tshark calls bad, except the cases whose point is a preserved
 * wrong checksum. In `-T fields` output a *.checksum.status is 0 for bad,
 * 1 for good and 2 for unverified (quoted, cut short or validation off). tshark's TCP quirk (0xffff called bad where it
 * computes 0) cannot bite: the builder writes a computed zero as 0x0000.
 * Two of its quoted-packet quirks are not counted either, since the
 * checksum is right for the whole datagram it describes: inside an ICMP
 * error tshark checks a TCP checksum over the bytes present, so a segment
 * quoted in part (an error cut to its size limit) is called bad; and it
 * reads an RFC 4884 extension as the rest of a quoted datagram, so a UDP
 * datagram quoted in part before an extension is called bad.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../exec/command.ts";
import { pcapBytes } from "../packet/index.ts";
import type { Case } from "./cases.ts";
import { caseFrames } from "./generate.ts";

/** tshark's "bad" checksum status in -T fields output (good is 1, unverified 2). */
const BAD = "0";
const FIELDS = [
  "ip.checksum.status",
  "tcp.checksum.status",
  "udp.checksum.status",
  "icmp.checksum.status",
  "icmpv6.checksum.status",
];

/** tshark's verdict on `field` means nothing here: a quoted L4 checksum over part of its datagram (see above). */
function unverifiable(c: Case, field: string): boolean {
  const out = c.out ?? [];
  const i = out.findIndex((l) => "icmp" in l || "icmpv6" in l);
  const icmp = i < 0 ? undefined : "icmp" in out[i] ? out[i].icmp : "icmpv6" in out[i] ? out[i].icmpv6 : undefined;
  if (icmp?.quotelen === undefined) return false;
  const quoted = out.slice(i + 1);
  if (field === "tcp.checksum.status") return quoted.some((l) => "tcp" in l);
  return field === "udp.checksum.status" && icmp.ext !== undefined && quoted.some((l) => "udp" in l);
}

/** One line per expected output tshark finds a bad checksum in; empty when all are good. */
export async function tsharkChecksumProblems(cases: Case[]): Promise<string[]> {
  const checked = cases.filter((c) => c.verdict === "ok" && c.badChecksum !== "preserved");
  if (checked.length === 0) return [];
  const tmp = mkdtempSync(join(tmpdir(), "natlab-golden-tshark-"));
  try {
    const pcap = join(tmp, "expected.pcap");
    writeFileSync(pcap, pcapBytes(checked.map((c) => caseFrames(c).output as Buffer)));
    const argv = ["tshark", "-r", pcap, "-n"];
    // ICMP and ICMPv6 checksums are always checked; the others only when asked.
    for (const p of ["ip", "tcp", "udp"]) argv.push("-o", `${p}.check_checksum:TRUE`);
    argv.push("-T", "fields", "-E", "separator=/t");
    for (const f of FIELDS) argv.push("-e", f);
    const r = await run(argv, { allowFail: true, timeoutSec: 120 });
    if (r.exitCode !== 0)
      throw new Error(`tshark failed (is it installed? scripts/setup.sh installs it):\n  ${r.stderr.trim()}`);
    const lines = r.stdout.split("\n").filter((l, i, all) => l !== "" || i < all.length - 1);
    const problems: string[] = [];
    checked.forEach((c, i) => {
      const cols = (lines[i] ?? "").split("\t");
      const bad = FIELDS.filter((f, j) => (cols[j] ?? "").split(",").includes(BAD) && !unverifiable(c, f));
      if (bad.length) problems.push(`${c.file}: ${c.name}: tshark calls ${bad.join(", ")} bad in the expected output`);
    });
    if (lines.length < checked.length)
      problems.push(`tshark printed ${lines.length} lines for ${checked.length} frames`);
    return problems;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
