/**
 * What Web Push carries in Whisper, shared by the app and the service worker:
 *
 * - `push-sub`, a frame over the chat data channel: a device hands its push
 *   subscription to the people it talks with (never to the server), each with
 *   a secret of its own (`key`), and says `endpoint: null` when it has none
 *   for them any more. Sent on every new connection, since subscriptions
 *   change and expire without notice.
 * - The push payload, encrypted by the sender's device for the subscription:
 *   the Declarative Web Push form (`web_push: 8030`, shown by Safari 18.4+ even
 *   without the service worker) whose `notification.data` holds what the
 *   worker needs. It never carries message text. The subscription's keys are
 *   the same for everyone it was given to, so the encryption does not say who
 *   sent a push: `data` names its sender's device and carries an HMAC with the
 *   secret handed to that device alone, which the worker checks before it
 *   shows anything, under the name it keeps for that contact.
 */
import * as v from 'valibot';
import { CallIdSchema, DeviceKeySchema, PeerIdSchema, RoomIdSchema } from '../../signal/protocol/messages.js';
import { PUSH_ENDPOINT_MAX_LENGTH } from '../../signal/protocol/limits.js';
import { parseJsonFrame } from '../peers/json-frame.js';
import { fromBase64url, toBase64url } from './base64url.js';

const base64url = (bytes: number) =>
  v.pipe(
    v.string(),
    v.regex(/^[A-Za-z0-9_-]+$/),
    v.check((text) => Math.floor((text.length * 3) / 4) === bytes, `must be ${bytes} bytes`),
  );

export const PushSubscriptionKeysSchema = v.object({
  endpoint: v.pipe(v.string(), v.url(), v.startsWith('https://'), v.maxLength(PUSH_ENDPOINT_MAX_LENGTH)),
  /** P-256 public key of the subscription, uncompressed (65 bytes). */
  p256dh: base64url(65),
  /** Its auth secret (16 bytes). */
  auth: base64url(16),
});
export type PushSubscriptionKeys = v.InferOutput<typeof PushSubscriptionKeysSchema>;

/** The secret a device gives one contact to sign its pushes with (32 random bytes). */
export const PushSecretSchema = base64url(32);

/** What a sender keeps of a contact's subscription: where and how to encrypt, and the secret to sign with. */
export const PushTargetSchema = v.object({ ...PushSubscriptionKeysSchema.entries, key: PushSecretSchema });
export type PushTarget = v.InferOutput<typeof PushTargetSchema>;

export const PushSubFrameSchema = v.union([
  v.object({ t: v.literal('push-sub'), endpoint: v.null() }),
  v.object({ t: v.literal('push-sub'), ...PushTargetSchema.entries }),
]);
export type PushSubFrame = v.InferOutput<typeof PushSubFrameSchema>;

export function parsePushSubFrame(text: string): PushSubFrame | null {
  if (!text.includes('"push-sub"')) return null;
  return parseJsonFrame(PushSubFrameSchema, text);
}

/** A call lives this long in a push: the caller rings for 30 s, and the callee's app needs time to start. */
export const CALL_PUSH_TTL_S = 45;
/** "Call ended" may reach a phone that was off for a while: it then still shows the missed call. */
export const ENDED_PUSH_TTL_S = 3600;
/** A message push: someone wrote to you while your app was closed. */
export const MESSAGE_PUSH_TTL_S = 24 * 3600;

/** A sealed mailbox entry of the smallest size (1,024 bytes), base64url: larger ones are fetched from the mailbox. */
const PushedEntry = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1366}$/, 'a pushed entry is 1,024 bytes in base64url'));

const common = {
  room: RoomIdSchema,
  /** The sending device's key: the worker finds the contact, and the secret it gave them, by it. */
  sender: DeviceKeySchema,
  /** HMAC-SHA-256 of `signedText(data)` with that secret. */
  sig: base64url(32),
};

/** What the service worker reads from `notification.data`, once `sig` is checked. Nothing in it is shown as it is. */
export const PushDataSchema = v.variant('kind', [
  v.object({
    kind: v.literal('call'),
    ...common,
    call: CallIdSchema,
    /** The caller's peer id in the room, for "Decline" to reach them without the app. */
    caller: PeerIdSchema,
    video: v.boolean(),
    /** Ms since the epoch after which the call no longer rings. */
    expires: v.pipe(v.number(), v.finite()),
  }),
  v.object({ kind: v.literal('call-ended'), ...common, call: CallIdSchema, video: v.boolean() }),
  /** A message waits for this device (in its mailbox: `entry`, sealed, when it fits in a push). */
  v.object({ kind: v.literal('message'), ...common, entry: v.optional(PushedEntry) }),
  /** This device's messages reached the sender's device, which says so in a sealed receipt (`entry`, or in the mailbox). */
  v.object({ kind: v.literal('receipt'), ...common, entry: v.optional(PushedEntry) }),
]);
export type PushData = v.InferOutput<typeof PushDataSchema>;
type WithoutSignature<T> = T extends unknown ? Omit<T, 'sig'> : never;
/** A push's data before it is signed. */
export type UnsignedPushData = WithoutSignature<PushData>;

