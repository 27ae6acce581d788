import { describe, expect, it } from 'vitest';
import { callText } from './call-service.js';

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
