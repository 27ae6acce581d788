/**
 * The mailbox in a room (issue 30), page side:
 *
 * - each person whose connection proved their key gets a `mailbox` frame: this device's mailbox, its current
 *   key, and a capability and MAC key made for them alone; the server is told whose capabilities may write
 *   (only their hashes). What they hand back is kept under the key their channel proved. "Key changed"
 *   discards both, and the server is told.
 * - a message (one-to-one or to the room) that waits for someone whose app is closed is sealed to their
 *   mailbox and deposited, then pushed; it shows "Waiting in Bob's mailbox", and still goes over the channel
 *   when one opens (stored once there, by id). A full mailbox is said in words; the message waits here.
 * - this device's own mailbox is read when the room starts, when the network comes back and when the page
 *   comes to the front (where no push wakes the worker, this is how entries arrive).
 * - "Hold my messages on the server while I'm away" off: contacts are told there is no mailbox for them, and
 *   the server that no one may write.
 */
import type { ChatService } from '../chat/chat-service.js';
import type { RoomChat } from '../chat/room-chat.js';
import { Turns } from '../chat/turns.js';
import { TypedEventTarget } from '../events/typed-event-target.js';
import type { StoredMessage, WhisperDatabase } from '../storage/database.js';
import type { MessageStore } from '../storage/message-store.js';
import type { MailboxClient } from './mailbox-client.js';
import type { MailboxKeys } from './mailbox-keys.js';
import type { MailboxFrame } from './mailbox-wire.js';

/**
 * The mailbox's code comes with its first use (a connection opening, the first read of the mailbox), not with
 * the app's first load.
 */
const loadMailbox = () =>
  Promise.all([import('./mailbox-client.js'), import('./mailbox-inbox.js'), import('./mailbox-keys.js'), import('./mailbox-deliveries.js'), import('./mailbox-wire.js')]).then(
    ([client, inbox, keys, deliveries, wire]) => ({ ...client, ...inbox, ...keys, ...deliveries, ...wire }),
  );
type MailboxModules = Awaited<ReturnType<typeof loadMailbox>>;

export interface MailboxServiceOptions {
  db: WhisperDatabase;
  room: string;
  /** This device's key, and its name as the others see it. */
  device: string;
  name: string;
  messages: MessageStore;
  chat: ChatService;
  roomChat: RoomChat;
  /** Writes a frame to the person's open, proven channel; false when there is none. */
  send(device: string, frame: MailboxFrame): boolean;
  /** Whether this device hands the person a mailbox (not withdrawn from them, verified where only verified contacts count). */
  mayWrite(device: string): Promise<boolean>;
  nameOf(device: string): string;
  origin?: string;
  fetch?: typeof fetch;
}

export interface MailboxServiceEventMap {
  /** Something the person should be told, in words (a full mailbox). */
  'wh-mailbox-notice': CustomEvent<string>;
  /** "Hold my messages…" or "Show message text…" changed. */
  'wh-mailbox-settings': CustomEvent<void>;
}

export class MailboxService extends TypedEventTarget<MailboxServiceEventMap> {
  readonly name = 'mailbox';
  readonly #options: MailboxServiceOptions;
  readonly #origin: string;
  #loaded: Promise<{ code: MailboxModules; keys: MailboxKeys; client: MailboxClient }> | null = null;
  readonly #deposits = new Turns();
  #writers: Promise<void> = Promise.resolve();
  /** The writers as last set on the server (sorted, joined), null before the first PUT of this page. */
  #putWriters: string | null = null;
  #settings = { hold: true, showText: true };
  #collecting: Promise<void> | null = null;
  #again = false;
  /** Per person, the last refusal said, so that one full mailbox is not said for every message. */
  readonly #told = new Map<string, string>();

