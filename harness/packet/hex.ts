/** Hex text as the packet syntax writes it ("de ad be ef", "de:ad", "dead") to bytes and back. */

export function hexToBytes(s: string): Buffer {
  const clean = s.replace(/[\s:]/g, "");
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) {
    throw new Error(`not hex bytes: "${s}" (expected pairs of hex digits, like "de ad be ef")`);
  }
  return Buffer.from(clean, "hex");
}

/** Compact lowercase hex, the form the parser emits. */
export function bytesToHex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

/** Canonical form of hex text, for comparing two spellings. */
export function normalizeHex(s: string): string {
  return bytesToHex(hexToBytes(s));
}
