/**
 * Reading this device's mailbox (issue 30), in a page or in the service worker while the app is closed:
 * every entry waiting on the server (and the one a push brought) is opened, checked against its writer's
 * MAC key, stored in the same history as messages that come over a channel (same id: a copy that comes
 * twice is stored once), and only then deleted from the server. Each writer whose messages were stored gets
 * a sealed "delivered" receipt in their own mailbox, and a push, so that their app says Delivered though it
 * is closed. An entry that does not open or verify is deleted unread and never shown.
 */
import { contactName } from '../storage/contact-store.js';
import type { StoredMessage, WhisperDatabase } from '../storage/database.js';
import { MessageStore } from '../storage/message-store.js';
import { formatBytes } from '../format/amounts.js';
import { roomConversation } from '../chat/room-wire.js';
import { randomId } from '../identity/random-id.js';
import { fromBase64url } from '../push/base64url.js';
import type { MailboxClient } from './mailbox-client.js';
import { MailboxKeys } from './mailbox-keys.js';
import { depositFor } from './mailbox-outbox.js';
import { open, type MailboxMessage, type OpenFailure } from './sealed-entry.js';

/** What the service worker tells open pages after it stored what a push brought: the ids of the messages that changed. */
export const MAILBOX_STORED = 'whisper-mailbox-stored';
export interface MailboxStoredMessage {
  type: typeof MAILBOX_STORED;
  ids: string[];
}

/** What reading the mailbox did. */
export interface InboxResult {
  /** Messages stored now (none that was here already), in the order they were written per conversation. */
  stored: StoredMessage[];
  /** Own messages that moved forward (a receipt came), by conversation. */
  advanced: Map<string, StoredMessage[]>;
  /** Entries that did not open or verify (deleted, nothing of them kept), by reason. */
  refused: OpenFailure[];
  /** The pushed entry did not open or verify. */
  pushedRefused: boolean;
  /** The pushed entry opened and verified (stored now, or here already). */
  pushedOpened: boolean;
  /** The mailbox could not be read (the server unreachable): what waits there stays. */
  unreachable: boolean;
  /** The server has no such mailbox (it lost its store, or the mailbox went idle): it is to be made again. */
  missing: boolean;
  /** Deposits a "delivered" receipt in each writer's mailbox for what was stored (and pushes to them): call once. */
  sendReceipts(): Promise<void>;
}

/** Failures that a later try will not change: such an entry is deleted. `failed` (a lookup that broke) is kept. */
const HOPELESS: ReadonlySet<OpenFailure> = new Set(['bad-size', 'unsupported-version', 'unknown-key', 'malformed', 'undecryptable', 'bad-padding', 'wrong-recipient', 'unknown-sender', 'bad-mac', 'invalid-message']);

export interface InboxOptions {
  db: WhisperDatabase;
  /** This device's key. */
  device: string;
  client: MailboxClient;
  /** The origin pushes open (the app's). */
  origin: string;
  /**
   * Where a page stores what the mailbox brought: in turn with the frames that come over the channel for the same
   * conversation (the two copies of a message then keep the order they were written in). The worker stores at once.
   */
  inTurn?: (conversation: string, work: () => Promise<void>) => Promise<void>;
  /** An entry a push carried (base64url): opened first, and not fetched again if the server still holds it. */
  pushed?: string;
  now?: () => number;
}

