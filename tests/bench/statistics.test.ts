import { describe, expect, it } from 'vitest';
import { bootstrapInterval, explain, judge, judgeAll, median, percentile, sayVerdict, seededRandom, spread } from './statistics.js';

describe('median and percentile', () => {
  it('takes the middle value, or the mean of the two middle ones, whatever the order', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('takes the sample with ⌊p·n⌋ samples below it', () => {
    const sorted = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(11);
    expect(percentile(sorted, 95)).toBe(20);
    expect(percentile(sorted, 5)).toBe(2);
    expect(percentile(sorted, 0)).toBe(1);
    expect(percentile(sorted, 100)).toBe(20);
  });

  it('refuses no samples rather than answer NaN', () => {
    expect(() => median([])).toThrow();
    expect(() => percentile([], 50)).toThrow();
  });
});

describe('seededRandom', () => {
  it('gives the same sequence for the same seed, another for another seed', () => {
    const draw = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 5 }, () => random());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('is mulberry32, so that a fault soak round replays from the seed it printed', () => {
    const random = seededRandom(851613287);
    expect([random(), random(), random()]).toEqual([0.25246576708741486, 0.928743599448353, 0.033890844555571675]);
  });

  it('spreads evenly over [0, 1)', () => {
    const random = seededRandom(7);
    const values = Array.from({ length: 100_000 }, () => random());
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    const tenths = new Array<number>(10).fill(0);
    for (const value of values) tenths[Math.floor(value * 10)]!++;
    for (const count of tenths) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });
});

describe('bootstrapInterval', () => {
  const ratios = [0.84, 0.91, 0.88, 0.97, 0.86];

  it('prints the same interval for the same rounds (seeded)', () => {
    expect(bootstrapInterval(ratios, median)).toEqual(bootstrapInterval(ratios, median));
  });

  it('is the range of five rounds for their median: a median of five draws falls on the lowest one 5.8 % of the time', () => {
    expect(bootstrapInterval(ratios, median)).toEqual({ low: 0.84, high: 0.97 });
  });

  it('narrows to the 2nd to 6th of seven rounds, and the 3rd to 7th of nine', () => {
    expect(bootstrapInterval([1, 2, 3, 4, 5, 6, 7], median)).toEqual({ low: 2, high: 6 });
    expect(bootstrapInterval([1, 2, 3, 4, 5, 6, 7, 8, 9], median)).toEqual({ low: 3, high: 7 });
  });

  it('is a point when every round gives the same figure', () => {
    expect(bootstrapInterval([0.9, 0.9, 0.9], median)).toEqual({ low: 0.9, high: 0.9 });
  });

  it('holds the median of a large sample, within a narrow interval', () => {
    const random = seededRandom(3);
    const samples = Array.from({ length: 400 }, () => random() * 10);
    const { low, high } = bootstrapInterval(samples, median, { resamples: 2000 });
    expect(low).toBeLessThan(median(samples));
    expect(high).toBeGreaterThan(median(samples));
    // Uniform on [0, 10): the median is 5, and its standard error with 400 samples is 0.25.
    expect(low).toBeGreaterThan(4);
    expect(high).toBeLessThan(6);
  });

  it('draws pairs together, for a statistic of two figures measured side by side', () => {
    const pairs = [
      { app: 10, rtt: 2 },
      { app: 12, rtt: 3 },
      { app: 11, rtt: 2.5 },
    ];
    const { low, high } = bootstrapInterval(pairs, (sample) => median(sample.map((p) => p.app)) / median(sample.map((p) => p.rtt)));
    expect(low).toBeGreaterThanOrEqual(10 / 3);
    expect(high).toBeLessThanOrEqual(12 / 2);
  });
});

describe('judge', () => {
  const ratioGoal = { at: 0.9, direction: 'atLeast' } as const;
  const cpuGoal = { at: 0.15, direction: 'atMost' } as const;

  it('says met only when the whole interval is on the goal side', () => {
    expect(judge({ low: 0.9, high: 0.97 }, ratioGoal)).toBe('met');
    expect(judge({ low: 0.05, high: 0.15 }, cpuGoal)).toBe('met');
  });

  it('says not met when the whole interval is on the other side', () => {
    expect(judge({ low: 0.8, high: 0.89 }, ratioGoal)).toBe('not met');
    expect(judge({ low: 0.16, high: 0.3 }, cpuGoal)).toBe('not met');
  });

  it('cannot tell when the interval straddles the goal', () => {
    expect(judge({ low: 0.84, high: 0.97 }, ratioGoal)).toBe('cannot tell');
    expect(judge({ low: 0.1, high: 0.2 }, cpuGoal)).toBe('cannot tell');
  });

  it('combines goals: any not met wins, then any cannot tell', () => {
    expect(judgeAll(['met', 'met'])).toBe('met');
    expect(judgeAll(['met', 'cannot tell'])).toBe('cannot tell');
    expect(judgeAll(['cannot tell', 'not met'])).toBe('not met');
  });

  it('says it in words with the interval', () => {
    const two = (value: number) => value.toFixed(2);
    expect(explain('cannot tell', { low: 0.84, high: 0.97 }, ratioGoal, two)).toBe('cannot tell on this machine: interval 0.84–0.97 straddles 0.90');
    expect(explain('met', { low: 0.91, high: 0.97 }, ratioGoal, two)).toBe('met: interval 0.91–0.97, all ≥ 0.90');
    expect(explain('not met', { low: 0.16, high: 0.3 }, cpuGoal, two)).toBe('not met: interval 0.16–0.30, all > 0.15');
    expect(sayVerdict('cannot tell')).toBe('cannot tell on this machine');
    expect(sayVerdict('met')).toBe('met');
  });
});

describe('spread', () => {
  const ms = (value: number) => `${value.toFixed(0)} ms`;

  it('gives the median, the range and the bootstrap interval of the median, and says them in words', () => {
    const rounds = [150, 120, 210, 130, 140];
    const figure = spread(rounds, ms);
    expect(figure).toMatchObject({ median: 140, min: 120, max: 210, interval: bootstrapInterval(rounds, median) });
    expect(figure.text).toBe(`median 140 ms, range 120 ms–210 ms, bootstrap 90 % interval of the median ${ms(figure.interval.low)}–${ms(figure.interval.high)}`);
  });

  it('with three runs, the interval is their range: a median of three draws falls on the lowest a quarter of the time', () => {
    expect(spread([3, 1, 2], String).interval).toEqual({ low: 1, high: 3 });
  });
});
