/**
 * Seeded randomness. Every random choice in a run (which pod, which broker) draws from an `Rng`
 * derived from the scenario seed plus a stable label (fault name, iteration), so adding a fault does
 * not change what another fault picks, and `--seed N` replays a run exactly.
 */
import { randomInt } from "node:crypto";

export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, bound). */
  int(bound: number): number;
}

/** A fresh seed for runs that did not set one; recorded in the report so the run can be replayed. */
export function generateSeed(): number {
  return randomInt(1, 2 ** 31 - 1);
}

/** mulberry32: tiny, fast and good enough for picking targets; not for cryptography. */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    next,
    int: (bound) => {
      if (!Number.isInteger(bound) || bound <= 0) throw new RangeError(`Rng.int needs a positive integer bound, got ${bound}`);
      return Math.floor(next() * bound);
    },
  };
}

/** An Rng for one labelled decision of a run: `deriveRng(seed, "fault:kill-loader", "iteration:2")`. */
export function deriveRng(seed: number, ...labels: string[]): Rng {
  return createRng(hashSeed(seed, labels.join("\u0000")));
}

function hashSeed(seed: number, label: string): number {
  // FNV-1a over the seed's bytes and the label: stable across Node versions and platforms.
  let hash = 0x811c9dc5;
  const mix = (byte: number) => {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  };
  for (let shift = 0; shift < 32; shift += 8) mix((seed >>> shift) & 0xff);
  for (const byte of Buffer.from(label, "utf8")) mix(byte);
  return hash;
}

/** Fisher–Yates on a copy; callers pass candidates in a stable order (sorted by name) for replay. */
export function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}
