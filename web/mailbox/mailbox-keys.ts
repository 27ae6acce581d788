/**
 * This device's mailbox (issue 30), and what it exchanges with each contact for it, kept in IndexedDB:
 *
 * - the mailbox's address on the signal server: a random id (16 bytes) and the read secret (32 bytes)
 *   that fetches and deletes its entries; made once;
 * - its mailbox keys: ECDH P-256 key pairs made by WebCrypto, the private key non-extractable (kept as a
 *   CryptoKey: usable here, never readable, not even by this code), each with its RFC 8291 auth secret.
 *   A new one at each connection or when asked (`rotate`); contacts seal to a key until it `expires`, and
 *   its private key is kept until no entry sealed by then can still be on the server (`keyDeleteAt`), then
 *   deleted: an entry sealed to a recent key opens, and a stolen device opens nothing older;
 * - per contact, by device key (the key their channel proved, never a name): the write capability and MAC
 *   key made for them (`granted`), and what they handed this device for their own mailbox (`target`).
 *   A "Key changed" discards both (`forget`).
 *
 * Usable in a page and in the service worker (no DOM).
 */
import * as v from 'valibot';
import { DeviceKeySchema } from '../../signal/protocol/messages.js';
import { fromBase64url, toBase64url } from '../push/base64url.js';
import type { StoredMailboxContact, StoredMailboxKey, WhisperDatabase } from '../storage/database.js';
import type { MailboxFrame, MailboxTarget } from './mailbox-wire.js';
import { mailboxKeyId } from './sealed-entry.js';

const DAY_MS = 24 * 3600 * 1000;
/** How long the server keeps an entry: its default `MAILBOX_TTL_SECONDS`, which this must equal (a server set longer passes `entryTtlMs`). */
export const MAILBOX_ENTRY_TTL_MS = 7 * DAY_MS;
/** Contacts seal to a mailbox key for this long after it was made. */
export const MAILBOX_KEY_SEAL_MS = 7 * DAY_MS;
/** `current` hands out a key at most this old, so that a contact gets at least six days of sealing with it. */
export const MAILBOX_KEY_ROTATE_MS = DAY_MS;
/** Kept beyond that: a fetch that comes late, and clocks that disagree by less than this. */
export const MAILBOX_KEY_MARGIN_MS = DAY_MS;

/** The address of this device's mailbox on the signal server. */
export interface MailboxAddress {
  /** 16 random bytes, base64url. */
  mailbox: string;
  /** 32 random bytes, base64url: fetches and deletes entries. Never leaves this device but for the server, which keeps its hash. */
  readSecret: string;
}

const ADDRESS_SETTING = 'mailboxAddress';
const random = (bytes: number): string => toBase64url(crypto.getRandomValues(new Uint8Array(bytes)));

/** When a key's private half goes: the last entry sealed to it may wait on the server for the entry TTL. */
export function keyDeleteAt(key: Pick<StoredMailboxKey, 'expires'>, entryTtlMs = MAILBOX_ENTRY_TTL_MS): number {
  return key.expires + entryTtlMs + MAILBOX_KEY_MARGIN_MS;
}

/** What the server keeps of a write capability or a read secret: base64url(SHA-256(its 32 bytes)). */
export async function secretHash(secret: string): Promise<string> {
  return toBase64url(new Uint8Array(await crypto.subtle.digest('SHA-256', fromBase64url(secret))));
}

export interface MailboxKeysOptions {
  /** The clock, ms (tests move it). */
  now?: () => number;
  /** How long the server keeps entries, if it says it keeps them longer than the default. */
  entryTtlMs?: number;
}

export class MailboxKeys {
  readonly #db: WhisperDatabase;
  readonly #now: () => number;
  readonly #entryTtlMs: number;

