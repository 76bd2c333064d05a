/** Helpers shared by the auction and allocation benchmarks. */

/** One benchmark figure, as the root `npm run bench` runner prints it. */
export interface Row {
  suite: string;
  case: string;
  value: number;
  unit: string;
  /** The reference figure for the same work, measured in the same run where there is one. */
  baseline?: number;
  /** Higher is better: baseline / value for costs and latencies. */
  ratio?: number;
}

/** A row where lower is better (cost, latency): ratio = baseline / value. */
export function lowerIsBetter(
  suite: string,
  name: string,
  value: number,
  unit: string,
  baseline?: number,
): Row {
  return { suite, case: name, value, unit, baseline, ratio: baseline ? baseline / value : undefined };
}

/** The p-th percentile (0–100) of `xs`, by nearest rank. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function mean(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

/** A seeded PRNG (mulberry32) in [0, 1), so that every run draws the same instances. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random permutation of 0…n-1 (Fisher–Yates). */
export function shuffled(n: number, rand: () => number): number[] {
  const xs = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

/** Where simulated agent `i` stands in a 100 m square; the same in every process. */
export function agentSpot(i: number): { x: number; y: number } {
  const rand = prng(0x5eed + i);
  return { x: rand() * 100, y: rand() * 100 };
}

/** Where the k-th benchmark task is; the same in every process. */
export function taskSpot(k: number): { x: number; y: number } {
  const rand = prng(0x7a5c + k);
  return { x: rand() * 100, y: rand() * 100 };
}
