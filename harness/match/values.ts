/**
 * How one named field compares, and how its value is shown.
 *
 * The parser fills every field; an expectation names a few. Two values that
 * mean the same thing on the wire must compare equal however they are
 * written: IPv6 addresses in any RFC 5952-permitted spelling, MACs in either
 * case, TCP flags in any order, payloads as text or hex.
 */
import { isDeepStrictEqual } from "node:util";
import { normalizeIp } from "../packet/index.ts";

export type FieldKind = "ip" | "ips" | "mac" | "flags" | "hex" | "options" | "checksum" | "structure" | "exact";

/** What kind of value `layer.field` holds, which decides how it compares and prints. */
export function fieldKind(layer: string, field: string): FieldKind {
  if (field === "chksum") return "checksum";
  if (layer === "eth" && (field === "src" || field === "dst")) return "mac";
  if (field === "src" || field === "dst" || field === "gw") return "ip";
  if (layer === "routing" && field === "addresses") return "ips";
  if (layer === "tcp" && field === "flags") return "flags";
  if (layer === "tcp" && field === "options") return "hex";
  if (field === "options") return "options";
  if ((layer === "icmp" || layer === "icmpv6") && field === "ext") return "structure";
  return "exact";
}

/**
 * Checksums where 0x0000 and 0xffff are the same value: both are zero in
 * one's complement (RFC 1071), an incremental update (RFC 1624) can yield
 * either, and receivers accept both. UDP is excluded: there 0 means "no
 * checksum" (RFC 768), and a computed zero is sent as 0xffff.
 */
const ONES_COMPLEMENT_ZERO_EQUAL = new Set(["tcp", "icmp", "icmpv6"]);

/** Whether an expected field value equals the actual one. "bad" checksums are decided by the caller. */
export function sameValue(layer: string, field: string, expected: unknown, actual: unknown): boolean {
  switch (fieldKind(layer, field)) {
    case "ip":
      return typeof expected === "string" && typeof actual === "string" && sameIp(expected, actual);
    case "ips":
      return (
        Array.isArray(expected) &&
        Array.isArray(actual) &&
        expected.length === actual.length &&
        expected.every((e, i) => sameIp(String(e), String(actual[i])))
      );
    case "mac":
      return String(expected).toLowerCase() === String(actual).toLowerCase();
    case "flags":
      return flagSet(String(expected)) === flagSet(String(actual ?? ""));
    case "hex":
      return hexBytes(String(expected)).equals(hexBytes(String(actual ?? "")));
    case "options":
      return sameOptions(expected, actual);
    case "checksum":
      if (expected === actual) return true;
      return ONES_COMPLEMENT_ZERO_EQUAL.has(layer) && isZero(expected) && isZero(actual);
    case "structure":
      // An RFC 4884 extension parses to a fresh object each time: equal when every part is.
      return isDeepStrictEqual(expected, actual);
    case "exact":
      return expected === actual;
  }
}

function isZero(v: unknown): boolean {
  return v === 0 || v === 0xffff;
}

function sameIp(a: string, b: string): boolean {
  return canonicalIp(a) === canonicalIp(b);
}

/** Spellings already seen: a capture repeats a handful of addresses in thousands of frames. */
const canonical = new Map<string, string>();

/** An address in one spelling; an unparseable one stays as written, lowercased. */
function canonicalIp(addr: string): string {
  let c = canonical.get(addr);
  if (c !== undefined) return c;
  try {
    c = normalizeIp(addr).toLowerCase();
  } catch {
    c = addr.toLowerCase();
  }
  if (canonical.size > 4096) canonical.clear();
  canonical.set(addr, c);
  return c;
}

/** TCP flags as a sorted set of letters: "SA" and "AS" are the same. */
function flagSet(flags: string): string {
  return [...new Set(flags.toUpperCase())].sort().join("");
}

/** Hex written with or without separators ("de ad", "de:ad", "dead") as bytes. */
export function hexBytes(hex: string): Buffer {
  return Buffer.from(hex.replace(/[\s:]/g, ""), "hex");
}

interface Option {
  type?: number;
  data?: string;
  len?: number;
}
/** IP options: same count and types, same data bytes; `len` only when the expectation names it. */
function sameOptions(expected: unknown, actual: unknown): boolean {
  if (!Array.isArray(expected) || !Array.isArray(actual) || expected.length !== actual.length) return false;
  return (expected as Option[]).every((e, i) => {
    const a = actual[i] as Option;
    if (e.type !== a.type) return false;
    if (e.len !== undefined && e.len !== a.len) return false;
    return e.data === undefined || hexBytes(e.data).equals(hexBytes(a.data ?? ""));
  });
}

/** Fields shown in hex: checksums, EtherType, flow label and the raw ICMP word. */
const HEX_FIELDS: Record<string, number> = { chksum: 4, "eth.type": 4, "ipv6.fl": 5, rest: 8 };

/** A value as a person reads it in a diff: checksums in hex, addresses as written, "—" for none. */
export function showValue(layer: string, field: string, value: unknown): string {
  if (value === undefined || value === null) return "—";
  const digits = HEX_FIELDS[`${layer}.${field}`] ?? HEX_FIELDS[field];
  if (typeof value === "number" && digits !== undefined) return "0x" + value.toString(16).padStart(digits, "0");
  if (typeof value === "string") return value === "" && field === "flags" ? "(none)" : value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}
