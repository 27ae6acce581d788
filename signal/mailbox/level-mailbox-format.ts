/**
 * How level-mailbox-store.ts lays mailboxes out in LevelDB: the keys and what their values hold.
 *
 * Keys (UTF-8; ids and entry ids are base64url, so `!` only ever separates; times and sequence numbers are
 * zero-padded to 16 digits, so that they sort as numbers):
 *   m!<id>                        the mailbox: read hash, writers' hashes, when it may go if empty (idleAt)
 *                                 (JSON); written by its owner's PUT and by the sweep, never by a deposit
 *   c!<id>                        its counters (Counters, JSON): written with every entry that comes or goes,
 *                                 in the same batch, and small, so that a deposit does not rewrite the writers
 *   e!<id>!<expires>!<seq>        an entry: when it came (float64), its entry id, then the ciphertext as sent;
 *                                 by expiry within the mailbox, so the live ones are one range from now on
 *   n!<id>!<entry>                "<expires>!<seq>!<bytes>": where an entry id's entry is, and its size, for a delete
 *   x!<expires>!<id>!<seq>        empty: every entry by expiry, for the sweep
 *   i!<idleAt>!<id>               empty: every mailbox by when it may go if empty, for the sweep
 *
 * Before issue 30 the counters were in m! (rewritten, with every writer, by each deposit) and n! had no
 * size. A store opened on such a directory moves each mailbox's counters to c!, one mailbox per batch
 * (legacyCounters); an n! without a size is still read, the size then taken from the entry.
 */
import { writerSelector, type SecretHash, type StoredEntry } from './mailbox-store.js';

/** Sorts after every character of a base64url id and of a padded number. */
export const END = '~';
export const NOTHING = new Uint8Array(0);

export const stamp = (n: number) => String(n).padStart(16, '0');
export const mailboxKey = (id: string) => `m!${id}`;
export const countersKey = (id: string) => `c!${id}`;
export const entryKey = (id: string, expires: number, seq: number) => `e!${id}!${stamp(expires)}!${stamp(seq)}`;
export const entryIdKey = (id: string, entry: string) => `n!${id}!${entry}`;
export const dueKey = (id: string, expires: number, seq: number) => `x!${stamp(expires)}!${id}!${stamp(seq)}`;
export const idleKey = (id: string, idleAt: number) => `i!${stamp(idleAt)}!${id}`;
/** The mailbox's entries, from the first to expire: a range with `lt: entriesEnd(id)`. */
export const entriesFrom = (id: string, expires = 0) => `e!${id}!${stamp(expires)}`;
export const entriesEnd = (id: string) => `e!${id}!${END}`;

/** An entry key's expiry and sequence number. */
export function entryPlace(key: string): { expires: number; seq: number } {
  const [, , expires, seq] = key.split('!');
  return { expires: Number(expires), seq: Number(seq) };
}

export interface MailboxRecord {
  read: SecretHash;
  /** Selector -> the writer's whole hash. */
  writers: Map<string, SecretHash>;
  idleAt: number;
}

export interface Counters {
  /** Entries deposited so far: orders them. */
  seq: number;
  entries: number;
  /** Bytes of its entries. */
  bytes: number;
  /**
   * No entry of the mailbox expires before this (ms since the epoch; 0: not known): until then a deposit
   * need not look for expired entries. A deposit lowers it, a delete leaves it (it stays a lower bound),
   * and a look for expired entries sets it to the first left.
   */
  soonest: number;
}

export const NO_COUNTERS: Counters = { seq: 0, entries: 0, bytes: 0, soonest: 0 };

interface StoredRecord {
  read: SecretHash;
  writers: SecretHash[];
  idleAt: number;
}

const text = (value: Uint8Array) => Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString();

export function encodeRecord(record: MailboxRecord): Uint8Array {
  const stored: StoredRecord = { read: record.read, writers: [...record.writers.values()], idleAt: record.idleAt };
  return Buffer.from(JSON.stringify(stored));
}

export function decodeRecord(value: Uint8Array): MailboxRecord {
  const stored = JSON.parse(text(value)) as StoredRecord;
  return { read: stored.read, writers: new Map(stored.writers.map((hash) => [writerSelector(hash), hash])), idleAt: stored.idleAt };
}

/** The counters an m! record written before issue 30 holds, or null for a record of today's. */
export function legacyCounters(value: Uint8Array): Counters | null {
  const stored = JSON.parse(text(value)) as Partial<Counters>;
  if (stored.entries === undefined) return null;
  // Not known then: the first deposit looks for expired entries, and so learns it.
  return { seq: stored.seq ?? 0, entries: stored.entries, bytes: stored.bytes ?? 0, soonest: 0 };
}

export function encodeCounters(counters: Counters): Uint8Array {
  return Buffer.from(JSON.stringify(counters));
}

export function decodeCounters(value: Uint8Array | undefined): Counters {
  return value === undefined ? NO_COUNTERS : (JSON.parse(text(value)) as Counters);
}

export function encodeEntryPlace(expires: number, seq: number, bytes: number): Uint8Array {
  return Buffer.from(`${stamp(expires)}!${stamp(seq)}!${bytes}`);
}

/** An n! value: where the entry is, and its size (undefined in an n! written before issue 30). */
export function decodeEntryPlace(value: Uint8Array): { expires: number; seq: number; bytes: number | undefined } {
  const [expires, seq, bytes] = text(value).split('!');
  return { expires: Number(expires), seq: Number(seq), bytes: bytes === undefined ? undefined : Number(bytes) };
}

/** An entry's value: when it came (float64, big-endian), its entry id's length and the id, then the ciphertext. */
export function encodeEntry(at: number, entry: string, data: Uint8Array): Uint8Array {
  const id = Buffer.from(entry);
  const value = Buffer.alloc(9 + id.length + data.length);
  value.writeDoubleBE(at, 0);
  value[8] = id.length;
  id.copy(value, 9);
  value.set(data, 9 + id.length);
  return value;
}

export function entryDataLength(value: Uint8Array): number {
  return value.length - 9 - value[8]!;
}

/**
 * The entry under `key` (e!<id>!<expires>!<seq>). Its data is a view of `value`, not a copy: classic-level
 * gives each value read memory of its own.
 */
export function decodeEntry(key: string, value: Uint8Array): StoredEntry {
  const view = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  const start = 9 + view[8]!;
  return {
    entry: view.subarray(9, start).toString(),
    at: view.readDoubleBE(0),
    expires: entryPlace(key).expires,
    data: new Uint8Array(value.buffer, value.byteOffset + start, value.byteLength - start),
  };
}
