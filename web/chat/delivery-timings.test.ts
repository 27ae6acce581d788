import { afterEach, describe, expect, it } from 'vitest';
import { timeAcked, timeDelivered, timeSent, timeStored, timings, type ReceivedTiming, type SentTiming } from './delivery-timings.js';

const page = globalThis as { whTimings?: { sent: SentTiming[]; received: ReceivedTiming[] } };

describe('delivery timings (benchmarks only)', () => {
  afterEach(() => {
    delete page.whTimings;
  });

  it('records nothing when the page asked for no timings', () => {
    timeSent('m1');
    timeStored('m1');
    timeAcked(['m1']);
    page.whTimings = { sent: [], received: [] };
    timeDelivered(['m1']);
    expect(page.whTimings.sent).toEqual([]);
  });

  it('records an own message once it is delivered, with when it was sent, stored, acknowledged and delivered, in order', () => {
    page.whTimings = { sent: [], received: [] };
    expect(timings()).toBe(page.whTimings);
    timeSent('m2');
    timeStored('m2');
    timeAcked(['m2', 'theirs']);
    timeAcked(['m2']);
    expect(page.whTimings.sent).toEqual([]);
    timeDelivered(['m2']);
    timeDelivered(['m2']);
    expect(page.whTimings.sent).toHaveLength(1);
    const [timing] = page.whTimings.sent;
    expect(timing!.id).toBe('m2');
    expect(timing!.sent).toBeLessThanOrEqual(timing!.stored);
    expect(timing!.stored).toBeLessThanOrEqual(timing!.acked);
    expect(timing!.acked).toBeLessThanOrEqual(timing!.delivered);
  });
});
