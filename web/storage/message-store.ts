/**
 * Chat history on this device: every message of every conversation, with its
 * delivery state. Writes wait for their transaction to commit (`tx.done`), so
 * "delivered" is only ever acknowledged for messages that are really stored.
 */
import { StorageFullError, isQuotaError, type MessageStatus, type StoredMessage, type StoredTransfer, type WhisperDatabase } from './database.js';

/** A message's statuses in order: a status never moves back. */
export const STATUS_RANK: Record<MessageStatus, number> = { queued: 0, sent: 1, delivered: 2, read: 3 };

export class MessageStore {
  constructor(private readonly db: WhisperDatabase) {}

  /**
   * Stores a message unless one with its id exists; true when it was new. A message from someone else that was
   * written before messages of theirs already stored here (it came another way: the mailbox, or the channel
   * after the mailbox) is placed before those: its `at` is moved back, in `message` itself. A file's entry comes with its
   * `transfers`, written in the same transaction: never one without the other. A repeat fails the `add` on
   * its key (and aborts the transaction, which then writes nothing else).
   */
  async add(message: StoredMessage, transfers: readonly StoredTransfer[] = []): Promise<boolean> {
    const tx = this.db.transaction(transfers.length > 0 ? ['messages', 'transfers'] : ['messages'], 'readwrite');
    try {
      await placeAmongItsAuthors(tx.objectStore('messages'), message);
      await Promise.all([tx.objectStore('messages').add(message), ...transfers.map((transfer) => tx.objectStore('transfers').put(transfer)), tx.done]);
      return true;
    } catch (error) {
      if (error instanceof DOMException && error.name === 'ConstraintError') return false;
      if (isQuotaError(error)) throw new StorageFullError();
      throw error;
    }
  }

  /** The conversation in the order this device stored it. */
  async history(conversation: string): Promise<StoredMessage[]> {
    return this.db.getAllFromIndex('messages', 'by-conversation', IDBKeyRange.bound([conversation, -Infinity], [conversation, Infinity]));
  }

  /**
   * Own messages not yet acknowledged by the other device, oldest first: they go (again) when the channel opens.
   * Entries for files, calls and notices are history, not messages: they never go over the chat channel (a file's
   * entry sent as text would reach the other side before its offer and take the offer's place).
   */
  async undelivered(conversation: string): Promise<StoredMessage[]> {
    const [queued, sent] = await Promise.all([
      this.db.getAllFromIndex('messages', 'by-status', [conversation, 'out', 'queued']),
      this.db.getAllFromIndex('messages', 'by-status', [conversation, 'out', 'sent']),
    ]);
    return [...queued, ...sent].filter((m) => !m.transfer && !m.call && !m.notice).sort((a, b) => a.at - b.at);
  }

  /**
   * Makes a plain incoming text whose id is a transfer's into that transfer's entry. Earlier versions sent a
   * file's entry as text when a channel opened; a device that stored it that way gets the file's buttons back.
   */
  async repairAsTransfer(entry: StoredMessage): Promise<StoredMessage | null> {
    const tx = this.db.transaction('messages', 'readwrite');
    const existing = await tx.store.get(entry.id);
    const repairable =
      !!existing && !existing.transfer && !existing.call && existing.direction === entry.direction && existing.conversation === entry.conversation && existing.text === entry.text;
    const repaired = repairable ? { ...existing, transfer: entry.transfer } : null;
    if (repaired) await tx.store.put(repaired);
    await tx.done;
    return repaired;
  }

  async unreadCount(conversation: string): Promise<number> {
    return this.db.countFromIndex('messages', 'by-status', [conversation, 'in', 'delivered']);
  }

  /**
   * Moves messages forward to `status` (never back: a late "sent" cannot undo
   * "read"). Returns the messages that changed.
   */
  async advance(ids: readonly string[], status: MessageStatus, conversation?: string, direction?: StoredMessage['direction']): Promise<StoredMessage[]> {
    const tx = this.db.transaction('messages', 'readwrite');
    const changed: StoredMessage[] = [];
    for (const id of ids) {
      const message = await tx.store.get(id);
      if (!message || STATUS_RANK[message.status] >= STATUS_RANK[status]) continue;
      if (conversation !== undefined && message.conversation !== conversation) continue;
      if (direction !== undefined && message.direction !== direction) continue;
      message.status = status;
      await tx.store.put(message);
      changed.push(message);
    }
    await tx.done;
    return changed;
  }

  /** Marks every unread incoming message of the conversation read here; returns their ids. */
  async markRead(conversation: string): Promise<string[]> {
    const unread = await this.db.getAllFromIndex('messages', 'by-status', [conversation, 'in', 'delivered']);
    if (unread.length === 0) return [];
    return (await this.advance(unread.map((m) => m.id), 'read')).map((m) => m.id);
  }

  /** Incoming messages read here whose read receipt has not gone out yet. */
  async pendingReceipts(conversation: string): Promise<string[]> {
    return (await this.readUnreceipted(conversation)).map((m) => m.id);
  }

