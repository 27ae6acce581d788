import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { entriesBody } from './entries-body.js';
import type { StoredEntry } from './mailbox-store.js';

/** What the route answered before entriesBody: JSON.stringify of the answer, base64url data. */
function stringified(entries: readonly StoredEntry[]): string {
  return JSON.stringify({ entries: entries.map(({ entry, at, expires, data }) => ({ entry, at, expires, data: Buffer.from(data).toString('base64url') })) });
}

const entry = (overrides: Partial<StoredEntry> = {}): StoredEntry => ({
  entry: randomBytes(16).toString('base64url'),
  at: 1_765_000_000_000,
  expires: 1_766_209_600_000,
  data: Uint8Array.from(randomBytes(1024)),
  ...overrides,
});

describe('entriesBody', () => {
  it('gives the bytes JSON.stringify gives, for no entry, one, and twenty of 16 KiB', () => {
    for (const entries of [[], [entry()], Array.from({ length: 20 }, () => entry({ data: Uint8Array.from(randomBytes(16 * 1024)) }))]) {
      expect(entriesBody(entries).toString()).toBe(stringified(entries));
    }
  });

  it('gives the bytes JSON.stringify gives for edge values: empty data, every base64url character, odd numbers, an id that needs escaping', () => {
    const every = Uint8Array.from({ length: 3 * 256 }, (_, i) => i % 256);
    const entries = [
      entry({ data: new Uint8Array(0) }),
      entry({ data: every }),
      entry({ data: Uint8Array.of(0xfb, 0xff) }),
      entry({ at: 0, expires: -0 }),
      entry({ at: 1e21, expires: Number.MAX_SAFE_INTEGER }),
      entry({ at: 0.5, expires: 2 ** 53 + 2 }),
      entry({ at: Number.NaN, expires: Number.POSITIVE_INFINITY }),
      entry({ entry: 'a"b\\c\u0000\u2028é😀' }),
    ];
    const body = entriesBody(entries);
    expect(body.toString()).toBe(stringified(entries));
    // And it reads back as the entries, the data as base64url.
    const parsed = JSON.parse(body.toString()) as { entries: Array<{ entry: string; data: string }> };
    expect(parsed.entries.map((e) => e.entry)).toEqual(entries.map((e) => e.entry));
    expect(Buffer.from(parsed.entries[1]!.data, 'base64url')).toEqual(Buffer.from(every));
  });

  it('reads only the bytes of the entry, not the rest of a buffer it is a view of', () => {
    const shared = Uint8Array.from(randomBytes(4096));
    const view = entry({ data: shared.subarray(1000, 2024) });
    expect(entriesBody([view]).toString()).toBe(stringified([view]));
    const [sent] = (JSON.parse(entriesBody([view]).toString()) as { entries: Array<{ data: string }> }).entries;
    expect(Buffer.from(sent!.data, 'base64url')).toEqual(Buffer.from(shared.slice(1000, 2024)));
  });
});
