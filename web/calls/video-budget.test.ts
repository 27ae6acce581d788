import { describe, expect, it } from 'vitest';
import { videoBudget } from './video-budget.js';

describe('videoBudget', () => {
  it('shrinks each copy as the peers it goes to grow, keeping the uplink under 2 Mbit/s', () => {
    expect(videoBudget(1, false)).toEqual({ maxBitrate: 1_500_000, scaleResolutionDownBy: 1 });
    expect(videoBudget(2, false)).toEqual({ maxBitrate: 900_000, scaleResolutionDownBy: 1.5 });
    expect(videoBudget(3, false)).toEqual({ maxBitrate: 600_000, scaleResolutionDownBy: 2 });
    for (const peers of [1, 2, 3]) expect(videoBudget(peers, false).maxBitrate * peers).toBeLessThan(2_000_000);
  });

  it('keeps a shared screen at its full resolution, within the same bitrate', () => {
    expect(videoBudget(3, true)).toEqual({ maxBitrate: 600_000, scaleResolutionDownBy: 1 });
  });
});
