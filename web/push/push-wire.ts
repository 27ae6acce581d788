/**
 * What Web Push carries in Whisper, shared by the app and the service worker:
 *
 * - `push-sub`, a frame over the chat data channel: a device hands its push
 *   subscription to the people it talks with (never to the server), and says
 *   `endpoint: null` when it has none any more. Sent on every new connection,
 *   since subscriptions change and expire without notice.
 * - The push payload, encrypted by the sender's device for the subscription:
 *   the Declarative Web Push form (`web_push: 8030`, shown by Safari 18.4+ even
 *   without the service worker) whose `notification.data` holds what the
 *   worker needs. It never carries message text.
 */
import * as v from 'valibot';
import { CallIdSchema, DisplayNameSchema, PeerIdSchema, RoomIdSchema } from '../../signal/protocol/messages.js';
import { PUSH_ENDPOINT_MAX_LENGTH } from '../../signal/protocol/limits.js';
import { parseJsonFrame } from '../peers/json-frame.js';

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

export const PushSubFrameSchema = v.union([
  v.object({ t: v.literal('push-sub'), endpoint: v.null() }),
  v.object({ t: v.literal('push-sub'), ...PushSubscriptionKeysSchema.entries }),
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

const common = { room: RoomIdSchema, from: DisplayNameSchema };

/** What the service worker reads from `notification.data`. */
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
  v.object({ kind: v.literal('message'), ...common }),
]);
export type PushData = v.InferOutput<typeof PushDataSchema>;

export const PushPayloadSchema = v.object({
  web_push: v.literal(8030),
  notification: v.object({
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
export function pushTag(data: PushData): string {
  return data.kind === 'message' ? `whisper-message-${data.room}-${data.from}` : `whisper-call-${data.call}`;
}

/** The push Topic (RFC 8030): a later push of the same call replaces one the push service still holds. */
export const callTopic = (call: string) => `c${call}`.slice(0, 32);

/** Where a click opens the app: the room, and for a call the call to answer. */
export function pushUrl(origin: string, data: PushData, answer = false): string {
  const url = new URL(`/r/${data.room}`, origin);
  if (answer && data.kind === 'call') url.searchParams.set('answer', data.call);
  return url.href;
}

export function notificationText(data: PushData): { title: string; body: string } {
  switch (data.kind) {
    case 'call':
      return { title: `${data.from} is calling`, body: data.video ? 'Incoming video call on Whisper' : 'Incoming audio call on Whisper' };
    case 'call-ended':
      return { title: `Missed call from ${data.from}`, body: data.video ? 'Video call' : 'Audio call' };
    case 'message':
      return { title: `New message from ${data.from}`, body: 'Open Whisper to read it.' };
  }
}

/** The whole payload for `data`, in the declarative form, as JSON. */
export function buildPushPayload(origin: string, data: PushData): string {
  const { title, body } = notificationText(data);
  const payload: PushPayload = { web_push: 8030, notification: { title, body, navigate: pushUrl(origin, data), tag: pushTag(data), data }, mutable: true };
  return JSON.stringify(payload);
}
