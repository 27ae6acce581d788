/**
 * The room's conversation: one history for everyone in the room, kept on each device, over the pairwise
 * channels that already exist (no server sees it, no new keys: the channel a message comes on proves who
 * wrote it).
 *
 * A message is written to everyone known in the room at that moment, online or away, each with a status
 * of their own (`recipients`). It is stored here first, then goes to each member separately, in order per
 * member: at once to those whose channel is open, and to the others when their channel opens again, in
 * the order written, as one-to-one messages do. Each member stores it (once, by id) and answers
 * `room-ack`, and `room-read` once it was on their screen. Someone who joins later gets what is written
 * from then on.
 */
import { TypedEventTarget } from '../events/typed-event-target.js';
import { randomId } from '../identity/random-id.js';
import type { StoredMessage, StoredTransfer } from '../storage/database.js';
import type { MessageStore } from '../storage/message-store.js';
import { MAX_MESSAGE_TEXT } from './chat-wire.js';
import { roomConversation, type RoomFrame } from './room-wire.js';
import { inStoredOrder } from './history-order.js';
import { Turns } from './turns.js';
import { TypingIndicator } from './typing-indicator.js';

export interface RoomChatTransport {
  /** Writes a frame to the member's open channel; false when there is none. */
  send(device: string, frame: RoomFrame): boolean;
  /** Asks for a channel to the member when they are online (what waits for them goes then). */
  want(device: string): void;
  /** Who a message written now goes to: everyone known in the room but this device, online or away. */
  members(): string[];
  /** Read receipts for the member wait: no channel took them (the mailbox may). */
  receiptsWaiting?(device: string): void;
}

export interface RoomChatEventMap {
  /** The room's conversation changed: history, a status, typing, unread count. */
  'wh-room-conversation': CustomEvent<void>;
  /** Something the person must know (not stored, not sent), in words. */
  'wh-room-error': CustomEvent<string>;
}

/** Messages read within this time of each other get one `room-read` per author, and one write. */
const READ_RECEIPT_DELAY_MS = 100;

export class RoomChat extends TypedEventTarget<RoomChatEventMap> {
  readonly room: string;
  readonly conversation: string;
  readonly #store: MessageStore;
  readonly #transport: RoomChatTransport;
  #history: StoredMessage[] = [];
  #unread = 0;
  readonly #typing = new TypingIndicator(() => this.#changed());
  /** Per member, what goes out to them, one at a time in order. */
  readonly #outgoing = new Turns();
  /** Members whose channel refused a message since it last opened: a new message waits behind what waits for them. */
  readonly #held = new Set<string>();
  #incoming: Promise<void> = Promise.resolve();
  #active = false;
  #visible = true;
  #reading: ReturnType<typeof setTimeout> | null = null;
  #lastAt = 0;

  constructor(room: string, store: MessageStore, transport: RoomChatTransport) {
    super();
    this.room = room;
    this.conversation = roomConversation(room);
    this.#store = store;
    this.#transport = transport;
  }

  history(): readonly StoredMessage[] {
    return this.#history;
  }

  unread(): number {
    return this.#unread;
  }

  /** Who something written or sent to the room now goes to: everyone known in the room but this device, online or away. */
  members(): string[] {
    return this.#transport.members();
  }

  /** The members writing to the room now. */
  typing(): string[] {
    return this.#typing.who();
  }

