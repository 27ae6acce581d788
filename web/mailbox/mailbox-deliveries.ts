/**
 * What a page leaves in the mailboxes of people whose app is closed (issue 30), for MailboxService, loaded
 * with the mailbox's first use: every message (one to one, or to the room) and file offer not yet in their
 * mailbox, in order, and read receipts; a refusal said in words.
 */
import { roomConversation } from '../chat/room-wire.js';
import { randomId } from '../identity/random-id.js';
import type { StoredMessage, WhisperDatabase } from '../storage/database.js';
import type { MessageStore } from '../storage/message-store.js';
import type { MailboxClient } from './mailbox-client.js';
import type { MailboxKeys } from './mailbox-keys.js';
import { depositFor, type DepositOutcome } from './mailbox-outbox.js';
import type { MailboxMessage } from './sealed-entry.js';

export interface DeliveriesContext {
  db: WhisperDatabase;
  messages: MessageStore;
  /** The room this page is in: its conversation's messages go too. */
  room: string;
  /** This device's key, and its person's name as the others see it. */
  device: string;
  name: string;
  origin: string;
  keys: MailboxKeys;
  client: MailboxClient;
  nameOf(device: string): string;
  /** Messages whose record changed (marked deposited): shown as stored. */
  took(messages: readonly StoredMessage[]): void;
  /** A deposit was refused: these words say so. */
  refused(device: string, words: string): void;
}

export class Deliveries {
  constructor(private readonly context: DeliveriesContext) {}

  /**
   * Deposits, in order, every message to `device` not yet in their mailbox (one to one, then the room's), then
   * the file offers waiting for them. False when they handed this device no mailbox.
   */
  async depositWaiting(device: string): Promise<boolean> {
    const { messages, room, db, keys } = this.context;
    if (!(await keys.targetOf(device))) return false;
    const direct = (await messages.undelivered(device)).filter((m) => !m.deposited?.includes(device));
    const inRoom = (await messages.pendingFor(roomConversation(room), device)).filter((m) => !m.deposited?.includes(device));
    const offers = (await db.getAllFromIndex('transfers', 'by-conversation', device)).filter((t) => t.direction === 'out' && t.state === 'offered' && !t.deposited);
    const ok =
      (direct.length === 0 || (await this.#deposit(device, direct.map((m) => ({ kind: 'message' as const, id: m.id, sentAt: m.sentAt, text: m.text }))))) &&
      (inRoom.length === 0 || (await this.#deposit(device, inRoom.map((m) => ({ kind: 'room-message' as const, id: m.id, sentAt: m.sentAt, text: m.text, room })))));
    if (ok && offers.length > 0) {
      // The offer only: the bytes still go device to device, once both are online.
      const entries = offers.map((t) => ({ kind: 'file-offer' as const, id: t.id, sentAt: Date.now(), transfer: t.id, name: t.name, size: t.size, type: t.type, ...(t.room ? { room: t.room } : {}) }));
      await this.#deposit(device, entries, async (ids) => {
        const tx = db.transaction('transfers', 'readwrite');
        for (const id of ids) {
          const transfer = await tx.store.get(id);
          if (transfer) await tx.store.put({ ...transfer, deposited: true });
        }
        await tx.done;
      });
    }
    return true;
  }

  /** Read receipts for `device`'s messages (one to one and in the room), sealed to their mailbox, then marked sent. */
  async depositReadReceipts(device: string): Promise<void> {
    const { messages, room, keys } = this.context;
    if (!(await keys.targetOf(device))) return;
    const direct = await messages.pendingReceipts(device);
    const inRoom = (await messages.readUnreceipted(roomConversation(room))).filter((m) => m.author === device).map((m) => m.id);
    for (const [ids, roomOf] of [[direct, undefined], [inRoom, room]] as const) {
      for (let i = 0; i < ids.length; i += 500) {
        const batch = ids.slice(i, i + 500);
        const receipt = { kind: 'receipt' as const, id: randomId(16), sentAt: Date.now(), status: 'read' as const, ids: batch, ...(roomOf ? { room: roomOf } : {}) };
        // No push: "Read" is not worth waking their phone for; their app shows it when it opens.
        const outcome = await depositFor(this.#outbox(), device, [receipt], null, room);
        if (!outcome.ok) return;
        await messages.markReceiptsSent(batch);
      }
    }
  }

  /** Deposits `entries` for `device`, in order, and notes those deposited (as messages, unless `note` says otherwise). */
  async #deposit(device: string, entries: MailboxMessage[], note?: (ids: string[]) => Promise<void>): Promise<boolean> {
    const { messages, room } = this.context;
    const outcome = await depositFor(this.#outbox(), device, entries, 'message', room);
    if (outcome.deposited.length > 0) {
      if (note) await note(outcome.deposited);
      else this.context.took(await messages.markDeposited(outcome.deposited, device));
    }
    if (!outcome.ok) {
      const words = refusalWords(this.context.nameOf(device), outcome);
      if (words) this.context.refused(device, words);
    }
    return outcome.ok;
  }

  #outbox() {
    const { db, device, client, origin, name } = this.context;
    return { db, device, client, origin, name };
  }
}

/**
 * What a refused deposit means for the writer, in words; null when there is nothing to say: no mailbox (the plain
 * push goes), or no server (the app says it is offline; what waits is deposited when the network is back).
 */
export function refusalWords(name: string, outcome: Exclude<DepositOutcome, { ok: true }>): string | null {
  if (outcome.reason === 'no-mailbox' || (outcome.reason === 'refused' && outcome.failure.code === 'network')) return null;
  if (outcome.reason === 'too-large') return `A message to ${name} is too large for their mailbox: it waits on this device until you are both online.`;
  switch (outcome.failure.code) {
    case 'mailbox-full':
      return `${name}’s mailbox on the server is full: your messages wait on this device until ${name} opens Whisper.`;
    case 'forbidden':
      return `${name}’s mailbox no longer takes messages from this device: they wait here until you are both online.`;
    case 'unknown-mailbox':
      // The server lost it (or it went idle): their app makes it again, with the same address, when it next runs.
      return null;
    default:
      return `Your messages to ${name} could not be left on the server (${outcome.failure.message}): they wait on this device.`;
  }
}
