/**
 * The wire protocol of `/ws`, written once and imported by the server
 * (`signal/`) and the app (`web/`). Every inbound message is validated against
 * these schemas on both sides; the TypeScript types are derived from them.
 *
 * Objects are not strict: unknown fields are dropped, so that newer peers can
 * add fields without breaking older ones.
 */
import * as v from 'valibot';
import { ERROR_CODES } from './codes.js';
import {
  NAME_FORBIDDEN,
  NAME_MAX_CODE_UNITS,
  NAME_MAX_GRAPHEMES,
  PEER_ID_PATTERN,
  RESUME_TOKEN_PATTERN,
  DEVICE_KEY_PATTERN,
  ROOM_ID_PATTERN,
  PUSH_CIPHERTEXT_MAX_BYTES,
  PUSH_ENDPOINT_MAX_LENGTH,
  PUSH_MAX_TTL_S,
  PUSH_TOPIC_PATTERN,
} from './limits.js';

export const RoomIdSchema = v.pipe(v.string(), v.regex(ROOM_ID_PATTERN, 'room must be 16-64 characters of A-Z a-z 0-9 _ -'));
export const PeerIdSchema = v.pipe(v.string(), v.regex(PEER_ID_PATTERN, 'peer id is malformed'));
export const DeviceKeySchema = v.pipe(v.string(), v.regex(DEVICE_KEY_PATTERN, 'device must be 64 upper-case hex digits'));
export const ResumeTokenSchema = v.pipe(v.string(), v.regex(RESUME_TOKEN_PATTERN, 'resume token is malformed'));

let segmenter: Intl.Segmenter | undefined;

/**
 * At most `max` user-perceived characters. A string of at most `max` UTF-16
 * units cannot have more, so most names are never segmented (segmenting is the
 * slowest step of a join).
 */
function withinGraphemes(text: string, max: number): boolean {
  if (text.length <= max) return true;
  let count = 0;
  for (const _ of (segmenter ??= new Intl.Segmenter()).segment(text)) if (++count > max) return false;
  return true;
}

/** A display name: trimmed, 1-40 characters, no control or bidi-override characters. */
export const DisplayNameSchema = v.pipe(
  v.string(),
  v.maxLength(NAME_MAX_CODE_UNITS, 'name is too long'),
  v.trim(),
  v.minLength(1, 'name is empty'),
  v.check((name) => withinGraphemes(name, NAME_MAX_GRAPHEMES), `name is longer than ${NAME_MAX_GRAPHEMES} characters`),
  v.check((name) => !NAME_FORBIDDEN.test(name), 'name contains control or invisible characters'),
);

/** Opaque payload of a `signal`: any JSON object (never an array or a primitive). */
export const SignalDataSchema = v.pipe(
  v.custom<Record<string, unknown>>((data) => typeof data === 'object' && data !== null && !Array.isArray(data), 'must be a JSON object'),
  v.record(v.string(), v.unknown()),
);

/** `device` is the peer's own claim, relayed as is: a hint until its DTLS fingerprint proves it. */
export const PeerInfoSchema = v.object({ id: PeerIdSchema, name: DisplayNameSchema, device: v.optional(DeviceKeySchema) });

// Client -> server

export const JoinMessageSchema = v.object({
  type: v.literal('join'),
  room: RoomIdSchema,
  name: DisplayNameSchema,
  /** Token from an earlier `welcome`: resumes that session (same peer id, no leave/join seen by others). */
  resume: v.optional(ResumeTokenSchema),
  /** The device's key (its DTLS certificate fingerprint), so that others recognise it before connecting. */
  device: v.optional(DeviceKeySchema),
});

export const LeaveMessageSchema = v.object({ type: v.literal('leave') });

export const SignalRequestSchema = v.object({
  type: v.literal('signal'),
  to: PeerIdSchema,
  data: SignalDataSchema,
});

export const PingMessageSchema = v.object({
  type: v.literal('ping'),
  t: v.optional(v.pipe(v.number(), v.finite())),
});

/** Who a push result belongs to: chosen by the client, echoed by the server. */
export const PushIdSchema = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,32}$/, 'id must be 1-32 characters of A-Z a-z 0-9 _ -'));

