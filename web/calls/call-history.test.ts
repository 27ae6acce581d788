import { describe, expect, it } from 'vitest';
import { callEntry, callText } from './call-history.js';

describe('call history words', () => {
  it('says how each call went, from each side', () => {
    expect(callText('answered', true, true)).toBe('Video call');
    expect(callText('answered', false, false)).toBe('Audio call');
    expect(callText('missed', true, false)).toBe('Missed call');
    expect(callText('missed', false, true)).toBe('Missed call');
    expect(callText('declined', true, false)).toBe('Declined call');
    expect(callText('declined', false, false)).toBe('Call declined');
  });
});

describe('call history entries', () => {
  it('is news to the one a call rang for and missed, and read everywhere else', () => {
    expect(callEntry('c', 'in', 'Missed call', { video: false, outcome: 'missed' }, null).status).toBe('delivered');
    expect(callEntry('c', 'out', 'Missed call', { video: false, outcome: 'missed' }, null).status).toBe('read');
    expect(callEntry('c', 'in', 'Video call', { video: true, outcome: 'answered' }, Date.now()).status).toBe('read');
  });

  it('keeps how long an answered call lasted, and no length for one never answered', () => {
    expect(callEntry('c', 'out', 'Video call', { video: true, outcome: 'answered' }, Date.now() - 60_000).call?.duration).toBeGreaterThanOrEqual(60_000);
    expect(callEntry('c', 'out', 'Call failed', { video: true, outcome: 'failed' }, null).call).toEqual({ video: true, outcome: 'failed' });
  });
});
