/**
 * Sealed mailbox entries (issue 30): what a writer leaves in a contact's mailbox on the signal server, which
 * only the contact's device can open, and which it can tell came from the writer.
 *
 * - Sealed with the RFC 8291 box of web/push/push-crypto.ts (an ephemeral-static ECDH P-256, HKDF-SHA-256,
 *   AES-128-GCM) to the recipient's current mailbox key: the server, which holds the entry, reads nothing.
 * - Authenticated with HMAC-SHA-256 under the key the recipient gave this writer alone, over the version,
 *   both devices, the time, the id and the content: a contact cannot pass for another, nor move an entry
 *   written for someone else into this mailbox. The MAC sits inside the box, over the plaintext: the writer
 *   is named only there (the server is never told who wrote), so the recipient finds the MAC key once it
 *   has opened the box, and AES-GCM already makes the box itself tamper-evident.
 * - Padded to the smallest of four sizes, so that its length tells a size class only.
 *
 * Layout: docs/protocol.md, "Mailbox entries". Usable in a page and in the service worker (no DOM).
 */
import * as v from 'valibot';
import { DEVICE_KEY_PATTERN } from '../../signal/protocol/limits.js';
import { RoomIdSchema } from '../../signal/protocol/messages.js';
import { MessageId, MessageText, ReceiptIds } from '../chat/chat-wire.js';
import { roomConversation } from '../chat/room-wire.js';
import { fromBase64url, toBase64url } from '../push/base64url.js';
import { AES128GCM_HEADER_BYTES, decryptAes128gcm, encryptAes128gcm, type Aes128gcmOptions } from '../push/push-crypto.js';
import { TransferFrameSchema } from '../transfer/transfer-wire.js';
import { MAILBOX_ENTRY_BUCKETS, MAILBOX_ENTRY_MAX_BYTES } from '../../signal/protocol/limits.js';

/** The sizes an entry may have, smallest first: the server refuses any other (signal/protocol/limits.ts). */
export { MAILBOX_ENTRY_BUCKETS, MAILBOX_ENTRY_MAX_BYTES } from '../../signal/protocol/limits.js';

export const ENTRY_VERSION = 1;
/** An entry names the mailbox key it was sealed to by the first 8 bytes of the key's SHA-256. */
const KEY_ID_BYTES = 8;
/** Version, key id, then the aes128gcm header. */
const OUTER_BYTES = 1 + KEY_ID_BYTES + AES128GCM_HEADER_BYTES;
const GCM_TAG_BYTES = 16;
const DEVICE_BYTES = 32;
/** Inside the box: version, sender, recipient, sentAt (uint64), the id's length; then the id and the content. */
const FIXED_FIELD_BYTES = 1 + DEVICE_BYTES + DEVICE_BYTES + 8 + 1;
const MAC_BYTES = 32;
const encoder = new TextEncoder();
const MAC_LABEL = encoder.encode('whisper-mailbox-entry-1\0');

// The offer's own field schemas, so that a file offered through the mailbox obeys the same bounds.
const offer = TransferFrameSchema.options[0].entries;
const common = { id: MessageId, sentAt: v.pipe(v.number(), v.safeInteger(), v.minValue(0)) };

/**
 * What an entry carries. Who wrote it is the entry's authenticated sender, never a field; the conversation
 * follows from it (`conversationOf`): one-to-one with the sender, or the room named.
 */
export const MailboxMessageSchema = v.variant('kind', [
  /** A one-to-one chat message: the same id as over the data channel, so that a second copy is not stored twice. */
  v.object({ kind: v.literal('message'), ...common, text: MessageText }),
  v.object({ kind: v.literal('room-message'), ...common, room: RoomIdSchema, text: MessageText }),
  /** These messages (the recipient's own, to the sender, or to `room`) are stored on, or were read on, the sender's device. */
  v.object({ kind: v.literal('receipt'), ...common, status: v.picklist(['delivered', 'read']), ids: ReceiptIds, room: v.optional(RoomIdSchema) }),
  /** "Alice wants to send you photo.jpg (3.1 MB)": the bytes still go device to device once both are online. */
  v.object({ kind: v.literal('file-offer'), ...common, transfer: offer.id, name: offer.name, size: offer.size, type: offer.type, room: offer.room }),
]);
export type MailboxMessage = v.InferOutput<typeof MailboxMessageSchema>;

/** The conversation an opened message belongs in on the recipient's device (the keys of the message store). */
export function conversationOf(sender: string, message: MailboxMessage): string {
  return 'room' in message && message.room !== undefined ? roomConversation(message.room) : sender;
}

/** The mailbox key an entry is sealed to: as the recipient handed it over (`MailboxTarget`'s `key` and `auth`). */
export interface SealTo {
  /** P-256 public key, raw (65 bytes), base64url. */
  key: string;
  /** Its RFC 8291 auth secret (16 bytes), base64url. */
  auth: string;
}

