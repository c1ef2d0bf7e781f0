// Seeded pseudo-random numbers for the district generator and clock: a small fast PRNG (sfc32) keyed by
// any list of parts, so every school, day or record stream is reproducible on its own. Imported by seed/ only.

/** A deterministic random stream. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [0, n). */
  int(n: number): number;
  /** Integer in [min, max]. */
  range(min: number, max: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Roughly normal (sum of uniforms), mean 0, deviation 1. */
  normal(): number;
}

/** 32-bit string hash (cyrb53 folded), stable across platforms. */
export function hashString(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h1 ^ h2) >>> 0;
}

/** A random stream keyed by its parts: createRng(seed, "school", 3) is the same stream on every run. */
export function createRng(...parts: (string | number)[]): Rng {
  const key = parts.join("\u0001");
  let a = hashString(`a${key}`);
  let b = hashString(`b${key}`);
  let c = hashString(`c${key}`);
  let d = hashString(`d${key}`) | 1;
  const next = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) {
    next();
  }
  const rng: Rng = {
    next,
    int: (n) => Math.floor(next() * n),
    range: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) {
        throw new Error("pick from an empty list");
      }
      return items[Math.floor(next() * items.length)] as T;
    },
    normal: () => next() + next() + next() + next() + next() + next() - 3,
  };
  return rng;
}
