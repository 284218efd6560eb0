/**
 * The bytes a traffic exchange carries: a deterministic pseudo-random stream
 * per direction, so the receiver can tell not just that data arrived but
 * that every byte is intact, and where the first damaged byte is.
 */
/**
 * @param {number} seed
 * @param {number} length
 * @param {number} [offset]
 * @returns {Buffer}
 */
export function pattern(seed, length, offset = 0) {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    // A cheap 32-bit mix of (seed, position): different in every byte, no period that aligns with MSS.
    let x = (Math.imul(offset + i, 0x9e3779b1) ^ seed) >>> 0;
    x ^= x >>> 15;
    x = Math.imul(x, 0x85ebca77) >>> 0;
    x ^= x >>> 13;
    out[i] = x & 0xff;
  }
  return out;
}

/** Index of the first byte that differs from the expected stream, or -1. */
/**
 * @param {number} seed
 * @param {Buffer} data
 * @param {number} [offset]
 * @returns {number}
 */
export function firstDifference(seed, data, offset = 0) {
  const want = pattern(seed, data.length, offset);
  for (let i = 0; i < data.length; i++) if (data[i] !== want[i]) return offset + i;
  return -1;
}

export const CLIENT_SEED = 0x6e61746c; // "natl"
export const SERVER_SEED = 0x36343634; // "6464"
