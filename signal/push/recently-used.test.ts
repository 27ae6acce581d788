import { describe, expect, it } from 'vitest';
import { RecentlyUsed } from './recently-used.js';

describe('RecentlyUsed', () => {
  it('holds at most its capacity, forgetting the entry used longest ago', () => {
    const table = new RecentlyUsed<string, number>(3);
    for (const key of ['a', 'b', 'c']) table.set(key, key.charCodeAt(0));
    expect(table.get('a')).toBe(97);
    table.set('d', 100);
    expect(table.size).toBe(3);
    expect(table.get('b')).toBeUndefined();
    expect(table.use('a', () => 0)).toBe(97);
    for (let i = 0; i < 10_000; i++) table.use(`k${i}`, () => i);
    expect(table.size).toBe(3);
    expect(table.get('k9999')).toBe(9999);
    expect(table.get('a')).toBeUndefined();
  });
});
