// Statistics and the side-by-side runner shared by every benchmark.

/** Median of numbers (the mean of the middle two for an even count). */
export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Percentile (nearest rank) of numbers. */
export function percentile(values, p) {
  const v = [...values].sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))];
}

const gc = globalThis.gc ?? (() => {});

/**
 * Runs `contenders` ({ name, batch: async (offset, count) => seconds }) side by side. A round is cut
 * into `slices`; in every slice each contender runs one batch of `batchSize` operations, in an order
 * that rotates and alternates (forwards, backwards), so the drift of a shared, noisy machine hits
 * every contender alike. Per round, a contender's ops/s is its operations over its summed time.
 * One warm-up round is not counted. Compare contenders with `roundRatio`. Run with --expose-gc.
 */
export async function sideBySide(contenders, { rounds, slices, batchSize, onRound }) {
  const perRound = Object.fromEntries(contenders.map((c) => [c.name, []]));
  for (let r = -1; r < rounds; r++) {
    const seconds = Object.fromEntries(contenders.map((c) => [c.name, 0]));
    for (let s = 0; s < slices; s++) {
      // A collection between slices: a slice is too short to fill the young generation, so no
      // contender pays for another one's garbage.
      gc();
      // Every contender takes every position equally often (position matters: the batch right after
      // the collection shares the CPU with the collector's background threads): rotate by one each
      // slice, and run the whole cycle backwards every other time round.
      const n = contenders.length;
      const k = s + Math.max(r, 0) * slices;
      const rotated = contenders.map((_, i) => contenders[(i + k) % n]);
      const order = Math.floor(k / n) % 2 === 0 ? rotated : rotated.reverse();
      for (const c of order) seconds[c.name] += await c.batch(s * batchSize, batchSize);
    }
    if (r >= 0) for (const c of contenders) perRound[c.name].push((slices * batchSize) / seconds[c.name]);
    if (r >= 0 && onRound) onRound(r + 1, rounds);
  }
  return perRound;
}

/** Median over rounds of a / b, both measured in the same round. */
export function roundRatio(perRound, a, b) {
  const xs = perRound[a];
  const ys = perRound[b];
  return median(xs.map((x, i) => x / ys[i]));
}

/**
 * A batch runner for `fn(i)`, i in [offset, offset + count), sync or awaited. It returns the CPU
 * time the process spent (user + system, all threads, so WebCrypto's thread-pool work counts),
 * not wall time: on a machine shared with other jobs, being descheduled must not count as cost.
 * Figures are therefore "per core" (ops per CPU-second).
 */
export function batchOf(fn, isAsync) {
  return async (offset, count) => {
    const end = offset + count;
    const start = process.cpuUsage();
    if (isAsync) for (let i = offset; i < end; i++) await fn(i);
    else for (let i = offset; i < end; i++) fn(i);
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1e6;
  };
}
