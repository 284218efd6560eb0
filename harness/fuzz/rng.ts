/**
 * A seeded random source, so that `natlab fuzz --seed S` makes the same
 * frames on every run and machine. sfc32 (Chris Doty-Humphrey's Small Fast
 * Counting generator): 128 bits of state, good statistical quality, a few
 * integer operations per number. Math.random cannot be seeded, and a fuzzer
 * needs speed more than cryptographic strength.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** `seed` and `stream` (a batch number) give independent sequences: batch k is the same whatever ran before it. */
  constructor(seed: number, stream = 0) {
    this.a = seed >>> 0;
    this.b = Math.imul(stream + 1, 0x9e3779b9) >>> 0;
    this.c = 0x243f6a88 ^ (seed / 0x100000000);
    this.d = 1;
    // Mix the state before the first number is used (the generator's authors recommend 12 or more rounds).
    for (let i = 0; i < 15; i++) this.u32();
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.u32() / 0x100000000) * n);
  }

  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** A size that is usually small and sometimes large: packets are mostly short, but lengths near the MTU matter. */
  size(max: number): number {
    const r = this.int(10);
    if (r < 5) return this.int(Math.min(max, 64) + 1);
    if (r < 8) return this.int(Math.min(max, 512) + 1);
    return this.int(max + 1);
  }

  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }
}