/** Who writes to whom, and the key the recipient gave the writer to authenticate its entries with. */
export interface EntryAuthentication {
  /** 32 bytes, base64url. */
  macKey: string;
  /** The writer's device key (64 hex digits). */
  sender: string;
  /** The recipient's device key. */
  recipient: string;
}

/** One of the recipient's own mailbox key pairs, as `open` needs it. */
export interface MailboxKeyPair {
  /** `mailboxKeyId(publicKey)`. */
  id: string;
  /** ECDH P-256 for `deriveBits`, non-extractable. */
  privateKey: CryptoKey;
  /** base64url, raw. */
  publicKey: string;
  /** base64url, 16 bytes. */
  auth: string;
}

export type SealResult = { ok: true; entry: Uint8Array } | { ok: false; reason: 'invalid-message' | 'too-large' };

export type OpenFailure =
  /** Not one of the bucket sizes (cut short, or padded otherwise). */
  | 'bad-size'
  | 'unsupported-version'
  /** Sealed to no key this device still has: never its own, or one past its lifetime. */
  | 'unknown-key'
  /** Not an aes128gcm record with a P-256 key, or fields inside that do not parse. */
  | 'malformed'
  /** AES-GCM's tag does not hold: changed bytes. */
  | 'undecryptable'
  /** The record's padding has no last-record delimiter. */
  | 'bad-padding'
  /** Written for another device. */
  | 'wrong-recipient'
  /** Names a writer this device gave no MAC key to (or discarded it: a key changed). */
  | 'unknown-sender'
  /** The MAC does not hold under the named writer's key: forged, or changed by someone who could seal to this device. */
  | 'bad-mac'
  /** Authentic, but its content is not a message this version understands. */
  | 'invalid-message'
  /** Something else failed (looking up the writer's key): nothing was read. */
  | 'failed';

export type OpenResult = { ok: true; sender: string; conversation: string; message: MailboxMessage } | { ok: false; reason: OpenFailure };

/** The key id an entry names its mailbox key by: the first 8 bytes of SHA-256 of the raw public key, base64url. */
export async function mailboxKeyId(publicKey: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', fromBase64url(publicKey)));
  return toBase64url(digest.subarray(0, KEY_ID_BYTES));
}

/** An entry's length for `fieldBytes` of authenticated fields: the smallest bucket that holds them, or null when none does. */
export function entryLength(fieldBytes: number): number | null {
  const needed = OUTER_BYTES + fieldBytes + MAC_BYTES + 1 + GCM_TAG_BYTES;
  return MAILBOX_ENTRY_BUCKETS.find((size) => size >= needed) ?? null;
}

function deviceBytes(device: string): Uint8Array {
  if (!DEVICE_KEY_PATTERN.test(device)) throw new TypeError('not a device key');
  return Uint8Array.from(device.match(/../g)!, (pair) => parseInt(pair, 16));
}

const deviceKey = (bytes: Uint8Array): string => Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('').toUpperCase();

/** The authenticated fields of `message` from `sender` to `recipient`: everything inside the box but the MAC. */
function entryFields(message: MailboxMessage, sender: string, recipient: string): Uint8Array<ArrayBuffer> {
  const { id, sentAt, ...content } = message;
  const idBytes = encoder.encode(id);
  const body = encoder.encode(JSON.stringify(content));
  const fields = new Uint8Array(FIXED_FIELD_BYTES + idBytes.length + body.length);
  const view = new DataView(fields.buffer);
  fields[0] = ENTRY_VERSION;
  fields.set(deviceBytes(sender), 1);
  fields.set(deviceBytes(recipient), 1 + DEVICE_BYTES);
  view.setUint32(65, Math.floor(sentAt / 2 ** 32));
  view.setUint32(69, sentAt >>> 0);
  fields[73] = idBytes.length;
  fields.set(idBytes, FIXED_FIELD_BYTES);
  fields.set(body, FIXED_FIELD_BYTES + idBytes.length);
  return fields;
}

async function macKey(key: string): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', fromBase64url(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
}

const macInput = (fields: Uint8Array): Uint8Array<ArrayBuffer> => {
  const input = new Uint8Array(MAC_LABEL.length + fields.length);
  input.set(MAC_LABEL);
  input.set(fields, MAC_LABEL.length);
  return input;
};

/** The size `seal` would give `message`, or null when it does not fit the largest bucket: check before offering the mailbox. */
export function sealedLength(message: MailboxMessage): number | null {
  const valid = v.safeParse(MailboxMessageSchema, message);
  // The devices' keys have a fixed length: any will do for measuring.
  return valid.success ? entryLength(entryFields(valid.output, '0'.repeat(64), '0'.repeat(64)).length) : null;
}

/**
 * Seals `message` from `mac.sender` to `mac.recipient`'s mailbox key `to`. Refuses a message the recipient
 * would refuse, and one larger than the largest bucket. `fixed` is for test vectors only.
 */
