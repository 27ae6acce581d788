/**
 * The room conversation's frames, over each pair's "chat" data channel: a message to the room goes to
 * every member separately, and each answers for itself. Who wrote a message is the device at the other
 * end of the channel it came on (DTLS proved its key): nothing in a frame claims an author. Every inbound
 * frame is validated.
 */
import * as v from 'valibot';
import { RoomIdSchema } from '../../signal/protocol/messages.js';
import { parseJsonFrame } from '../peers/json-frame.js';
import { MessageId, MessageText, ReceiptIds } from './chat-wire.js';

export const RoomFrameSchema = v.variant('t', [
  /** A message to the room. The receiver stores it (once, by id) in the room's conversation and answers `room-ack`. */
  v.object({ t: v.literal('room-msg'), room: RoomIdSchema, id: MessageId, text: MessageText, sentAt: v.pipe(v.number(), v.finite()) }),
  /** The receiver's device has stored these room messages. */
  v.object({ t: v.literal('room-ack'), ids: ReceiptIds }),
  /** The receiver has seen these room messages on screen. */
  v.object({ t: v.literal('room-read'), ids: ReceiptIds }),
  /** The sender is writing to the room, or stopped. */
  v.object({ t: v.literal('room-typing'), room: RoomIdSchema, on: v.boolean() }),
]);

export type RoomFrame = v.InferOutput<typeof RoomFrameSchema>;

export function parseRoomFrame(text: string): RoomFrame | null {
  return parseJsonFrame(RoomFrameSchema, text);
}

/** The conversation key of a room's messages on this device (a device key is 64 hex digits: no clash). */
export const roomConversation = (room: string): string => `room:${room}`;
