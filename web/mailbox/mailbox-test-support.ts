/**
 * Tests only: devices that write to each other's mailboxes, each with its own IndexedDB and mailbox keys (real,
 * in the browser), all on one server stand-in (mailbox-server-test-support.ts); what a mailbox holds, opened with
 * its owner's keys; and a push subscription whose pushes the test decrypts as the owner's browser would.
 */
import { randomId } from '../identity/random-id.js';
import { toBase64url } from '../push/base64url.js';
import { decryptAes128gcm } from '../push/push-crypto.js';
import { newPushSecret, type PushPayload, type PushTarget } from '../push/push-wire.js';
import { openDatabase, type WhisperDatabase } from '../storage/database.js';
import { MailboxClient } from './mailbox-client.js';
import { MailboxKeys } from './mailbox-keys.js';
import type { OutboxContext } from './mailbox-outbox.js';
import { MailboxServerStandIn } from './mailbox-server-test-support.js';
import { mailboxFrame } from './mailbox-wire.js';
import { open, type MailboxMessage } from './sealed-entry.js';

export const ALICE = 'A1'.repeat(32);
export const BOB = 'B0'.repeat(32);
export const CAROL = 'C3'.repeat(32);
export const ROOM = 'Zm9vYmFyYmF6cXV4MTIzNA';
export const ORIGIN = 'https://whisper.test';

export interface Device {
  device: string;
  name: string;
  db: WhisperDatabase;
  keys: MailboxKeys;
  client: MailboxClient;
  /** This device's mailbox id on the server. */
  mailbox: string;
  /** What `depositFor` needs to write from this device. */
  outbox: OutboxContext;
}

export async function device(server: MailboxServerStandIn, key: string, name: string): Promise<Device> {
  const db = await openDatabase(`mailbox-test-${name}-${randomId(8)}`);
  const keys = new MailboxKeys(db);
  const client = new MailboxClient(ORIGIN, server.fetch);
  const { mailbox } = await keys.address();
  return { device: key, name, db, keys, client, mailbox, outbox: { db, device: key, client, origin: ORIGIN, name } };
}

/** `owner` hands `writer` its mailbox (as its `mailbox` frame over their proven channel does) and tells the server who writes. */
export async function handOver(owner: Device, writer: Device): Promise<void> {
  await writer.keys.received(owner.device, mailboxFrame(await owner.keys.targetFor(writer.device)));
  const answer = await owner.client.putWriters(await owner.keys.address(), await owner.keys.writers());
  if (!answer.ok) throw new Error(answer.message);
}

/** `other` as a contact of `of`: met in `rooms`, with a push subscription when given. */
export async function meet(of: Device, other: Device, rooms: string[], push?: PushTarget): Promise<void> {
  await of.db.put('contacts', { device: other.device, name: other.name, rooms, lastSeen: Date.now(), ...(push ? { push } : {}) });
}

/** What `owner`'s mailbox on `server` holds, each entry opened with the owner's keys (throws on one that does not open). */
export async function mailboxOf(server: MailboxServerStandIn, owner: Device): Promise<Array<{ sender: string; message: MailboxMessage }>> {
  const keys = await owner.keys.keys();
  const opened = [];
  for (const entry of server.entries(owner.mailbox)) {
    const result = await open(entry, { device: owner.device, keys }, (sender) => owner.keys.macKeyOf(sender));
    if (!result.ok) throw new Error(`an entry in ${owner.name}’s mailbox does not open: ${result.reason}`);
    opened.push({ sender: result.sender, message: result.message });
  }
  return opened;
}

/** A push subscription of a device's browser: what its contacts keep of it, and the pushes sent to it, decrypted. */
export async function pushSubscription(): Promise<{ target: PushTarget; read(ciphertext: Uint8Array): Promise<PushPayload> }> {
  const pair = (await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits'])) as CryptoKeyPair;
  const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  const authSecret = crypto.getRandomValues(new Uint8Array(16));
  return {
    target: { endpoint: `https://push.example/${randomId(16)}`, p256dh: toBase64url(publicKey), auth: toBase64url(authSecret), key: newPushSecret() },
    async read(ciphertext) {
      const plain = await decryptAes128gcm(ciphertext, { privateKey: pair.privateKey, publicKey, authSecret });
      if (!plain.ok) throw new Error(`the push does not decrypt: ${plain.reason}`);
      return JSON.parse(new TextDecoder().decode(plain.data)) as PushPayload;
    },
  };
}

export { until } from '../test-support/until.test-support.js';