  /** Reads the conversation from the store, in turn with what comes in (see ChatService.load). */
  load(): Promise<void> {
    return this.inTurn(async () => {
      const [history, unread] = await Promise.all([this.#store.history(this.conversation), this.#store.unreadCount(this.conversation)]);
      this.#history = history;
      this.#unread = unread;
      this.#changed();
    });
  }

  /** Whether anything waits to go to `device`: messages it has not acknowledged, or read receipts for its messages. */
  async hasPending(device: string): Promise<boolean> {
    const [pending, receipts] = await Promise.all([this.#store.pendingFor(this.conversation, device), this.#store.readUnreceipted(this.conversation)]);
    return pending.length > 0 || receipts.some((m) => m.author === device);
  }

  /** Writes a message to the room: stored here, then sent to each member. What cannot be sent is said (`wh-room-error`). */
  async send(text: string): Promise<void> {
    const trimmed = text.trim();
    if (!trimmed) return;
    const members = this.#transport.members();
    const refused =
      trimmed.length > MAX_MESSAGE_TEXT ? `A message can be at most ${MAX_MESSAGE_TEXT} characters.` : members.length === 0 ? 'No one else is in this room yet: share its link first.' : null;
    if (refused) {
      this.emit('wh-room-error', refused);
      return;
    }
    const message: StoredMessage = {
      id: randomId(16),
      conversation: this.conversation,
      direction: 'out',
      text: trimmed,
      sentAt: Date.now(),
      at: this.#clock(),
      status: 'queued',
      receiptSent: 0,
      recipients: Object.fromEntries(members.map((device) => [device, 'queued' as const])),
    };
    try {
      await this.#store.add(message);
    } catch (error) {
      this.emit('wh-room-error', error instanceof Error ? error.message : String(error));
      return;
    }
    this.#history = [...this.#history, message];
    this.#changed();
    await Promise.all(members.map((device) => this.#outgoing.run(device, () => this.#sendTo(device, message))));
  }

  /**
   * Adds an entry made elsewhere (a file sent to the room, or offered to this device in it) to the room's
   * conversation, with the transfers it shows written in the same transaction; false when it was there
   * already. An incoming entry that is still 'delivered' counts as unread. A full disk throws.
   */
  async record(entry: StoredMessage, transfers: readonly StoredTransfer[] = []): Promise<boolean> {
    const stored: StoredMessage = { ...entry, conversation: this.conversation, at: this.#clock() };
    if (!(await this.#store.add(stored, transfers))) return false;
    this.#append(stored);
    return true;
  }

  /** A channel to the member opened (their key verified): what they have not acknowledged goes, in order, then the receipts for theirs. */
  async channelOpened(device: string): Promise<void> {
    await this.#outgoing.run(device, async () => {
      const sent: string[] = [];
      let refused = false;
      for (const message of await this.#store.pendingFor(this.conversation, device)) {
        if (!this.#transport.send(device, this.#frame(message))) {
          refused = true;
          this.#transport.want(device);
          break;
        }
        if (message.recipients?.[device] === 'queued') sent.push(message.id);
      }
      if (refused) this.#held.add(device);
      else this.#held.delete(device);
      if (sent.length > 0) await this.#advance(device, sent, 'sent');
    });
    await this.#sendReceipts(device);
  }

  channelClosed(device: string): void {
    this.#typing.stop(device);
  }

  /** A room frame from the member's channel; frames are handled one after another, in the order they came. */
  receive(device: string, frame: RoomFrame): Promise<void> {
    if (frame.t === 'room-typing') {
      if (frame.room === this.room) {
        if (frame.on) this.#typing.start(device);
        else this.#typing.stop(device);
      }
      return Promise.resolve();
    }
    const run = async () => {
      if (frame.t === 'room-msg') await this.#receiveMessage(device, frame);
      else await this.#advance(device, frame.ids, frame.t === 'room-ack' ? 'delivered' : 'read');
    };
    this.#incoming = this.#incoming.then(run, run);
    return this.#incoming;
  }

  /** Runs `work` (storing what the mailbox brought for the room) in turn with the frames from its members. */
  inTurn(work: () => Promise<void>): Promise<void> {
    this.#incoming = this.#incoming.then(work, work);
    return this.#incoming;
  }

  /** Whether the room's conversation is on screen (and the page visible): what is on screen is read. */
  async setActive(active: boolean, visible: boolean): Promise<void> {
    this.#active = active;
    this.#visible = visible;
    if (active && visible) await this.#readVisible();
  }

  /** Tells every member whose channel is open that this device is writing to the room, or stopped. */
  sendTyping(on: boolean): void {
    for (const device of this.#transport.members()) this.#transport.send(device, { t: 'room-typing', room: this.room, on });
  }

  async #sendTo(device: string, message: StoredMessage): Promise<void> {
    if (this.#held.has(device) || !this.#transport.send(device, this.#frame(message))) {
      this.#held.add(device);
      this.#transport.want(device);
      return;
    }
    await this.#advance(device, [message.id], 'sent');
  }

  #frame(message: StoredMessage): RoomFrame {
    return { t: 'room-msg', room: this.room, id: message.id, text: message.text, sentAt: message.sentAt };
  }

  async #receiveMessage(device: string, frame: Extract<RoomFrame, { t: 'room-msg' }>): Promise<void> {
    // A message for another room (the sender's app is in another one with this device): not this room's to keep.
    if (frame.room !== this.room) return;
    const message: StoredMessage = {
      id: frame.id,
      conversation: this.conversation,
      direction: 'in',
      author: device,
      text: frame.text,
      sentAt: frame.sentAt,
      at: this.#clock(),
      status: 'delivered',
      receiptSent: 0,
    };
    let isNew: boolean;
    try {
      isNew = await this.#store.add(message);
    } catch (error) {
      // Not stored, so not acknowledged: the sender keeps it for this device and tries again later.
      this.emit('wh-room-error', error instanceof Error ? error.message : String(error));
      return;
    }
    this.#transport.send(device, { t: 'room-ack', ids: [frame.id] });
    this.#typing.stop(device);
    if (!isNew) return;
    this.#append(message);
  }

  /**
   * Messages of this conversation that the store took from elsewhere (the mailbox: a message fetched, a status
   * moved by a receipt, a deposit noted): shown as stored, without reading the history again (which would
   * drop a message whose own write is still under way).
   */
  took(messages: readonly StoredMessage[]): void {
    for (const message of messages) {
      if (message.conversation !== this.conversation) continue;
      if (this.#history.some((m) => m.id === message.id)) {
        this.#history = this.#history.map((m) => (m.id === message.id ? message : m));
        this.#changed();
      } else this.#append(message);
    }
  }

  /** A new entry at the end of the history; one from someone else is read at once when on screen, else unread. */
  #append(message: StoredMessage): void {
    this.#history = inStoredOrder(this.#history, message);
    if (message.direction === 'in' && message.status === 'delivered') {
      if (this.#active && this.#visible) this.#readSoon();
      else this.#unread++;
    }
    this.#changed();
  }

  /** A member's receipt: their status of own messages moves on, and the message's own (the least of all). */
  async #advance(device: string, ids: readonly string[], status: StoredMessage['status']): Promise<void> {
    const changed = await this.#store.advanceRecipient(ids, this.conversation, device, status);
    if (changed.length === 0) return;
    const byId = new Map(changed.map((m) => [m.id, m]));
    this.#history = this.#history.map((m) => byId.get(m.id) ?? m);
    this.#changed();
  }

  #readSoon(): void {
    if (this.#reading) return;
    this.#reading = setTimeout(() => {
      this.#reading = null;
      if (this.#active && this.#visible) void this.#readVisible().catch((error: unknown) => this.emit('wh-room-error', String(error)));
    }, READ_RECEIPT_DELAY_MS);
  }

  async #readVisible(): Promise<void> {
    const ids = new Set(await this.#store.markRead(this.conversation));
    if (ids.size > 0) this.#history = this.#history.map((m) => (ids.has(m.id) ? { ...m, status: 'read' as const } : m));
    this.#unread = 0;
    this.#changed();
    await this.#sendReceipts();
  }

  /** Read receipts that wait, each to the message's author (only to `device` when given). */
  async #sendReceipts(device?: string): Promise<void> {
    const byAuthor = new Map<string, string[]>();
    for (const message of await this.#store.readUnreceipted(this.conversation)) {
      if (!message.author || (device && message.author !== device)) continue;
      byAuthor.set(message.author, [...(byAuthor.get(message.author) ?? []), message.id]);
    }
    for (const [author, ids] of byAuthor) {
      if (this.#transport.send(author, { t: 'room-read', ids: ids.slice(0, 500) })) await this.#store.markReceiptsSent(ids.slice(0, 500));
      else this.#transport.receiptsWaiting?.(author);
    }
  }

  /** Local time in ms, strictly increasing: the stored order is the order of events here. */
  #clock(): number {
    this.#lastAt = Math.max(Date.now(), this.#lastAt + 0.001);
    return this.#lastAt;
  }

  #changed(): void {
    this.emit('wh-room-conversation', undefined);
  }
}
