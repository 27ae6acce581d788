/**
 * Where mailboxes are kept: on disk, for a process that runs alone (level-mailbox-store.ts), in Redis shared
 * by every process of a scaled service (redis-mailbox-store.ts), or in memory for unit tests
 * (memory-mailbox-store.ts). Each store checks credentials, quotas and expiry itself,
 * in one atomic step, so that two requests at once cannot both pass a check that only one of them may.
 *
 * A store holds, per mailbox: the SHA-256 of its read secret, the SHA-256 of each writer's capability,
 * when its owner last set it up, and its entries `(entry id, at, expires, ciphertext)`. Nothing says who
 * deposited an entry.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** base64url(SHA-256(the secret's bytes)): what a store keeps of a read secret or a write capability. */
export type SecretHash = string;

export interface StoredEntry {
  entry: string;
  /** When it was deposited and when it goes, in ms since the epoch (the store's clock). */
  at: number;
  expires: number;
  data: Uint8Array;
}

export interface MailboxQuotas {
  ttlMs: number;
  entriesPerMailbox: number;
  bytesPerMailbox: number;
  /** Everything stored: entries, and each mailbox's own record (mailboxRecordBytes). */
  maxBytes: number;
  /** A mailbox with no entry and no PUT for this long goes. */
  idleMs: number;
}

export type PutOutcome = 'created' | 'updated' | 'forbidden' | 'server-full';
export type DepositOutcome = { ok: true; entry: string; at: number; expires: number } | { ok: false; reason: 'unknown-mailbox' | 'forbidden' | 'mailbox-full' | 'server-full' };
/** Whether a write capability's hash is one of a mailbox's writers now, or why not. */
export type WriterCheck = 'ok' | 'unknown-mailbox' | 'forbidden';
/** With the read secret: the answer, or why not. */
export type OwnerOutcome<T> = { ok: true; value: T } | { ok: false; reason: 'unknown-mailbox' | 'forbidden' };

export interface MailboxTotals {
  mailboxes: number;
  entries: number;
  /** Bytes of entries and of the mailboxes' records, as counted against `maxBytes`. */
  bytes: number;
}

export interface MailboxStore {
  /** Creates the mailbox (its read hash fixed from then on) or replaces its writers; counts as its owner's activity. */
  put(id: string, read: SecretHash, writers: readonly SecretHash[]): Promise<PutOutcome>;
  deposit(id: string, writer: SecretHash, data: Uint8Array): Promise<DepositOutcome>;
  /** Checks a writer as a deposit does, and changes nothing (a push to the owner stores no entry). */
  isWriter(id: string, writer: SecretHash): Promise<WriterCheck>;
  /** The entries not expired, oldest first. */
  entries(id: string, read: SecretHash): Promise<OwnerOutcome<StoredEntry[]>>;
  /** Removes one entry; an entry already gone is no error (a retried delete). */
  deleteEntry(id: string, read: SecretHash, entry: string): Promise<OwnerOutcome<void>>;
  deleteMailbox(id: string, read: SecretHash): Promise<OwnerOutcome<void>>;
  /** Removes expired entries and idle empty mailboxes; what it removed. */
  sweep(): Promise<{ entries: number; mailboxes: number }>;
  totals(): Promise<MailboxTotals>;
  close(): Promise<void>;
}

/** Hashes a secret as sent (canonical base64url of 32 bytes: the route has validated it). */
export function hashSecret(secret: string): SecretHash {
  return createHash('sha256').update(Buffer.from(secret, 'base64url')).digest('base64url');
}

/**
 * What a store looks a writer up by: the first 16 characters (96 bits) of its hash. The lookup may take
 * a time that depends on the key; the whole hash is then compared in constant time (the "selector and
 * verifier" split), so no timing tells anyone how much of a stored hash they matched.
 */
export function writerSelector(hash: SecretHash): string {
  return hash.slice(0, 16);
}

/** Compares two hashes in constant time. */
export function sameHash(a: SecretHash | undefined, b: SecretHash): boolean {
  if (a === undefined || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** What a mailbox's own record counts against `maxBytes`: a flood of empty mailboxes is bounded too. */
export function mailboxRecordBytes(writers: number): number {
  return 128 + 64 * writers;
}

export function newEntryId(): string {
  return randomBytes(16).toString('base64url');
}