  constructor(db: WhisperDatabase, options: MailboxKeysOptions = {}) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
    this.#entryTtlMs = options.entryTtlMs ?? MAILBOX_ENTRY_TTL_MS;
  }

  /** This device's mailbox id and read secret, made the first time (once, whichever tab or worker asks first). */
  async address(): Promise<MailboxAddress> {
    const tx = this.#db.transaction('settings', 'readwrite');
    let address = (await tx.store.get(ADDRESS_SETTING)) as MailboxAddress | undefined;
    if (!address) {
      address = { mailbox: random(16), readSecret: random(32) };
      await tx.store.put(address, ADDRESS_SETTING);
    }
    await tx.done;
    return address;
  }

  /** A new key pair, from now on the one handed out; keys past their lifetime go. */
  async rotate(): Promise<StoredMailboxKey> {
    const pair = (await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits'])) as CryptoKeyPair;
    const publicKey = toBase64url(new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey)));
    const now = this.#now();
    // Strictly after every key kept, so that the newest is never in doubt (two rotations in one millisecond).
    const createdAt = Math.max(now, ...(await this.#db.getAll('mailboxKeys')).map((kept) => kept.createdAt + 1));
    const key: StoredMailboxKey = { id: await mailboxKeyId(publicKey), privateKey: pair.privateKey, publicKey, auth: random(16), createdAt, expires: now + MAILBOX_KEY_SEAL_MS };
    await this.#db.put('mailboxKeys', key);
    await this.prune();
    return key;
  }

  /** The key to hand out now: the newest, unless it is older than `MAILBOX_KEY_ROTATE_MS` (then a new one). */
  async current(): Promise<StoredMailboxKey> {
    const newest = (await this.#db.getAll('mailboxKeys')).reduce<StoredMailboxKey | null>((a, b) => (a && a.createdAt >= b.createdAt ? a : b), null);
    return newest && this.#now() - newest.createdAt < MAILBOX_KEY_ROTATE_MS ? newest : this.rotate();
  }

  /** Every key pair still kept, for opening entries (those past their lifetime are deleted first). */
  async keys(): Promise<StoredMailboxKey[]> {
    await this.prune();
    return this.#db.getAll('mailboxKeys');
  }

  /** Deletes the key pairs past their lifetime; how many. */
  async prune(): Promise<number> {
    const tx = this.#db.transaction('mailboxKeys', 'readwrite');
    const now = this.#now();
    let deleted = 0;
    for (const key of await tx.store.getAll()) {
      if (now < keyDeleteAt(key, this.#entryTtlMs)) continue;
      await tx.store.delete(key.id);
      deleted++;
    }
    await tx.done;
    return deleted;
  }

  /** The write capability and MAC key made for `device` alone (made the first time it is asked). */
  async grantFor(device: string): Promise<NonNullable<StoredMailboxContact['granted']>> {
    v.parse(DeviceKeySchema, device);
    const tx = this.#db.transaction('mailboxContacts', 'readwrite');
    const record = (await tx.store.get(device)) ?? { device };
    if (!record.granted) {
      record.granted = { capability: random(32), macKey: random(32) };
      await tx.store.put(record);
    }
    await tx.done;
    return record.granted;
  }

  /** What to hand `device` in a `mailbox` frame now: this mailbox, the current key, and their own capability and MAC key. */
  async targetFor(device: string): Promise<MailboxTarget> {
    const [address, key, grant] = await Promise.all([this.address(), this.current(), this.grantFor(device)]);
    return { mailbox: address.mailbox, key: key.publicKey, auth: key.auth, expires: key.expires, ...grant };
  }

  /**
   * Keeps what `device` handed over in a `mailbox` frame (parsed by `parseMailboxFrame`), or forgets it when
   * the frame withdraws it. Call only for a frame from a channel whose DTLS-proved key is `device`.
   */
  async received(device: string, frame: MailboxFrame): Promise<void> {
    v.parse(DeviceKeySchema, device);
    const tx = this.#db.transaction('mailboxContacts', 'readwrite');
    const record = (await tx.store.get(device)) ?? { device };
    if (frame.mailbox === null) delete record.target;
    else record.target = { mailbox: frame.mailbox, key: frame.key, auth: frame.auth, expires: frame.expires, capability: frame.capability, macKey: frame.macKey, at: this.#now() };
    await tx.store.put(record);
    await tx.done;
  }

  /** Where to leave entries for `device`: what they handed over, while its key may be sealed to; null otherwise. */
  async targetOf(device: string): Promise<MailboxTarget | null> {
    const target = (await this.#db.get('mailboxContacts', device))?.target;
    if (!target || this.#now() >= target.expires) return null;
    const { at: _at, ...rest } = target;
    return rest;
  }

  /** The MAC key this device gave `device`: entries that name them as their writer must carry it. */
  async macKeyOf(device: string): Promise<string | null> {
    return (await this.#db.get('mailboxContacts', device))?.granted?.macKey ?? null;
  }

  /** The hashes of every write capability granted: who may deposit, as the server is to be told. */
  async writers(): Promise<string[]> {
    const records = await this.#db.getAll('mailboxContacts');
    return Promise.all(records.flatMap((record) => (record.granted ? [secretHash(record.granted.capability)] : [])));
  }

  /**
   * "Key changed": discards everything exchanged with `device`, both ways. Their capability then leaves
   * `writers()` (tell the server), entries naming them no longer verify, and nothing is sealed to them.
   */
  async forget(device: string): Promise<void> {
    await this.#db.delete('mailboxContacts', device);
  }
}
