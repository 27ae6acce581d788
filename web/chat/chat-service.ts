/**
 * Chat between this device and others, over their data channels: storing,
 * acknowledging, queueing and replaying messages so that none is lost or
 * shown twice, plus read receipts, typing and ping.
 *
 * Delivery: a message is stored here first ("queued"), written to the channel
 * ("sent"), stored by the other device, which answers `ack` ("delivered"), and
 * seen on its screen, which answers `read` ("read"). Whenever a channel opens,
 * every message not yet acknowledged goes again, in order; the receiver keeps
 * one copy per id and acknowledges again.
 *
 * The path from Send to "Delivered" holds one IndexedDB transaction on each
 * side: the message goes out while it is being stored here (the two overlap),
 * it is stored there before the `ack`, and "Delivered" is shown only once both
 * are committed. A crash in the few milliseconds before the local commit can
 * cost this device its own copy of a message the other side received; it never
 * shows a message as Delivered that is not stored on both sides. A status is
 * shown as soon as it is known and stored after (a crash in between costs only
 * the status, which the next `ack` brings back: the message goes again and is
 * acknowledged again).
 */
import { TypedEventTarget } from '../events/typed-event-target.js';
import { randomId } from '../identity/random-id.js';
import type { StoredMessage } from '../storage/database.js';
import { STATUS_RANK, type MessageStore } from '../storage/message-store.js';
import { MAX_MESSAGE_TEXT, parseChatFrame, type ChatFrame } from './chat-wire.js';
import { timeAcked, timeDelivered, timeSent, timeStored, timings } from './delivery-timings.js';
import { inStoredOrder } from './history-order.js';
import { Turns } from './turns.js';
import { TypingIndicator } from './typing-indicator.js';


export interface ChatTransport {
  /** Writes a frame to the device's open channel; false when there is none. */
  send(device: string, frame: ChatFrame): boolean;
  /** Asks for a channel to the device when it is online (messages wait for it). */
  want(device: string): void;
  /** Read receipts for the device wait: no channel took them (the mailbox may). */
  receiptsWaiting?(device: string): void;
}

export interface ChatEventMap {
  /** Something in this conversation changed: history, a status, typing, unread count. */
  'wh-conversation': CustomEvent<string>;
  'wh-storage-error': CustomEvent<string>;
}

const PING_SAMPLES = 5;
/** Messages read within this time of each other get one `read` receipt, and one write. */
const READ_RECEIPT_DELAY_MS = 100;

export class ChatService extends TypedEventTarget<ChatEventMap> {
  readonly #store: MessageStore;
  readonly #transport: ChatTransport;
  readonly #histories = new Map<string, StoredMessage[]>();
  readonly #unread = new Map<string, number>();
  readonly #typing = new TypingIndicator((device) => this.#changed(device));
  readonly #pings = new Map<number, (at: number) => void>();
  /** Per device, the work in progress in each direction: frames are handled, and messages go out, one at a time in order. */
  readonly #outgoing = new Turns();
  readonly #incoming = new Turns();
  /**
   * Devices whose channel refused a message since it last opened: what waits there goes, in order, when it
   * opens again, and a new message waits behind it.
   */
  readonly #held = new Set<string>();
  /** Own messages written to a channel on this page and not yet acknowledged: a new message goes once, not again behind a replay that took it. */
  readonly #wentOut = new Set<string>();
  /** Per device, the pending pass that marks what is on screen read (one for a burst of messages). */
  readonly #reading = new Map<string, ReturnType<typeof setTimeout>>();
  /**
   * Own messages being stored here, with the furthest status heard for them meanwhile (an `ack` can come
   * back before this side's own write has committed): applied the moment the write commits.
   */
  readonly #storing = new Map<string, StoredMessage['status']>();
  #lastAt = 0;
  #pingCounter = 0;
  #active: string | null = null;
  #visible = true;

  constructor(store: MessageStore, transport: ChatTransport) {
    super();
    this.#store = store;
    this.#transport = transport;
  }

  /** The conversation's messages in display order, once loaded with `load`. */
  history(device: string): readonly StoredMessage[] {
    return this.#histories.get(device) ?? [];
  }

  unread(device: string): number {
    return this.#unread.get(device) ?? 0;
  }

  isTyping(device: string): boolean {
    return this.#typing.has(device);
  }