// A push's fields, shared by `push` here and by the mailbox's `POST /mailbox/:id/push` (mailbox.ts).

/** Bounded loosely here; the server refuses more than PUSH_ENDPOINT_MAX_LENGTH characters as `refused`. */
export const PushEndpointSchema = v.pipe(v.string(), v.maxLength(4 * PUSH_ENDPOINT_MAX_LENGTH, 'endpoint is far too long'));
/** The aes128gcm body in base64url. Bounded loosely here; over /ws the server refuses more than PUSH_CIPHERTEXT_MAX_BYTES decoded, in a push-result. */
export const PushCiphertextSchema = v.pipe(v.string(), v.maxLength(4 * PUSH_CIPHERTEXT_MAX_BYTES, 'ciphertext is far too long'), v.regex(/^[A-Za-z0-9_-]+$/, 'ciphertext must be base64url'));
export const PushTtlSchema = v.pipe(v.number(), v.integer('ttl must be whole seconds'), v.minValue(0), v.maxValue(PUSH_MAX_TTL_S, `ttl must be at most ${PUSH_MAX_TTL_S} seconds`));
export const PushUrgencySchema = v.picklist(['very-low', 'low', 'normal', 'high']);

/**
 * A Web Push the client encrypted for another person's subscription (RFC 8291):
 * the server signs it with its VAPID key and POSTs it to the endpoint.
 */
export const PushMessageSchema = v.object({
  type: v.literal('push'),
  id: PushIdSchema,
  endpoint: PushEndpointSchema,
  ciphertext: PushCiphertextSchema,
  ttl: PushTtlSchema,
  urgency: PushUrgencySchema,
  topic: v.optional(v.pipe(v.string(), v.regex(PUSH_TOPIC_PATTERN, 'topic must be 1-32 characters of A-Z a-z 0-9 _ -'))),
});

/** A call's id, as the app makes them. */
export const CallIdSchema = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{16,48}$/, 'call must be 16-48 characters of A-Z a-z 0-9 _ -'));

/**
 * "Decline" pressed on a call notification while the app is closed: the
 * service worker tells the caller (`to`, in `room`, named in the push) without
 * joining the room. Needs no join; delivered if the caller is known to this process.
 */
export const DeclineCallMessageSchema = v.object({
  type: v.literal('decline-call'),
  room: RoomIdSchema,
  to: PeerIdSchema,
  call: CallIdSchema,
});

export const ClientMessageSchema = v.variant('type', [
  JoinMessageSchema,
  LeaveMessageSchema,
  SignalRequestSchema,
  PingMessageSchema,
  PushMessageSchema,
  DeclineCallMessageSchema,
]);

// Server -> client

export const IceServerSchema = v.object({
  urls: v.union([v.string(), v.array(v.string())]),
  username: v.optional(v.string()),
  credential: v.optional(v.string()),
});

export const LimitsSchema = v.object({
  maxMessageBytes: v.number(),
  maxRoomSize: v.number(),
  messagesPerSecond: v.number(),
  burst: v.number(),
  resumeGraceMs: v.number(),
});

export const WelcomeMessageSchema = v.object({
  type: v.literal('welcome'),
  id: PeerIdSchema,
  room: RoomIdSchema,
  name: DisplayNameSchema,
  peers: v.array(PeerInfoSchema),
  resumeToken: ResumeTokenSchema,
  resumed: v.boolean(),
  iceServers: v.array(IceServerSchema),
  /** Unix time (ms) at which the TURN credentials in `iceServers` expire; null when there are none. */
  iceServersExpireAt: v.nullable(v.number()),
  /** Why `iceServers` has no TURN server this time (this address had its credentials for the hour), for people. */
  relayRefused: v.optional(v.pipe(v.string(), v.maxLength(500))),
  limits: LimitsSchema,
  /** The server's VAPID public key (65-byte P-256 point, base64url) for PushManager.subscribe; absent when it sends no pushes. */
  vapidPublicKey: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{87}$/, 'VAPID key must be 65 bytes in base64url'))),
});