  /** The same messages, whole (a room's receipts go to each message's author). */
  async readUnreceipted(conversation: string): Promise<StoredMessage[]> {
    const read = await this.db.getAllFromIndex('messages', 'by-status', [conversation, 'in', 'read']);
    return read.filter((m) => m.receiptSent === 0 && !m.notice);
  }

  /** Own room messages that `device` has not acknowledged yet, oldest first: they go to it when its channel opens. */
  async pendingFor(conversation: string, device: string): Promise<StoredMessage[]> {
    const [queued, sent] = await Promise.all([
      this.db.getAllFromIndex('messages', 'by-status', [conversation, 'out', 'queued']),
      this.db.getAllFromIndex('messages', 'by-status', [conversation, 'out', 'sent']),
    ]);
    return [...queued, ...sent]
      .filter((m) => {
        const status = m.recipients && Object.hasOwn(m.recipients, device) ? m.recipients[device] : undefined;
        return status === 'queued' || status === 'sent';
      })
      .sort((a, b) => a.at - b.at);
  }

  /**
   * Moves one member's status of own room messages forward (never back), and the message's own status to
   * the least of its members'. Returns the messages that changed. Ids of messages that are not own room
   * messages of `conversation` sent to `device` are ignored: a member answers only for itself.
   */
  async advanceRecipient(ids: readonly string[], conversation: string, device: string, status: MessageStatus): Promise<StoredMessage[]> {
    const tx = this.db.transaction('messages', 'readwrite');
    const changed: StoredMessage[] = [];
    for (const id of ids) {
      const message = await tx.store.get(id);
      if (!message || message.conversation !== conversation || message.direction !== 'out' || !message.recipients) continue;
      if (!Object.hasOwn(message.recipients, device) || STATUS_RANK[message.recipients[device]!] >= STATUS_RANK[status]) continue;
      const recipients = { ...message.recipients, [device]: status };
      const next: StoredMessage = { ...message, recipients, status: leastStatus(recipients) };
      await tx.store.put(next);
      changed.push(next);
    }
    await tx.done;
    return changed;
  }

  /** Notes that `device`'s mailbox holds these own messages, sealed ("Waiting in Bob's mailbox"). */
  async markDeposited(ids: readonly string[], device: string): Promise<StoredMessage[]> {
    const tx = this.db.transaction('messages', 'readwrite');
    const changed: StoredMessage[] = [];
    for (const id of ids) {
      const message = await tx.store.get(id);
      if (!message || message.direction !== 'out' || message.deposited?.includes(device)) continue;
      const next = { ...message, deposited: [...(message.deposited ?? []), device] };
      await tx.store.put(next);
      changed.push(next);
    }
    await tx.done;
    return changed;
  }

  async markReceiptsSent(ids: readonly string[]): Promise<void> {
    const tx = this.db.transaction('messages', 'readwrite');
    for (const id of ids) {
      const message = await tx.store.get(id);
      if (message && message.receiptSent === 0) await tx.store.put({ ...message, receiptSent: 1 });
    }
    await tx.done;
  }
}

/** How far back `placeAmongItsAuthors` looks: a message that comes this late after its successors is placed last. */
const PLACING_LOOKBACK = 50;

/**
 * Moves an incoming message's `at` back before the messages of the same author in its conversation that were
 * written after it (by their `sentAt`, the author's clock), if any of the last PLACING_LOOKBACK entries are.
 * Each author's messages then read in the order written, however they came.
 */
async function placeAmongItsAuthors(store: { index(name: 'by-conversation'): { openCursor(range: IDBKeyRange, direction: IDBCursorDirection): Promise<{ value: StoredMessage; continue(): Promise<unknown> } | null> } }, message: StoredMessage): Promise<void> {
  if (message.direction !== 'in' || message.transfer || message.call || message.notice) return;
  const author = message.author ?? message.conversation;
  let cursor = await store.index('by-conversation').openCursor(IDBKeyRange.bound([message.conversation, -Infinity], [message.conversation, message.at]), 'prev');
  let earliestLater: number | null = null;
  /** The entry just before `earliestLater` in the conversation, when there is one. */
  let before: number | null = null;
  for (let seen = 0; cursor && seen < PLACING_LOOKBACK; seen++) {
    const other = cursor.value;
    before = other.at;
    if (other.direction === 'in' && (other.author ?? other.conversation) === author && !other.transfer && !other.call && !other.notice) {
      if (other.sentAt <= message.sentAt) break;
      earliestLater = other.at;
      before = null;
    }
    cursor = (await cursor.continue()) as typeof cursor;
  }
  if (earliestLater === null) return;
  // Between that entry and the one before it (times here are ms, about 2^41: a step under 2^-11 would not
  // change the number, so a step of a millisecond's thousandth, as the chat's clock takes, is the least).
  const between = before === null ? earliestLater - 1 : (before + earliestLater) / 2;
  message.at = between > (before ?? -Infinity) && between < earliestLater ? between : earliestLater - 0.001;
}

/** The status of a room message: the least of its members' (all of them must have it for "Delivered"). */
export function leastStatus(recipients: Record<string, MessageStatus>): MessageStatus {
  let least: MessageStatus = 'read';
  for (const status of Object.values(recipients)) if (STATUS_RANK[status] < STATUS_RANK[least]) least = status;
  return least;
}