  /**
   * Reads the conversation from the store, in turn with what comes from the device (a frame, or what the mailbox
   * brought): something stored while it is read would otherwise be in neither the history read nor the one shown.
   */
  load(device: string): Promise<void> {
    return this.#incoming.run(device, async () => {
      const [history, unread] = await Promise.all([this.#store.history(device), this.#store.unreadCount(device)]);
      this.#histories.set(device, history);
      this.#unread.set(device, unread);
      this.#changed(device);
    });
  }

  /** The conversation is no longer this device's to show (it moved to another key). */
  forget(device: string): void {
    this.#histories.delete(device);
    this.#unread.delete(device);
  }

  /** Whether `device` has anything waiting to go to it (messages or read receipts). */
  async hasPending(device: string): Promise<boolean> {
    const [undelivered, receipts] = await Promise.all([this.#store.undelivered(device), this.#store.pendingReceipts(device)]);
    return undelivered.length > 0 || receipts.length > 0;
  }

  /** The conversation on screen (null for none) and whether the page is visible: what counts as "read". */
  async setActive(device: string | null, visible: boolean): Promise<void> {
    this.#active = device;
    this.#visible = visible;
    if (device && visible) await this.#readVisible(device);
  }

  /**
   * Adds an entry made elsewhere (a file transfer, whose id it shares, or a
   * call) to the conversation; false when it was there already. An incoming
   * entry that is still 'delivered' counts as unread.
   */
  async record(message: StoredMessage): Promise<boolean> {
    const stored = { ...message, at: this.#clock() };
    if (!(await this.#store.add(stored))) {
      const repaired = message.transfer ? await this.#store.repairAsTransfer(message) : null;
      if (repaired) this.#replace(repaired);
      return false;
    }
    this.#append(stored);
    if (message.direction === 'in' && message.status === 'delivered') {
      this.#unread.set(message.conversation, this.unread(message.conversation) + 1);
      this.#changed(message.conversation);
      if (this.#active === message.conversation && this.#visible) await this.#readVisible(message.conversation);
    }
    return true;
  }

  async send(device: string, text: string): Promise<void> {
    const trimmed = text.trim();
    if (!trimmed) return;
    if (trimmed.length > MAX_MESSAGE_TEXT) throw new Error(`A message can be at most ${MAX_MESSAGE_TEXT} characters.`);
    const message: StoredMessage = { id: randomId(16), conversation: device, direction: 'out', text: trimmed, sentAt: Date.now(), at: this.#clock(), status: 'queued', receiptSent: 0 };
    timeSent(message.id);
    // Stored while it goes out. A replay (`#pump`) reads the store in a transaction opened after this one,
    // so it sees the message whenever it runs.
    this.#storing.set(message.id, 'queued');
    const storing = this.#store.add(message).then(
      () => {
        timeStored(message.id);
        const heard = this.#storing.get(message.id)!;
        this.#storing.delete(message.id);
        if (heard !== 'queued') return this.#advance(device, [message.id], heard);
      },
      (error: unknown) => {
        this.#storing.delete(message.id);
        this.#remove(message);
        this.emit('wh-storage-error', error instanceof Error ? error.message : String(error));
      },
    );
    // Out first, then on screen: the message goes in the microtask before the one that redraws the list.
    const sending = this.#outgoing.run(device, async () => {
      // A replay of what waited (the channel opened meanwhile) may have taken it already.
      if (this.#wentOut.has(message.id)) return;
      // Behind messages that wait for the channel: they go first, when it opens.
      if (this.#held.has(device) || !this.#transport.send(device, { t: 'msg', id: message.id, text: message.text, sentAt: message.sentAt })) {
        this.#held.add(device);
        this.#transport.want(device);
        return;
      }
      this.#wentOut.add(message.id);
      this.#transport.send(device, { t: 'typing', on: false });
      await this.#advance(device, [message.id], 'sent');
    });
    this.#append(message);
    await Promise.all([storing, sending]);
  }

  /**
   * A channel to `device` opened (and its key was verified): everything not yet
   * acknowledged goes again, in order (the last channel may have lost it), then
   * the read receipts that wait.
   */
  async channelOpened(device: string): Promise<void> {
    await this.#pump(device);
    await this.#sendReceipts(device);
  }

  /** Sends every stored message not yet acknowledged, in order, after what is already going out. */
  #pump(device: string): Promise<void> {
    return this.#outgoing.run(device, async () => {
      const sent: string[] = [];
      let refused = false;
      for (const message of await this.#store.undelivered(device)) {
        if (!this.#transport.send(device, { t: 'msg', id: message.id, text: message.text, sentAt: message.sentAt })) {
          refused = true;
          this.#transport.want(device);
          break;
        }
        this.#wentOut.add(message.id);
        if (message.status === 'queued') sent.push(message.id);
      }
      if (refused) this.#held.add(device);
      else this.#held.delete(device);
      if (sent.length > 0) await this.#advance(device, sent, 'sent');
    });
  }

  channelClosed(device: string): void {
    this.#typing.stop(device);
  }

  /** A frame from `device`'s channel. Frames are handled one after another, in the order they came. */
  receive(device: string, text: string): Promise<void> {
    const frame = parseChatFrame(text);
    if (!frame) return Promise.resolve();
    // Pings and typing wait for nothing stored: answered at once, a ping measures the channel alone.
    if (frame.t === 'ping' || frame.t === 'pong' || frame.t === 'typing') {
      void this.#handle(device, frame, 0);
      return Promise.resolve();
    }
    // Timed when stored, not when it came: copies from the mailbox take turns here too (`inTurn`), and the order
    // of the stored times is then the order things were stored in.
    return this.#incoming.run(device, () => this.#handle(device, frame, this.#clock()));
  }

  /** Runs `work` (storing what the mailbox brought for the conversation) in turn with the frames from that device. */
  inTurn(conversation: string, work: () => Promise<void>): Promise<void> {
    return this.#incoming.run(conversation, work);
  }

  async #handle(device: string, frame: ChatFrame, at: number): Promise<void> {
    switch (frame.t) {
      case 'msg':
        await this.#receiveMessage(device, frame, at);
        return;
      case 'ack':
        timeAcked(frame.ids);
        await this.#advance(device, frame.ids, 'delivered');
        return;
      case 'read':
        await this.#advance(device, frame.ids, 'read');
        return;
      case 'typing':
        if (frame.on) this.#typing.start(device);
        else this.#typing.stop(device);
        return;
      case 'ping':
        this.#transport.send(device, { t: 'pong', n: frame.n, at: frame.at });
        return;
      case 'pong':
        this.#pings.get(frame.n)?.(frame.at);
        return;
    }
  }

