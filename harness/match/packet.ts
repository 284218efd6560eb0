/**
 * One expected packet against one parsed packet, field by field.
 *
 * Masks work as in packet-test frameworks that compare with "don't care"
 * bits: the expectation is a partial packet. Layers line up by position and
 * must have the same name; the expectation may stop early (trailing actual
 * layers are ignored). Inside a layer, a field the expectation names must be
 * equal; a field it leaves out is don't-care. So IPv4 ID, flow label and
 * sequence numbers are ignored unless a flow names them.
 */
import { isIcmpError } from "../packet/icmp.ts";
import type { ChecksumProblem } from "../packet/index.ts";
import { type Layer, layerFields, layerName, type Packet } from "../packet/layers.ts";
import { hexBytes, sameValue } from "./values.ts";

export interface FieldDiff {
  /** "ipv4.ttl"; quoted layers (after an ICMP error) carry their index: "icmp[3].type". "layers[2]" for a layer mismatch. */
  path: string;
  expected: unknown;
  actual: unknown;
  ok: boolean;
}

export interface PacketMatch {
  ok: boolean;
  fields: FieldDiff[];
}

/**
 * Compare `expected` (partial) with `actual` (parsed, every field filled).
 * `problems` are the actual frame's checksum problems: they decide an
 * expectation of `chksum: bad`, which holds only when that checksum is wrong.
 */
export function matchPacket(expected: Packet, actual: Packet, problems: ChecksumProblem[] = []): PacketMatch {
  const paths = layerPaths(actual.length >= expected.length ? actual : expected);
  const bad = new Set(problems.map((p) => problemPath(p, actual)));
  const fields: FieldDiff[] = [];
  // An expectation that starts at the IP layer does not care about the link layer:
  // `[ {ipv4: ...}, {tcp: ...} ]` matches an Ethernet frame carrying them.
  const skip =
    expected.length > 0 && layerName(expected[0]) !== "eth" && actual.length > 0 && layerName(actual[0]) === "eth"
      ? 1
      : 0;
  for (let i = 0; i < expected.length; i++) {
    const want = expected[i];
    const got: Layer | undefined = actual[i + skip];
    const name = layerName(want);
    if (got === undefined || layerName(got) !== name) {
      // Layers after a mismatch mean something else: comparing them would only add noise.
      fields.push({
        path: `layers[${i + skip}]`,
        expected: name,
        actual: got ? layerName(got) : "(no more layers)",
        ok: false,
      });
      break;
    }
    const wantFields = layerFields(want);
    const gotFields = layerFields(got);
    if (name === "payload") {
      fields.push(...payloadDiffs(paths[i + skip], wantFields, gotFields));
      continue;
    }
    for (const [field, e] of Object.entries(wantFields)) {
      if (e === undefined) continue;
      const path = `${paths[i + skip]}.${field}`;
      const a = gotFields[field];
      const ok = e === "bad" && field === "chksum" ? bad.has(path) : sameValue(name, field, e, a);
      fields.push({ path, expected: e, actual: a, ok });
    }
  }
  return { ok: fields.every((f) => f.ok), fields };
}

/**
 * Whether the layers after this one are a quoted packet: an ICMP or ICMPv6
 * error (packet/icmp.ts says which types are), or, in an expectation that
 * leaves the type out, an ICMP layer followed by headers rather than payload.
 */
function quotesPacket(layer: Layer, next: Layer | undefined): boolean {
  const name = layerName(layer);
  if (name !== "icmp" && name !== "icmpv6") return false;
  const type = layerFields(layer).type as number | undefined;
  if (type === undefined) return next !== undefined && layerName(next) !== "payload";
  return isIcmpError(name === "icmp" ? 4 : 6, type);
}

/**
 * The name each layer has in a diff: its layer name, with its index when it
 * is part of a quoted packet or its name occurs twice outside one, so that
 * "ipv4.ttl" is always the outer header and "ipv4[3].ttl" the quoted one.
 */
export function layerPaths(packet: Packet): string[] {
  let quotedFrom = packet.length;
  for (let i = 0; i < packet.length; i++) {
    if (quotesPacket(packet[i], packet[i + 1])) {
      quotedFrom = i + 1;
      break;
    }
  }
  const outerNames = packet.slice(0, quotedFrom).map(layerName);
  return packet.map((layer, i) => {
    const name = layerName(layer);
    const repeated = outerNames.indexOf(name) !== outerNames.lastIndexOf(name);
    return i >= quotedFrom || repeated ? `${name}[${i}]` : name;
  });
}

/**
 * The diff path of a checksum problem. The codec gives the layer's index
 * in the packet, and its name ("quoted tcp" inside an ICMP error); without
 * an index the first layer of that name, on that side of the quote, is meant.
 */
export function problemPath(problem: ChecksumProblem, packet: Packet): string {
  const paths = layerPaths(packet);
  let index = problem.index ?? -1;
  if (index < 0 || index >= paths.length) {
    const quoted = problem.layer.startsWith("quoted ");
    const name = problem.layer.replace(/^quoted /, "");
    index = paths.findIndex((p, i) => layerName(packet[i]) === name && p.includes("[") === quoted);
  }
  const base = index >= 0 ? paths[index] : problem.layer;
  return `${base}.${problem.field}`;
}

/** Payload bytes from whichever form the layer gives: hex wins over text. */
function payloadBytes(fields: Record<string, unknown>): Buffer {
  if (typeof fields.hex === "string") return hexBytes(fields.hex);
  if (typeof fields.text === "string") return Buffer.from(fields.text, "utf8");
  return Buffer.alloc(0);
}

/** Payloads compare by bytes: text and hex name the bytes, size the length, fill every byte. */
function payloadDiffs(path: string, want: Record<string, unknown>, got: Record<string, unknown>): FieldDiff[] {
  const bytes = payloadBytes(got);
  const diffs: FieldDiff[] = [];
  if (typeof want.text === "string") {
    const text = bytes.toString("utf8");
    diffs.push({
      path: `${path}.text`,
      expected: want.text,
      actual: printable(bytes) ? text : bytes.toString("hex"),
      ok: Buffer.from(want.text, "utf8").equals(bytes),
    });
  }
  if (typeof want.hex === "string") {
    diffs.push({
      path: `${path}.hex`,
      expected: want.hex,
      actual: bytes.toString("hex"),
      ok: hexBytes(want.hex).equals(bytes),
    });
  }
  if (typeof want.size === "number") {
    diffs.push({ path: `${path}.size`, expected: want.size, actual: bytes.length, ok: want.size === bytes.length });
  }
  if (typeof want.fill === "number") {
    const fill = want.fill;
    const stray = bytes.findIndex((b) => b !== fill);
    diffs.push({
      path: `${path}.fill`,
      expected: fill,
      actual: stray < 0 ? fill : `byte ${stray} is ${bytes[stray]}`,
      ok: stray < 0,
    });
  }
  return diffs;
}

function printable(bytes: Buffer): boolean {
  return bytes.every((b) => (b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x0d || b === 0x09);
}