  constructor(options: MailboxServiceOptions) {
    super();
    this.#options = options;
    this.#origin = options.origin ?? location.origin;
    // The service worker reads the mailbox while the app is closed: it needs this device's key, and cannot read the certificate it comes from.
    void options.db.put('settings', options.device, 'deviceKey');
    // What the worker stored from a push (a receipt while this page is open) is shown here too.
    navigator.serviceWorker?.addEventListener('message', this.#onWorkerMessage);
  }

  readonly #onWorkerMessage = (event: MessageEvent<unknown>) => void this.#workerStored(event.data);

  /** The room is left: the worker's word goes to the next room's session. */
  stop(): void {
    navigator.serviceWorker?.removeEventListener('message', this.#onWorkerMessage);
  }

  /** The worker says which messages it stored or moved: read from this device's store (the message names only ids). */
  async #workerStored(data: unknown): Promise<void> {
    // MAILBOX_STORED of mailbox-inbox.ts, spelled here: that module loads only with the mailbox's first use.
    const ids = (data as { type?: unknown; ids?: unknown } | null)?.type === 'whisper-mailbox-stored' ? (data as { ids: unknown }).ids : null;
    if (!Array.isArray(ids)) return;
    const wanted = ids.filter((id): id is string => typeof id === 'string').slice(0, 1000);
    const found = await Promise.all(wanted.map((id) => this.#options.db.get('messages', id)));
    this.#took(found.filter((message): message is StoredMessage => message !== undefined));
  }

  /** A `mailbox` frame (as `mailboxFrame` writes it, `t` first), checked in full by `receive`. */
  parse(text: string): Promise<MailboxFrame | null> | null {
    return text.startsWith('{"t":"mailbox"') ? this.#load().then(({ code }) => code.parseMailboxFrame(text)) : null;
  }

  #load(): Promise<{ code: MailboxModules; keys: MailboxKeys; client: MailboxClient }> {
    this.#loaded ??= loadMailbox().then((code) => ({ code, keys: new code.MailboxKeys(this.#options.db), client: new code.MailboxClient(this.#origin, this.#options.fetch) }));
    return this.#loaded;
  }

  /** Their mailbox, as their proven channel handed it over. */
  async receive(device: string, frame: Promise<MailboxFrame | null> | MailboxFrame | null): Promise<void> {
    const parsed = await frame;
    if (!parsed) return;
    const { keys } = await this.#load();
    await keys.received(device, parsed);
    // Something may have waited for a way to reach them.
    if (parsed.mailbox !== null) this.#told.delete(device);
  }

  /** A proven connection opened: they get this device's mailbox (or word that there is none for them). */
  async opened(device: string): Promise<void> {
    const { code, keys } = await this.#load();
    const hold = await this.holding();
    const target = hold && (await this.#options.mayWrite(device)) ? await keys.targetFor(device) : null;
    if (target) await this.#updateWriters();
    this.#options.send(device, code.mailboxFrame(target));
  }

  /** "Hold my messages on the server while I'm away" (on unless turned off). */
  async holding(): Promise<boolean> {
    return (await this.#options.db.get('settings', 'holdMessages')) !== false;
  }

  /** Both settings as last read or set (`readSettings`), for the switches. */
  get settings(): { hold: boolean; showText: boolean } {
    return this.#settings;
  }

  async readSettings(): Promise<void> {
    const { db } = this.#options;
    this.#settings = { hold: await this.holding(), showText: (await db.get('settings', 'notificationText')) !== false };
    this.emit('wh-mailbox-settings', undefined);
  }

  /** Turns holding on or off; off, the server is told that no one may write, and `connected` devices that there is no mailbox. */
  async setHolding(on: boolean, connected: readonly string[]): Promise<void> {
    await this.#options.db.put('settings', on, 'holdMessages');
    this.#settings = { ...this.#settings, hold: on };
    this.emit('wh-mailbox-settings', undefined);
    await this.#updateWriters();
    for (const device of connected) void this.opened(device);
  }

  /** "Show message text in notifications": read by the service worker when it shows what it fetched. */
  async setShowText(on: boolean): Promise<void> {
    await this.#options.db.put('settings', on, 'notificationText');
    this.#settings = { ...this.#settings, showText: on };
    this.emit('wh-mailbox-settings', undefined);
  }

  /** "Key changed": nothing goes to their mailbox, and their capability no longer writes to this one. */
  async forget(device: string): Promise<void> {
    const { keys } = await this.#load();
    await keys.forget(device);
    await this.#updateWriters();
  }

  /**
   * Something waits for `device`, whose app is closed: every message to them not yet in their mailbox is
   * deposited there, in order. False when they handed this device no mailbox (then only the plain push tells them).
   */
  waiting(device: string): Promise<boolean> {
    let result = false;
    return this.#deposits
      .run(device, async () => {
        result = await (await this.#deliveries()).depositWaiting(device);
      })
      .then(() => result);
  }

  /** Whatever waits for these people, all away (messages, offers, read receipts), that is not in their mailbox yet goes there. */
  async waitingForAll(devices: readonly string[]): Promise<void> {
    for (const device of devices) {
      await this.waiting(device);
      await this.receiptsFor(device);
    }
  }

  /** Read receipts wait for `device`, whose app is closed: sealed to their mailbox, then marked sent. */
  receiptsFor(device: string): Promise<void> {
    return this.#deposits.run(device, async () => {
      await (await this.#deliveries()).depositReadReceipts(device);
    });
  }

  /** Reads this device's mailbox now (once at a time; a call meanwhile reads it again after). */
  collect(): Promise<void> {
    if (this.#collecting) {
      this.#again = true;
      return this.#collecting;
    }
    this.#collecting = (async () => {
      do {
        this.#again = false;
        await this.#collectOnce();
      } while (this.#again);
    })().finally(() => (this.#collecting = null));
    return this.#collecting;
  }

  async #collectOnce(): Promise<void> {
    const { db, device, chat, roomChat } = this.#options;
    const { code, client } = await this.#load();
    // The mailbox is made (or kept from going idle) before it is read, until the server once said yes: a first
    // read would find none.
    if (this.#putWriters === null) await this.#updateWriters(true);
    const inTurn = (conversation: string, work: () => Promise<void>) => (conversation === roomChat.conversation ? roomChat.inTurn(work) : chat.inTurn(conversation, work));
    const result = await code.collectMailbox({ db, device, client, origin: this.#origin, inTurn }).catch(() => null);
    if (!result) return;
    // Gone from the server (its store lost, or idle too long): made again, with the same writers, so that contacts'
    // deposits are taken again. Nothing was in it to fetch.
    if (result.missing) await this.#updateWriters(true);
    this.#took([...result.stored, ...[...result.advanced.values()].flat()]);
    await result.sendReceipts();
  }

  /** Shows what the store took: the room's conversation, or a one-to-one one. */
  #took(messages: readonly StoredMessage[]): void {
    const { chat, roomChat } = this.#options;
    roomChat.took(messages.filter((m) => m.conversation === roomChat.conversation));
    chat.took(messages.filter((m) => !m.conversation.startsWith('room:')));
  }

  /** A deposit refused, in words: said once for the same words to the same person. */
  #tell(device: string, words: string): void {
    if (this.#told.get(device) === words) return;
    this.#told.set(device, words);
    this.emit('wh-mailbox-notice', words);
  }

  /** What deposits for people away need of this service, with the code that does them. */
  async #deliveries() {
    const { code, keys, client } = await this.#load();
    const { db, messages, room, name, device } = this.#options;
    return new code.Deliveries({ db, messages, room, name, device, origin: this.#origin, keys, client, nameOf: this.#options.nameOf, took: (changed) => this.#took(changed), refused: (to, words) => this.#tell(to, words) });
  }

  /** Tells the server whose capabilities write to this device's mailbox (none while holding is off); one after the other. */
  #updateWriters(force = false): Promise<void> {
    this.#writers = this.#writers.then(async () => {
      const { keys, client } = await this.#load();
      const writers = (await this.holding()) ? await keys.writers() : [];
      // Once per page load at least (it keeps the mailbox from going idle), then only when the list changed.
      const list = [...writers].sort().join(' ');
      if (!force && list === this.#putWriters) return;
      const answer = await client.putWriters(await keys.address(), writers);
      if (answer.ok) this.#putWriters = list;
      else console.warn(`whisper: the mailbox's writers were not updated (${answer.message})`);
    });
    return this.#writers;
  }
}