  typing(device: string, on: boolean): void {
    this.#transport.send(device, { t: 'typing', on });
  }

  /** Round-trip time over the data channel: the median of several pings, in ms; null when not connected. */
  async ping(device: string): Promise<number | null> {
    const samples: number[] = [];
    for (let i = 0; i < PING_SAMPLES; i++) {
      const n = ++this.#pingCounter;
      const sample = new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => {
          this.#pings.delete(n);
          resolve(null);
        }, 3000);
        this.#pings.set(n, (at) => {
          clearTimeout(timer);
          this.#pings.delete(n);
          resolve(performance.now() - at);
        });
      });
      if (!this.#transport.send(device, { t: 'ping', n, at: performance.now() })) {
        this.#pings.delete(n);
        return null;
      }
      const rtt = await sample;
      if (rtt !== null) samples.push(rtt);
    }
    if (samples.length === 0) return null;
    samples.sort((a, b) => a - b);
    return samples[Math.floor(samples.length / 2)]!;
  }

  async #receiveMessage(device: string, frame: Extract<ChatFrame, { t: 'msg' }>, at: number): Promise<void> {
    const message: StoredMessage = {
      id: frame.id,
      conversation: device,
      direction: 'in',
      text: frame.text,
      sentAt: frame.sentAt,
      at,
      status: 'delivered',
      receiptSent: 0,
    };
    let isNew: boolean;
    const storing = timings() ? performance.now() : undefined;
    try {
      isNew = await this.#store.add(message);
      if (storing !== undefined) timings()?.received.push({ id: frame.id, storing, stored: performance.now() });
    } catch (error) {
      // Not stored, so not acknowledged: the sender keeps it and tries again later.
      this.emit('wh-storage-error', error instanceof Error ? error.message : String(error));
      return;
    }
    this.#transport.send(device, { t: 'ack', ids: [frame.id] });
    this.#typing.stop(device);
    if (!isNew) return;
    this.#append(message);
    // On screen, it is read in a moment (with whatever else comes meanwhile): it never counts as unread.
    if (this.#active === device && this.#visible) this.#readSoon(device);
    else this.#unread.set(device, this.unread(device) + 1);
    this.#changed(device);
  }

  /** Marks what is on screen read shortly, once for a burst of messages: one write and one receipt. */
  #readSoon(device: string): void {
    if (this.#reading.has(device)) return;
    this.#reading.set(
      device,
      setTimeout(() => {
        this.#reading.delete(device);
        if (this.#active === device && this.#visible) void this.#readVisible(device).catch((error: unknown) => this.emit('wh-storage-error', String(error)));
      }, READ_RECEIPT_DELAY_MS),
    );
  }

  async #readVisible(device: string): Promise<void> {
    const ids = await this.#store.markRead(device);
    if (ids.length > 0) this.#patch(device, ids, 'read');
    this.#unread.set(device, 0);
    this.#changed(device);
    await this.#sendReceipts(device);
  }

  async #sendReceipts(device: string): Promise<void> {
    const ids = await this.#store.pendingReceipts(device);
    if (ids.length === 0) return;
    if (this.#transport.send(device, { t: 'read', ids })) await this.#store.markReceiptsSent(ids);
    else this.#transport.receiptsWaiting?.(device);
  }

  /**
   * Moves own messages forward to `status`: shown at once (the message itself is stored on both sides by
   * now), then stored. Receipts name only own messages: an id of theirs is ignored.
   */
  async #advance(device: string, allIds: readonly string[], status: StoredMessage['status']): Promise<void> {
    // Messages whose own write has not committed yet take the status when it does (in `send`).
    const ids = allIds.filter((id) => {
      const heard = this.#storing.get(id);
      if (heard === undefined) return true;
      if (STATUS_RANK[status] > STATUS_RANK[heard]) this.#storing.set(id, status);
      return false;
    });
    if (ids.length === 0) return;
    if (status === 'delivered' || status === 'read') for (const id of ids) this.#wentOut.delete(id);
    const shown = this.#patch(device, ids, status, 'out');
    if (shown.length > 0) {
      this.#changed(device);
      if (status === 'delivered' || status === 'read') timeDelivered(shown);
    }
    const stored = await this.#store.advance(ids, status, device, 'out');
    // Not loaded on this page (or loaded since): what changed in storage is shown now.
    const missed = stored.filter((m) => !shown.includes(m.id));
    if (missed.length > 0 && this.#patch(device, missed.map((m) => m.id), status, 'out').length > 0) this.#changed(device);
  }

  /** Moves the loaded messages with these ids (and this direction, when given) forward to `status`; returns those that moved. */
  #patch(device: string, ids: readonly string[], status: StoredMessage['status'], direction?: StoredMessage['direction']): string[] {
    const history = this.#histories.get(device);
    if (!history) return [];
    const wanted = new Set(ids);
    const moved: string[] = [];
    const next = history.map((m) => {
      if (!wanted.has(m.id) || (direction && m.direction !== direction) || STATUS_RANK[m.status] >= STATUS_RANK[status]) return m;
      moved.push(m.id);
      return { ...m, status };
    });
    if (moved.length > 0) this.#histories.set(device, next);
    return moved;
  }

  /**
   * Messages that the store took from elsewhere (the mailbox: a message fetched, a status moved by a receipt,
   * a deposit noted): shown as stored, without reading the history again (which would drop a message whose
   * own write is still under way). A new message from someone else is read at once when on screen, else unread.
   */
  took(messages: readonly StoredMessage[]): void {
    for (const message of messages) {
      const history = this.#histories.get(message.conversation);
      if (!history) continue;
      if (history.some((m) => m.id === message.id)) {
        this.#replace(message);
        continue;
      }
      this.#append(message);
      if (message.direction !== 'in' || message.status !== 'delivered') continue;
      if (this.#active === message.conversation && this.#visible) this.#readSoon(message.conversation);
      else this.#unread.set(message.conversation, this.unread(message.conversation) + 1);
      this.#changed(message.conversation);
    }
  }

  #replace(message: StoredMessage): void {
    const history = this.#histories.get(message.conversation);
    if (history) this.#histories.set(message.conversation, history.map((m) => (m.id === message.id ? message : m)));
    this.#changed(message.conversation);
  }

  /** An own message that could not be stored leaves the screen (the error says why). */
  #remove(message: StoredMessage): void {
    const history = this.#histories.get(message.conversation);
    if (history) this.#histories.set(message.conversation, history.filter((m) => m.id !== message.id));
    this.#changed(message.conversation);
  }

  #append(message: StoredMessage): void {
    const history = this.#histories.get(message.conversation);
    if (history) this.#histories.set(message.conversation, inStoredOrder(history, message));
    this.#changed(message.conversation);
  }

  /** Local time in ms, strictly increasing, so that the stored order is the order of events here. */
  #clock(): number {
    this.#lastAt = Math.max(Date.now(), this.#lastAt + 0.001);
    return this.#lastAt;
  }

  #changed(device: string): void {
    this.emit('wh-conversation', device);
  }
}