export async function seal(message: MailboxMessage, to: SealTo, mac: EntryAuthentication, fixed?: Aes128gcmOptions['fixed']): Promise<SealResult> {
  const valid = v.safeParse(MailboxMessageSchema, message);
  if (!valid.success) return { ok: false, reason: 'invalid-message' };
  const fields = entryFields(valid.output, mac.sender, mac.recipient);
  const size = entryLength(fields.length);
  if (size === null) return { ok: false, reason: 'too-large' };
  const tag = new Uint8Array(await crypto.subtle.sign('HMAC', await macKey(mac.macKey), macInput(fields)));
  const data = new Uint8Array(fields.length + MAC_BYTES);
  data.set(fields);
  data.set(tag, fields.length);
  const recordSize = size - OUTER_BYTES;
  const box = await encryptAes128gcm(fromBase64url(to.key), fromBase64url(to.auth), data, {
    paddedLength: recordSize - GCM_TAG_BYTES,
    recordSize,
    ...(fixed ? { fixed } : {}),
  });
  const entry = new Uint8Array(size);
  entry[0] = ENTRY_VERSION;
  entry.set(fromBase64url(await mailboxKeyId(to.key)), 1);
  entry.set(box, 1 + KEY_ID_BYTES);
  return { ok: true, entry };
}

/** The recipient's side: its device key, and every mailbox key pair it still keeps. */
export interface EntryRecipient {
  device: string;
  keys: readonly MailboxKeyPair[];
}

/** The MAC key this device gave `sender`, or nothing when it gave them none (or discarded it). */
export type MacKeyOf = (sender: string) => Promise<string | null | undefined> | string | null | undefined;

/**
 * Opens an entry from this device's mailbox: the sender it is authenticated by, the conversation, the
 * message. Never throws: an entry that does not open, verify or validate gives the reason, and nothing of
 * its content.
 */
export async function open(entry: Uint8Array, me: EntryRecipient, macKeyOf: MacKeyOf): Promise<OpenResult> {
  try {
    return await openEntry(entry, me, macKeyOf);
  } catch {
    return { ok: false, reason: 'failed' };
  }
}

async function openEntry(entry: Uint8Array, me: EntryRecipient, macKeyOf: MacKeyOf): Promise<OpenResult> {
  if (!(MAILBOX_ENTRY_BUCKETS as readonly number[]).includes(entry.length)) return { ok: false, reason: 'bad-size' };
  if (entry[0] !== ENTRY_VERSION) return { ok: false, reason: 'unsupported-version' };
  const keyId = toBase64url(entry.subarray(1, 1 + KEY_ID_BYTES));
  const key = me.keys.find((candidate) => candidate.id === keyId);
  if (!key) return { ok: false, reason: 'unknown-key' };

  const box = await decryptAes128gcm(entry.subarray(1 + KEY_ID_BYTES), {
    privateKey: key.privateKey,
    publicKey: fromBase64url(key.publicKey),
    authSecret: fromBase64url(key.auth),
  });
  if (!box.ok) return box;
  const data = box.data;
  const idLength = data[73] ?? 0;
  const fieldsLength = data.length - MAC_BYTES;
  if (data[0] !== ENTRY_VERSION || fieldsLength < FIXED_FIELD_BYTES + idLength || idLength === 0) return { ok: false, reason: 'malformed' };

  const fields = data.subarray(0, fieldsLength);
  if (deviceKey(fields.subarray(1 + DEVICE_BYTES, 1 + 2 * DEVICE_BYTES)) !== me.device) return { ok: false, reason: 'wrong-recipient' };
  const sender = deviceKey(fields.subarray(1, 1 + DEVICE_BYTES));
  const senderKey = await macKeyOf(sender);
  if (!senderKey) return { ok: false, reason: 'unknown-sender' };
  if (!(await crypto.subtle.verify('HMAC', await macKey(senderKey), data.subarray(fieldsLength), macInput(fields)))) return { ok: false, reason: 'bad-mac' };

  const view = new DataView(fields.buffer, fields.byteOffset, fields.length);
  const sentAt = view.getUint32(65) * 2 ** 32 + view.getUint32(69);
  let content: unknown;
  try {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const id = decoder.decode(fields.subarray(FIXED_FIELD_BYTES, FIXED_FIELD_BYTES + idLength));
    const body: unknown = JSON.parse(decoder.decode(fields.subarray(FIXED_FIELD_BYTES + idLength)));
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, reason: 'invalid-message' };
    // The id and time are the authenticated fields': a body cannot name others.
    content = { ...body, id, sentAt };
  } catch {
    return { ok: false, reason: 'invalid-message' };
  }
  const message = v.safeParse(MailboxMessageSchema, content);
  if (!message.success) return { ok: false, reason: 'invalid-message' };
  return { ok: true, sender, conversation: conversationOf(sender, message.output), message: message.output };
}
