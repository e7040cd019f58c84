/**
 * Randomness, injected. Envoy draws a random integer and takes it modulo a bound (for example
 * `random() % 100 < enforcing_consecutive_5xx`); `Random.nextU32()` plays that role. Tests use
 * `SeededRandom` so every pick sequence is reproducible.
 */
export interface Random {
  /** A uniformly distributed integer in [0, 2^32). */
  nextU32(): number;
}

/** Production randomness. */
export class SystemRandom implements Random {
  nextU32(): number {
    return Math.floor(Math.random() * 0x1_0000_0000);
  }
}

/** Deterministic randomness (mulberry32) for tests and reproducible benchmarks. */
export class SeededRandom implements Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  nextU32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
}

/** A random integer in [0, bound). `bound` must be a positive integer below 2^32. */
export function randomBelow(random: Random, bound: number): number {
  return random.nextU32() % bound;
}
