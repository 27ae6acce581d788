/**
 * The chat protocol between two devices, over their "chat" RTCDataChannel.
 * The server never sees any of it. Every frame is validated on receipt.
 */
import * as v from 'valibot';
import { parseJsonFrame } from '../peers/json-frame.js';

export const MAX_MESSAGE_TEXT = 8000;
export const MessageId = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{16,48}$/));
export const MessageText = v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_MESSAGE_TEXT));
/** A receipt names at most this many messages. */
export const ReceiptIds = v.pipe(v.array(MessageId), v.maxLength(500));

export const ChatFrameSchema = v.variant('t', [
  /** A chat message. The receiver stores it (once, by id) and answers `ack`. */
  v.object({ t: v.literal('msg'), id: MessageId, text: MessageText, sentAt: v.pipe(v.number(), v.finite()) }),
  /** The receiver's device has stored these messages. */
  v.object({ t: v.literal('ack'), ids: ReceiptIds }),
  /** The receiver has seen these messages on screen. */
  v.object({ t: v.literal('read'), ids: ReceiptIds }),
  v.object({ t: v.literal('typing'), on: v.boolean() }),
  v.object({ t: v.literal('ping'), n: v.number(), at: v.number() }),
  v.object({ t: v.literal('pong'), n: v.number(), at: v.number() }),
]);

export type ChatFrame = v.InferOutput<typeof ChatFrameSchema>;

export function parseChatFrame(text: string): ChatFrame | null {
  return parseJsonFrame(ChatFrameSchema, text);
}