/** Reads the mailbox once: see the module's comment. Never throws for what the server or an entry does. */
export async function collectMailbox(options: InboxOptions): Promise<InboxResult> {
  const { db, device, client } = options;
  const keys = new MailboxKeys(db);
  const messages = new MessageStore(db);
  const me = { device, keys: await keys.keys() };
  const macKeyOf = (sender: string) => keys.macKeyOf(sender);
  const result: InboxResult = { stored: [], advanced: new Map(), refused: [], pushedRefused: false, pushedOpened: false, unreachable: false, missing: false, sendReceipts: () => Promise.resolve() };

  const items: Array<{ entry: string | null; data: Uint8Array }> = [];
  if (options.pushed) items.push({ entry: null, data: fromBase64url(options.pushed) });
  const address = await keys.address();
  const waiting = await client.entries(address);
  if (waiting.ok) for (const entry of waiting.value) items.push({ entry: entry.entry, data: fromBase64url(entry.data) });
  else if (waiting.code === 'unknown-mailbox') result.missing = true;
  else result.unreachable = true;

  const receipts = new Map<string, { ids: string[]; room?: string }>();
  const seen = new Set<string>();
  // The history is in the order of this time: each message stored now is strictly later than the one before, as the
  // chat services time theirs, so that messages stored within one millisecond keep the order they were written in.
  let lastAt = 0;
  const storedAt = () => (lastAt = Math.max(options.now?.() ?? Date.now(), lastAt + 0.001));
  for (const item of items) {
    const opened = await open(item.data, me, macKeyOf);
    if (!opened.ok) {
      if (item.entry === null) result.pushedRefused = true;
      else result.refused.push(opened.reason);
      if (item.entry !== null && HOPELESS.has(opened.reason)) await client.delete(address, item.entry);
      continue;
    }
    const { sender, conversation, message } = opened;
    if (item.entry === null) result.pushedOpened = true;
    // The pushed entry is usually also on the server: stored once, deleted there. (Every entry has an id of its
    // own: a receipt's is random, a message's is the message's.)
    const firstTime = !seen.has(message.id);
    let kept = 'known' as Kept;
    if (firstTime) {
      const store = async () => {
        kept = await keep(db, messages, sender, conversation, message, storedAt(), result);
      };
      await (options.inTurn ? options.inTurn(conversation, store) : store());
    }
    if (kept === 'later') continue;
    // Only once kept: the server's copy of a pushed entry that could not be stored (a full disk) is tried in turn, and stays.
    seen.add(message.id);
    if (item.entry !== null) await client.delete(address, item.entry);
    if (kept === 'stored' && (message.kind === 'message' || message.kind === 'room-message')) {
      const key = `${sender} ${message.kind === 'room-message' ? message.room : ''}`;
      const receipt = receipts.get(key) ?? { ids: [], ...(message.kind === 'room-message' ? { room: message.room } : {}) };
      receipt.ids.push(message.id);
      receipts.set(key, receipt);
    }
  }

  // "Delivered", sealed to each writer's own mailbox: their app shows it without either app open. Sent by the
  // caller once it has shown what came (a notification first: the receipts are not what the person waits for).
  result.sendReceipts = async () => {
    for (const [key, receipt] of receipts) {
      const sender = key.split(' ')[0]!;
      await depositFor(
        { db, device, client, origin: options.origin },
        sender,
        [{ kind: 'receipt', id: randomId(16), sentAt: Date.now(), status: 'delivered', ids: receipt.ids, ...(receipt.room ? { room: receipt.room } : {}) }],
        'receipt',
      );
    }
  };
  return result;
}

type Kept = 'stored' | 'known' | 'later';

/** Stores what an opened entry says. 'known': nothing new (a copy, or a receipt); 'later': storing failed, the entry stays on the server. */
async function keep(db: WhisperDatabase, messages: MessageStore, sender: string, conversation: string, message: MailboxMessage, now: number, result: InboxResult): Promise<Kept> {
  try {
    if (message.kind === 'receipt') {
      const ids = message.ids;
      const moved = message.room
        ? await messages.advanceRecipient(ids, roomConversation(message.room), sender, message.status)
        : await messages.advance(ids, message.status, sender, 'out');
      if (moved.length > 0) result.advanced.set(conversation, [...(result.advanced.get(conversation) ?? []), ...moved]);
      return 'known';
    }
    // A room message, or a file offered in a room, only from someone met in that room.
    if ('room' in message && message.room !== undefined && !(await db.get('contacts', sender))?.rooms.includes(message.room)) return 'known';
    const stored: StoredMessage = {
      id: message.id,
      conversation,
      direction: 'in',
      text: message.kind === 'file-offer' ? await offerText(db, sender, message) : message.text,
      sentAt: message.sentAt,
      at: now,
      status: 'delivered',
      receiptSent: 0,
      via: 'mailbox',
      ...(conversation !== sender ? { author: sender } : {}),
      ...(message.kind === 'file-offer' ? { id: `${message.transfer}-offer`, notice: 'file-waiting' as const } : {}),
    };
    if (!(await messages.add(stored))) return 'known';
    result.stored.push(stored);
    return 'stored';
  } catch {
    return 'later';
  }
}

async function offerText(db: WhisperDatabase, sender: string, offer: Extract<MailboxMessage, { kind: 'file-offer' }>): Promise<string> {
  const contact = await db.get('contacts', sender);
  const name = contact ? contactName(contact) : 'Someone';
  return `${name} wants to send you ${offer.name} (${formatBytes(offer.size)}). It comes when you are both online.`;
}
