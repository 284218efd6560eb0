/**
 * Addresses: parse to bytes and format back. IPv6 is written per RFC 5952
 * (lowercase, no leading zeros, the longest run of two or more zero groups
 * shown as "::", the first such run on a tie; the dotted IPv4 form of RFC
 * 5952 section 5 is not used, so 64:ff9b::c0a8:201 rather than 64:ff9b::192.168.2.1).
 */

export function parseIpv4(s: string): Buffer {
  const parts = s.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) {
    throw new Error(`not an IPv4 address: "${s}" (expected four decimal numbers 0-255, like 192.0.2.1)`);
  }
  return Buffer.from(parts.map(Number));
}

export function formatIpv4(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

export function parseIpv6(s: string): Buffer {
  const bad = () => new Error(`not an IPv6 address: "${s}" (expected a form like 2001:db8::1)`);
  let text = s.trim();
  const words: number[] = [];
  // A trailing dotted IPv4 address fills the last two groups (RFC 4291 section 2.2, form 3).
  const dotted = /^(.*:)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  let tail: number[] = [];
  if (dotted) {
    const v4 = parseIpv4(dotted[2]);
    tail = [(v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]];
    text = dotted[1].endsWith("::") ? dotted[1] : dotted[1].slice(0, -1);
  }
  const halves = text.split("::");
  if (halves.length > 2) throw bad();
  const group = (h: string) => (h === "" ? [] : h.split(":"));
  const parseGroups = (gs: string[]) =>
    gs.map((g) => {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw bad();
      return parseInt(g, 16);
    });
  const head = parseGroups(group(halves[0]));
  const back = halves.length === 2 ? parseGroups(group(halves[1])) : [];
  const given = head.length + back.length + tail.length;
  if (halves.length === 2) {
    if (given > 7) throw bad();
    words.push(...head, ...new Array(8 - given).fill(0), ...back, ...tail);
  } else {
    if (given !== 8) throw bad();
    words.push(...head, ...tail);
  }
  const b = Buffer.alloc(16);
  for (let i = 0; i < 8; i++) b.writeUInt16BE(words[i], i * 2);
  return b;
}

/** RFC 5952 text for 16 address bytes (or any IPv6 text, normalised). */
export function formatIpv6(a: Uint8Array | string): string {
  const b = typeof a === "string" ? parseIpv6(a) : a;
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((b[i] << 8) | b[i + 1]);
  // The longest run of zero groups, of length >= 2 (RFC 5952 section 4.2.2), first on a tie (4.2.3).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(":");
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}

/** Either family to bytes, chosen by the presence of ":". */
export function parseIp(s: string): Buffer {
  return s.includes(":") ? parseIpv6(s) : parseIpv4(s);
}

export function formatIp(b: Uint8Array): string {
  return b.length === 4 ? formatIpv4(b) : formatIpv6(b);
}

/**
 * The canonical text of an address a person wrote, so two spellings compare
 * equal: "2001:DB8:0::1" and "2001:db8::1" both give "2001:db8::1",
 * "::ffff:192.0.2.1" gives "::ffff:c000:201". Throws on text that is no address.
 */
export function normalizeIp(s: string): string {
  return formatIp(parseIp(s));
}

export function parseMac(s: string): Buffer {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(s)) {
    throw new Error(`not a MAC address: "${s}" (expected six hex bytes like 02:00:00:00:00:0a)`);
  }
  return Buffer.from(s.split(":").map((h) => parseInt(h, 16)));
}

export function formatMac(b: Uint8Array): string {
  return Array.from(b.subarray(0, 6), (x) => x.toString(16).padStart(2, "0")).join(":");
}