export const PeerJoinedMessageSchema = v.object({ type: v.literal('peer-joined'), peer: PeerInfoSchema });
export const PeerLeftMessageSchema = v.object({ type: v.literal('peer-left'), id: PeerIdSchema });

export const SignalDeliveryMessageSchema = v.object({
  type: v.literal('signal'),
  from: PeerIdSchema,
  data: SignalDataSchema,
});

export const IceServersMessageSchema = v.object({
  type: v.literal('ice-servers'),
  iceServers: v.array(IceServerSchema),
  iceServersExpireAt: v.nullable(v.number()),
});

export const PongMessageSchema = v.object({
  type: v.literal('pong'),
  t: v.optional(v.number()),
});

export const PUSH_OUTCOMES = ['sent', 'gone', 'rate-limited', 'too-large', 'rejected', 'refused', 'failed'] as const;

/**
 * What became of a push (`push-result` here, the answer of `POST /mailbox/:id/push`): `gone` means the
 * subscription no longer exists, and the sender should forget it.
 */
export const PushAnswerSchema = v.object({
  outcome: v.picklist(PUSH_OUTCOMES),
  /** With `rate-limited`: seconds before the next try. */
  retryAfter: v.optional(v.pipe(v.number(), v.minValue(0))),
  /** With `refused`, `rejected` and `failed`: why, for people. */
  message: v.optional(v.pipe(v.string(), v.maxLength(500))),
});

/** What became of a `push`, with its id. */
export const PushResultMessageSchema = v.object({
  type: v.literal('push-result'),
  id: PushIdSchema,
  ...PushAnswerSchema.entries,
});

/** The callee declined `call` from a notification (see `decline-call`). */
export const CallDeclinedMessageSchema = v.object({ type: v.literal('call-declined'), call: CallIdSchema });

/** The answer to `decline-call`: whether the caller was reached. */
export const DeclineResultMessageSchema = v.object({ type: v.literal('decline-result'), call: CallIdSchema, delivered: v.boolean() });

export const ErrorMessageSchema = v.object({
  type: v.literal('error'),
  code: v.picklist(ERROR_CODES),
  message: v.pipe(v.string(), v.maxLength(500)),
  /** With `rate-limited`: milliseconds before trying again can succeed. */
  retryAfterMs: v.optional(v.pipe(v.number(), v.minValue(0))),
});

export const ServerMessageSchema = v.variant('type', [
  WelcomeMessageSchema,
  PeerJoinedMessageSchema,
  PeerLeftMessageSchema,
  SignalDeliveryMessageSchema,
  IceServersMessageSchema,
  PongMessageSchema,
  PushResultMessageSchema,
  CallDeclinedMessageSchema,
  DeclineResultMessageSchema,
  ErrorMessageSchema,
]);

export type RoomId = v.InferOutput<typeof RoomIdSchema>;
export type PeerId = v.InferOutput<typeof PeerIdSchema>;
export type DeviceKey = v.InferOutput<typeof DeviceKeySchema>;
export type PeerInfo = v.InferOutput<typeof PeerInfoSchema>;
export type SignalData = v.InferOutput<typeof SignalDataSchema>;
export type IceServer = v.InferOutput<typeof IceServerSchema>;
export type Limits = v.InferOutput<typeof LimitsSchema>;

export type ClientMessage = v.InferOutput<typeof ClientMessageSchema>;
export type JoinMessage = v.InferOutput<typeof JoinMessageSchema>;
export type SignalRequest = v.InferOutput<typeof SignalRequestSchema>;
export type PingMessage = v.InferOutput<typeof PingMessageSchema>;
export type PushMessage = v.InferOutput<typeof PushMessageSchema>;
export type PushResultMessage = v.InferOutput<typeof PushResultMessageSchema>;
export type PushAnswer = v.InferOutput<typeof PushAnswerSchema>;
export type DeclineCallMessage = v.InferOutput<typeof DeclineCallMessageSchema>;

export type ServerMessage = v.InferOutput<typeof ServerMessageSchema>;
export type WelcomeMessage = v.InferOutput<typeof WelcomeMessageSchema>;
export type ErrorMessage = v.InferOutput<typeof ErrorMessageSchema>;
