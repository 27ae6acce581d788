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
 */
import { TypedEventTarget } from '../events/typed-event-target.js';
import { randomId } from '../identity/random-id.js';
import type { StoredMessage } from '../storage/database.js';
import type { MessageStore } from '../storage/message-store.js';
import { MAX_MESSAGE_TEXT, parseChatFrame, type ChatFrame } from './chat-wire.js';

export interface ChatTransport {
  /** Writes a frame to the device's open channel; false when there is none. */
  send(device: string, frame: ChatFrame): boolean;
  /** Asks for a channel to the device when it is online (messages wait for it). */
  want(device: string): void;
}

export interface ChatEventMap {
  /** Something in this conversation changed: history, a status, typing, unread count. */
  'wh-conversation': CustomEvent<string>;
  'wh-storage-error': CustomEvent<string>;
}

/** How long "typing…" stays up after the last sign of it. */
const TYPING_SHOWN_MS = 5000;
const PING_SAMPLES = 5;

export class ChatService extends TypedEventTarget<ChatEventMap> {
  readonly #store: MessageStore;
  readonly #transport: ChatTransport;
  readonly #histories = new Map<string, StoredMessage[]>();
  readonly #unread = new Map<string, number>();
  readonly #typingUntil = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #pings = new Map<number, (at: number) => void>();
  /** Per device, the work in progress in each direction: frames are handled, and messages go out, one at a time in order. */
  readonly #outgoing = new Map<string, Promise<void>>();
  readonly #incoming = new Map<string, Promise<void>>();
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
    return this.#typingUntil.has(device);
  }

  async load(device: string): Promise<void> {
    const [history, unread] = await Promise.all([this.#store.history(device), this.#store.unreadCount(device)]);
    this.#histories.set(device, history);
    this.#unread.set(device, unread);
    this.#changed(device);
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
    try {
      await this.#store.add(message);
    } catch (error) {
      this.emit('wh-storage-error', error instanceof Error ? error.message : String(error));
      return;
    }
    this.#append(message);
    this.#transport.send(device, { t: 'typing', on: false });
    await this.#pump(device, false);
  }

  /**
   * A channel to `device` opened (and its key was verified): everything not yet
   * acknowledged goes again, in order (the last channel may have lost it), then
   * the read receipts that wait.
   */
  async channelOpened(device: string): Promise<void> {
    await this.#pump(device, true);
    await this.#sendReceipts(device);
  }

  /** Sends waiting messages in order, one run at a time per device. */
  #pump(device: string, resendUnacknowledged: boolean): Promise<void> {
    const run = async () => {
      const waiting = await this.#store.undelivered(device);
      for (const message of waiting) {
        if (message.status === 'sent' && !resendUnacknowledged) continue;
        if (!this.#transport.send(device, { t: 'msg', id: message.id, text: message.text, sentAt: message.sentAt })) {
          this.#transport.want(device);
          return;
        }
        if (message.status === 'queued') await this.#advance(device, [message.id], 'sent');
      }
    };
    const next = (this.#outgoing.get(device) ?? Promise.resolve()).then(run, run);
    this.#outgoing.set(device, next);
    return next;
  }

  channelClosed(device: string): void {
    this.#stopTyping(device);
  }

  /** A frame from `device`'s channel. Frames are handled one after another, in the order they came. */
  receive(device: string, text: string): Promise<void> {
    const frame = parseChatFrame(text);
    if (!frame) return Promise.resolve();
    const at = this.#clock();
    const run = () => this.#handle(device, frame, at);
    const next = (this.#incoming.get(device) ?? Promise.resolve()).then(run, run);
    this.#incoming.set(device, next);
    return next;
  }

  async #handle(device: string, frame: ChatFrame, at: number): Promise<void> {
    switch (frame.t) {
      case 'msg':
        await this.#receiveMessage(device, frame, at);
        return;
      case 'ack':
        await this.#advance(device, frame.ids, 'delivered');
        return;
      case 'read':
        await this.#advance(device, frame.ids, 'read');
        return;
      case 'typing':
        if (frame.on) this.#startTyping(device);
        else this.#stopTyping(device);
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
    try {
      isNew = await this.#store.add(message);
    } catch (error) {
      // Not stored, so not acknowledged: the sender keeps it and tries again later.
      this.emit('wh-storage-error', error instanceof Error ? error.message : String(error));
      return;
    }
    this.#transport.send(device, { t: 'ack', ids: [frame.id] });
    this.#stopTyping(device);
    if (!isNew) return;
    this.#append(message);
    this.#unread.set(device, this.unread(device) + 1);
    this.#changed(device);
    if (this.#active === device && this.#visible) await this.#readVisible(device);
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
  }

  async #advance(device: string, ids: readonly string[], status: StoredMessage['status']): Promise<void> {
    const changed = await this.#store.advance(ids, status, device);
    if (changed.length === 0) return;
    this.#patch(device, changed.map((m) => m.id), status);
    this.#changed(device);
  }

  #patch(device: string, ids: readonly string[], status: StoredMessage['status']): void {
    const history = this.#histories.get(device);
    if (!history) return;
    const wanted = new Set(ids);
    this.#histories.set(device, history.map((m) => (wanted.has(m.id) ? { ...m, status } : m)));
  }

  #replace(message: StoredMessage): void {
    const history = this.#histories.get(message.conversation);
    if (history) this.#histories.set(message.conversation, history.map((m) => (m.id === message.id ? message : m)));
    this.#changed(message.conversation);
  }

  #append(message: StoredMessage): void {
    const history = this.#histories.get(message.conversation);
    if (history) this.#histories.set(message.conversation, [...history, message]);
    this.#changed(message.conversation);
  }

  #startTyping(device: string): void {
    const previous = this.#typingUntil.get(device);
    if (previous) clearTimeout(previous);
    this.#typingUntil.set(device, setTimeout(() => this.#stopTyping(device), TYPING_SHOWN_MS));
    if (!previous) this.#changed(device);
  }

  #stopTyping(device: string): void {
    const timer = this.#typingUntil.get(device);
    if (!timer) return;
    clearTimeout(timer);
    this.#typingUntil.delete(device);
    this.#changed(device);
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
