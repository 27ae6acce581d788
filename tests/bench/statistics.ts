/**
 * The statistics the benchmarks read their rounds with: median, percentiles, a seeded pseudo-random
 * generator, a bootstrap interval (so that the same rounds always print the same interval), and a
 * verdict that says whether a goal is met and whether the measurement can tell.
 */

/** The value with ⌊p·n⌋ of the samples below it (of sorted samples; p in percent): the higher of the two nearest ranks. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new Error('percentile of no samples');
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** The middle value, or the mean of the two middle values of an even count; the samples need not be sorted. */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) throw new Error('median of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const half = sorted.length >> 1;
  return sorted.length % 2 ? sorted[half]! : (sorted[half - 1]! + sorted[half]!) / 2;
}

/** A pseudo-random generator (mulberry32) of numbers in [0, 1), the same sequence for the same seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Interval {
  low: number;
  high: number;
}

export interface BootstrapOptions {
  /** How many resamples (default 10,000). */
  resamples?: number;
  /** The share of the statistic's bootstrap distribution the interval holds (default 0.90: its 5th to 95th percentile). */
  level?: number;
  seed?: number;
}

/**
 * The percentile bootstrap interval of `statistic`: the samples drawn with replacement, as many as there are,
 * `resamples` times, and the statistic of each resample; the interval runs from the (1 − level)/2 to the
 * (1 + level)/2 percentile of those. Samples are whatever one measurement gives (a round's ratio, or a pair of
 * figures measured side by side, drawn together).
 */
export function bootstrapInterval<T>(samples: readonly T[], statistic: (resample: readonly T[]) => number, options: BootstrapOptions = {}): Interval {
  const { resamples = 10_000, level = 0.9, seed = 1 } = options;
  if (samples.length === 0) throw new Error('bootstrap of no samples');
  const random = seededRandom(seed);
  const values: number[] = [];
  const resample: T[] = new Array<T>(samples.length);
  for (let i = 0; i < resamples; i++) {
    for (let j = 0; j < samples.length; j++) resample[j] = samples[Math.floor(random() * samples.length)]!;
    values.push(statistic(resample));
  }
  values.sort((a, b) => a - b);
  return { low: percentile(values, (100 * (1 - level)) / 2), high: percentile(values, (100 * (1 + level)) / 2) };
}

/** A figure measured over rounds: its median, its range, and the bootstrap 90 % interval of the median. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  interval: Interval;
  /** "median 1.02, range 0.91–1.20, bootstrap 90 % interval of the median 0.95–1.10", in `format`. */
  text: string;
}

/** The median of the rounds' values, with its range and its bootstrap 90 % interval (seeded: the same rounds print the same text). */
export function spread(values: readonly number[], format: (value: number) => string): Spread {
  const interval = bootstrapInterval(values, median);
  const middle = median(values);
  const [min, max] = [Math.min(...values), Math.max(...values)];
  const text = `median ${format(middle)}, range ${format(min)}–${format(max)}, bootstrap 90 % interval of the median ${format(interval.low)}–${format(interval.high)}`;
  return { median: middle, min, max, interval, text };
}

/** A goal on one figure: at least `at` (`atLeast`) or at most `at` (`atMost`). */
export interface Goal {
  at: number;
  direction: 'atLeast' | 'atMost';
}

export type Verdict = 'met' | 'not met' | 'cannot tell';

/**
 * Whether the goal is met, read from the interval of the figure: met when the whole interval is on the goal's
 * side, not met when the whole interval is on the other side, and "cannot tell" when it straddles the goal
 * (the machine's noise is larger than the distance to the goal).
 */
export function judge(interval: Interval, goal: Goal): Verdict {
  const { low, high } = interval;
  if (goal.direction === 'atLeast') return low >= goal.at ? 'met' : high < goal.at ? 'not met' : 'cannot tell';
  return high <= goal.at ? 'met' : low > goal.at ? 'not met' : 'cannot tell';
}

/** The verdict in words, with the interval it was read from: "cannot tell on this machine: interval 0.84–0.97 straddles 0.90". */
export function explain(verdict: Verdict, interval: Interval, goal: Goal, format: (value: number) => string): string {
  const range = `interval ${format(interval.low)}–${format(interval.high)}`;
  if (verdict === 'cannot tell') return `cannot tell on this machine: ${range} straddles ${format(goal.at)}`;
  const sides = goal.direction === 'atLeast' ? ['≥', '<'] : ['≤', '>'];
  return `${verdict}: ${range}, all ${verdict === 'met' ? sides[0] : sides[1]} ${format(goal.at)}`;
}

/** The verdict as a line says it: "met", "not met", or "cannot tell on this machine". */
export function sayVerdict(verdict: Verdict): string {
  return verdict === 'cannot tell' ? 'cannot tell on this machine' : verdict;
}

/** The verdict on several goals together: not met if any is not met, else "cannot tell" if any cannot tell. */
export function judgeAll(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.includes('not met')) return 'not met';
  return verdicts.includes('cannot tell') ? 'cannot tell' : 'met';
}