/** The fields of `data` that are signed, one per line in a fixed order: a change of any of them breaks the signature. */
export function signedText(data: UnsignedPushData): string {
  if (data.kind === 'message' || data.kind === 'receipt') {
    // The entry is signed as well (when there is one), after the fields every version signs.
    return ['whisper-push-1', data.kind, data.room, data.sender, '', '', '', ...(data.entry ? [data.entry] : [])].join('\n');
  }
  const call = [data.call, String(data.video), data.kind === 'call' ? `${data.caller} ${data.expires}` : ''];
  return ['whisper-push-1', data.kind, data.room, data.sender, ...call].join('\n');
}

async function hmac(secret: string, text: string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', fromBase64url(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(text)));
}

/** `data` signed with the secret its receiver gave this device. */
export async function signPush(data: UnsignedPushData, secret: string): Promise<PushData> {
  return { ...data, sig: toBase64url(await hmac(secret, signedText(data))) } as PushData;
}

/** Whether `data` was signed with `secret` (compared in constant time). */
export async function pushSignedWith(data: PushData, secret: string): Promise<boolean> {
  const expected = await hmac(secret, signedText(data));
  const given = fromBase64url(data.sig);
  if (given.length !== expected.length) return false;
  let difference = 0;
  for (let i = 0; i < given.length; i++) difference |= given[i]! ^ expected[i]!;
  return difference === 0;
}

/** A new secret for one contact to sign pushes to this device with. */
export function newPushSecret(): string {
  return toBase64url(crypto.getRandomValues(new Uint8Array(32)));
}

export const PushPayloadSchema = v.object({
  web_push: v.literal(8030),
  notification: v.object({
    // Shown by Safari only where no service worker runs for it; the worker shows what it knows instead.
    title: v.pipe(v.string(), v.maxLength(200)),
    body: v.optional(v.pipe(v.string(), v.maxLength(200))),
    navigate: v.pipe(v.string(), v.url()),
    tag: v.optional(v.pipe(v.string(), v.maxLength(100))),
    data: PushDataSchema,
  }),
  mutable: v.optional(v.boolean()),
});
export type PushPayload = v.InferOutput<typeof PushPayloadSchema>;

/** The notification's tag: one per call (its "ended" push replaces its ringing), one per conversation for messages. */
export function pushTag(data: Pick<PushData, 'kind' | 'room' | 'sender'> & { call?: string }): string {
  if (data.kind === 'receipt') return `whisper-receipt-${data.sender.slice(0, 16)}`;
  return data.kind === 'message' ? `whisper-message-${data.room}-${data.sender.slice(0, 16)}` : `whisper-call-${data.call}`;
}

/** The push Topic (RFC 8030): a later push of the same call replaces one the push service still holds. */
export const callTopic = (call: string) => `c${call}`.slice(0, 32);

/**
 * Where a click opens the app: the room, on this origin, and nothing else (no query: no link ever answers a
 * call by itself; a call accepted on a notification is recorded by the worker, see pending-answer.ts).
 */
export function pushUrl(origin: string, data: Pick<PushData, 'room'>): string {
  return new URL(`/r/${data.room}`, origin).href;
}

/** What a notification says; `from` is the name this device keeps for the sender, never one a push brings. */
export function notificationText(data: Pick<PushData, 'kind'> & { video?: boolean }, from: string): { title: string; body: string } {
  switch (data.kind) {
    case 'call':
      return { title: `${from} is calling`, body: data.video ? 'Incoming video call on Whisper' : 'Incoming audio call on Whisper' };
    case 'call-ended':
      return { title: `Missed call from ${from}`, body: data.video ? 'Video call' : 'Audio call' };
    case 'message':
      return { title: `New message from ${from}`, body: 'Open Whisper to read it.' };
    case 'receipt':
      return { title: `${from} got your messages`, body: 'Delivered while Whisper was closed.' };
  }
}

/**
 * The whole payload for `data`, in the declarative form, as JSON. `from` is the sender's own name: Safari
 * shows it only where the worker does not run, which replaces it with the name the receiver knows.
 */
export function buildPushPayload(origin: string, data: PushData, from: string): string {
  const { title, body } = notificationText(data, from);
  const payload: PushPayload = { web_push: 8030, notification: { title, body, navigate: pushUrl(origin, data), tag: pushTag(data), data }, mutable: true };
  return JSON.stringify(payload);
}
