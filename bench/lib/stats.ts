/** The q-quantile (0..1) of `values` by nearest rank; NaN for none. */
export function quantile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(values: number[]): number {
  return quantile(values, 0.5);
}

export type Latency = { p50: number; p99: number; max: number; n: number };

export function latency(values: ArrayLike<number>): Latency {
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) =>
    sorted.length === 0
      ? NaN
      : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  return {
    p50: at(0.5),
    p99: at(0.99),
    max: sorted.length ? sorted[sorted.length - 1]! : NaN,
    n: sorted.length,
  };
}

/** Median of each field across repetitions. */
export function medianLatency(reps: Latency[]): Latency {
  return {
    p50: median(reps.map((r) => r.p50)),
    p99: median(reps.map((r) => r.p99)),
    max: median(reps.map((r) => r.max)),
    n: reps.reduce((s, r) => s + r.n, 0),
  };
}

export const ms = (v: number) =>
  Number.isNaN(v) ? '–' : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0);
export const ratio = (a: number, b: number) => (b > 0 && Number.isFinite(a) ? (a / b).toFixed(2) + '×' : '–');
