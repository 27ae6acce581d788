import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatTimeLeft, listOf, peopleCount, sharedText } from './amounts.js';

describe('amounts as people read them', () => {
  it('writes call durations as m:ss, and h:mm:ss past an hour', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(65_400)).toBe('1:05');
    expect(formatDuration(3_725_000)).toBe('1:02:05');
    expect(formatDuration(-5_000)).toBe('0:00');
  });

  it('says the time a transfer has left in seconds, minutes or hours, and … while unknown', () => {
    expect(formatTimeLeft(null)).toBe('…');
    expect(formatTimeLeft(Infinity)).toBe('…');
    expect(formatTimeLeft(4.2)).toBe('5 s');
    expect(formatTimeLeft(200)).toBe('3 min 20 s');
    expect(formatTimeLeft(3_900)).toBe('1 h 5 min');
  });

  it('writes sizes in the largest binary unit that is at least one', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(50 * 1024 ** 2)).toBe('50.0 MiB');
    expect(formatBytes(3 * 1024 ** 3)).toBe('3.0 GiB');
  });

  it('counts shared files in the singular and the plural', () => {
    expect(sharedText(1)).toBe('1 shared file');
    expect(sharedText(3)).toBe('3 shared files');
  });

  it('counts people and lists names as a sentence would', () => {
    expect(peopleCount(1)).toBe('1 person');
    expect(peopleCount(4)).toBe('4 people');
    expect(listOf([])).toBe('');
    expect(listOf(['Bob'])).toBe('Bob');
    expect(listOf(['Bob', 'Carol'])).toBe('Bob and Carol');
    expect(listOf(['Bob', 'Carol', 'Dave'])).toBe('Bob, Carol and Dave');
  });
});
