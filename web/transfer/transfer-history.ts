/**
 * A transfer's entry in a conversation's history: it shares the transfer's id, and is history, never a chat
 * message (it is not sent over the chat channel). A file sent to or offered in a room is entered in the room's.
 */
import { roomConversation } from '../chat/room-wire.js';
import type { StoredMessage, StoredTransfer } from '../storage/database.js';

/**
 * The room's conversation (`RoomChat`): a file sent to the room is one transfer per member, each as between
 * two people, shown under one entry there; a file offered to this device in the room is entered there too.
 */
export interface RoomFileHistory {
  readonly room: string;
  /** Who a file sent to the room now goes to: everyone known in the room but this device, online or away. */
  members(): string[];
  /** Adds an entry to the room's conversation, with the transfers it shows, in one transaction; false when it was there. */
  record(entry: StoredMessage, transfers?: readonly StoredTransfer[]): Promise<boolean>;
}

/** The transfer's entry in the conversation's history (it shares the transfer's id). */
export function historyEntry(transfer: StoredTransfer): StoredMessage {
  const incoming = transfer.direction === 'in';
  return {
    id: transfer.id,
    conversation: transfer.room ? roomConversation(transfer.room) : transfer.conversation,
    direction: transfer.direction,
    text: transfer.name,
    sentAt: transfer.createdAt,
    at: 0,
    status: incoming ? 'delivered' : 'sent',
    // A file offered in the room: its author is who offers it, and no read receipt goes for it (the sender sees Accept or Decline).
    receiptSent: transfer.room ? 1 : 0,
    transfer: transfer.id,
    ...(transfer.room && incoming ? { author: transfer.conversation } : {}),
  };
}
