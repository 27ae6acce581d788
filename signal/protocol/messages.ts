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
  v.check((name) => !NAME_FORBIDDEN.test(name), 'name contains control characters'),
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

export const ClientMessageSchema = v.variant('type', [
  JoinMessageSchema,
  LeaveMessageSchema,
  SignalRequestSchema,
  PingMessageSchema,
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
  limits: LimitsSchema,
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

export const ErrorMessageSchema = v.object({
  type: v.literal('error'),
  code: v.picklist(ERROR_CODES),
  message: v.pipe(v.string(), v.maxLength(500)),
});

export const ServerMessageSchema = v.variant('type', [
  WelcomeMessageSchema,
  PeerJoinedMessageSchema,
  PeerLeftMessageSchema,
  SignalDeliveryMessageSchema,
  IceServersMessageSchema,
  PongMessageSchema,
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

export type ServerMessage = v.InferOutput<typeof ServerMessageSchema>;
export type WelcomeMessage = v.InferOutput<typeof WelcomeMessageSchema>;
export type ErrorMessage = v.InferOutput<typeof ErrorMessageSchema>;
