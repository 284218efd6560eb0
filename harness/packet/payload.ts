/** Raw bytes: the payload layer, and anything the parser cannot decode. */
import { bytesToHex, hexToBytes } from "./hex.ts";
import type { PayloadFields } from "./layers.ts";

/** Bytes from the first of hex, text, size that is given: `size` bytes of `fill`, or of the counting pattern 00 01 02 ... ff 00 ... */
export function payloadBytes(f: PayloadFields): Buffer {
  if (f.hex !== undefined) return hexToBytes(f.hex);
  if (f.text !== undefined) return Buffer.from(f.text, "utf8");
  const size = f.size ?? 0;
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = f.fill ?? i & 0xff;
  return b;
}

/** hex and size always; text too when every byte is printable ASCII (or tab, CR, LF), so `payload: {text: hello}` expectations match. */
export function decodePayload(b: Buffer): PayloadFields {
  const f: PayloadFields = { hex: bytesToHex(b), size: b.length };
  if (b.length > 0 && b.every((c) => (c >= 0x20 && c < 0x7f) || c === 9 || c === 10 || c === 13))
    f.text = b.toString("latin1");
  return f;
}
