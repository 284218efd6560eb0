/**
 * tshark's opinion of translated frames, many at a time (one tshark process
 * per call): the errors it finds, per frame. An error is a malformed packet
 * or an expert item of severity "error", except checksum items (the
 * invariants check checksums themselves, with the one's-complement and UDP
 * rules tshark does not know). Application protocols are not dissected
 * (every TCP and UDP port decodes as data): random bytes to port 53 are not
 * a malformed DNS message the translator made. For the same reason a
 * malformed packet or an error counts only when the frame holds nothing
 * but layers the translator writes (IP, ICMP, TCP, UDP), not a tunnelled
 * packet or another protocol's payload (AH, ESP, SCTP, IP in IP), and not
 * about the TCP options or UDP Length it copies. Fragments are not
 * reassembled: each frame is judged on its own.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../exec/command.ts";
import { writePcap } from "../packet/index.ts";

/** tshark's expert severity "error" (PI_ERROR) and group "checksum" (PI_CHECKSUM), as -T fields prints them. */
const PI_ERROR = "8388608";
const PI_CHECKSUM = "16777216";
/**
 * Expert errors about fields a translator copies without reading: TCP options (their padding) and the UDP
 * Length (RFC 7915 translates neither; the codec checks every length the translator writes).
 */
const NOT_WRITTEN = /^(Non-zero header padding|Bad length value)/;
/**
 * A malformed packet in a layer the translator reads or writes: tshark names the layer whose dissection was
 * running. IPv6's extension headers count (the translator walks them), so an input whose payload tshark finds
 * malformed behind them is not clean: a payload dissector that adds no layer of its own, such as RSVP for
 * protocol 134 (RSVP-E2E-IGNORE, RFC 3175), throws inside the last named one, the IPv6 Fragment or Destination
 * Options header in the input and the IPv4 header in the output. The payload is the same bytes, copied
 * (RFC 7915 §5.5: "translators MUST forward all transport protocols as described in the 'Protocol' step of
 * Section 5.1", which copies the number and leaves the bytes alone).
 */
const OURS = /Malformed Packet: (IPv4|IPv6|IPv6 (Hop-by-Hop|Destination|Routing|Fragment)|ICMP|ICMPv6|TCP|UDP)\]/;
/** A separator that expert messages do not contain. */
const AGG = "\u001f";

/** For each frame, tshark's errors in it (empty when it has none). */
export async function tsharkErrors(frames: Buffer[]): Promise<string[][]> {
  if (frames.length === 0) return [];
  const tmp = mkdtempSync(join(tmpdir(), "natlab-fuzz-tshark-"));
  try {
    const pcap = join(tmp, "frames.pcap");
    writePcap(pcap, frames);
    const argv = ["tshark", "-r", pcap, "-n", "-d", "udp.port==0-65535,data", "-d", "tcp.port==0-65535,data"];
    // Each frame on its own: fragments of unrelated frames that share an Identification are never reassembled.
    argv.push("-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE");
    argv.push("-T", "fields", "-E", "separator=/t", "-E", `aggregator=${AGG}`);
    for (const f of [
      "frame.number",
      "_ws.malformed",
      "_ws.expert.severity",
      "_ws.expert.group",
      "_ws.expert.message",
      "frame.protocols",
      "ip.frag_offset",
      "ipv6.fraghdr.offset",
    ])
      argv.push("-e", f);
    const r = await run(argv, { allowFail: true, timeoutSec: 600 });
    if (r.exitCode !== 0)
      throw new Error(
        `tshark failed (scripts/setup.sh installs it; or run natlab fuzz --no-tshark):\n  ${r.stderr.trim()}`,
      );
    const out: string[][] = frames.map(() => []);
    for (const line of r.stdout.split("\n")) {
      if (!line) continue;
      const [num, malformed, sev, group, msg, protocols, off4, off6] = line.split("\t");
      const i = Number(num) - 1;
      if (!(i >= 0 && i < out.length)) continue;
      const sevs = (sev ?? "").split(AGG);
      const groups = (group ?? "").split(AGG);
      const msgs = (msg ?? "").split(AGG);
      // Inside another protocol's payload (AH, ESP, SCTP, a tunnelled packet) nothing is the translator's.
      if (!translatorLayers(protocols ?? "")) continue;
      // A fragment other than the first holds data: tshark, reassembling nothing, still dissects it as TCP or UDP.
      const later = [off4, off6].some((o) => (o ?? "").split(AGG).some((x) => Number(x) > 0));
      const ours = !later && OURS.test(malformed ?? "");
      const errs = msgs.filter(
        (m, k) =>
          sevs[k] === PI_ERROR &&
          groups[k] !== PI_CHECKSUM &&
          (ours || !m.startsWith("Malformed")) &&
          !NOT_WRITTEN.test(m),
      );
      if (ours && !errs.some((m) => m.startsWith("Malformed"))) errs.push("Malformed Packet");
      out[i] = errs;
    }
    return out;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The frame's protocol stack holds only what a translator writes: IP, then ICMP (quoting IP again), TCP or UDP. */
function translatorLayers(protocols: string): boolean {
  const p = protocols.split(":").filter((x) => !["eth", "ethertype", "data"].includes(x) && !x.startsWith("ipv6."));
  for (let i = 1; i < p.length; i++) {
    if ((p[i] === "ip" || p[i] === "ipv6") && p[i - 1] !== "icmp" && p[i - 1] !== "icmpv6") return false;
    if (!["ip", "ipv6", "icmp", "icmpv6", "tcp", "udp"].includes(p[i])) return false;
  }
  return true;
}

/** An error as a class: numbers out, so one cause is one class. */
export function tsharkClass(message: string): string {
  return message.replace(/0x[0-9a-f]+/gi, "N").replace(/\d+/g, "N");
}
