import { LitElement, html, type PropertyValues } from 'lit';
import type { Person, RoomSession } from '../../room/room-session.js';
import type { ConnectionSummary } from '../../stats/connection-stats.js';
import { listOf, sharedText } from '../../format/amounts.js';
import { ListenController } from '../shared/listen-controller.js';
import { personHeader, roomHeader, type HeaderContext } from './chat-header.js';
import type { EntryContext } from './message-entry.js';
import { messageList } from './message-list.js';
import { chatViewStyles } from './wh-chat-view.styles.js';
import './wh-composer.js';

const BADGE_POLL_MS = 2000;

/**
 * One conversation, a person's or the room's: its header (chat-header.ts), the messages by day
 * (message-list.ts, each entry as message-entry.ts draws it), the notices that wait on the person (a key
 * changed, not verified, cannot be reached), typing, and the composer. In a browser without WebRTC, only the
 * history: no control that would need a connection, and a note in the composer's place that says why.
 * @event wh-back - The user wants the people list (phone layout).
 */
export class WhChatView extends LitElement {
  static override properties = {
    session: { attribute: false },
    device: {},
    sharedCount: { type: Number },
    pingResult: { state: true },
    summary: { state: true },
  };
  declare session: RoomSession;
  declare device: string;
  declare sharedCount: number;
  declare pingResult: string;
  declare summary: ConnectionSummary | null;
  #pollTimer: ReturnType<typeof setInterval> | null = null;
  /** The conversation and its last entry when the list was last scrolled to the end. */
  #lastEntry = '';
  /** Own room messages whose list of who has them is open. */
  readonly #receiptsOpen = new Set<string>();

  constructor() {
    super();
    this.pingResult = '';
    this.summary = null;
    this.sharedCount = 0;
    new ListenController(this, () => this.session, ['wh-people']);
    new ListenController(this, () => this.session?.chat, ['wh-conversation']);
    new ListenController(this, () => this.session?.roomChat, ['wh-room-conversation']);
    new ListenController(this, () => this.session?.calls, ['wh-call']);
    new ListenController(this, () => this.session?.groupCalls, ['wh-group-call']);
    new ListenController(this, () => this.session?.away, ['wh-away-state']);
  }

  static override styles = chatViewStyles;

  /** The room's own conversation, with everyone in it, rather than one person's. */
  get #isRoom(): boolean {
    return this.device === this.session.roomChat?.conversation;
  }

  override render() {
    if (this.#isRoom) return this.#renderRoom();
    const person = this.session.person(this.device);
    const name = person?.name ?? 'Unknown';
    const history = this.session.chat.history(this.device);
    // Offline, they can still be rung when their device gave a push subscription and the server sends pushes.
    const reachable = !!person?.online || (!!person?.pushable && this.session.away.available);
    const held = person?.link === 'held' || !!person?.keyChangeFrom || (this.session.onlyVerified && !person?.verified);
    const canCall = reachable && person?.link !== 'mismatch' && !held && !this.session.calls.current;
    // The new key of a verified contact who changed devices: this conversation (theirs or the old one) waits on the person.
    const newKey = person?.keyChangeFrom ? this.device : this.session.keyChangeOf(this.device);
    return html`
      ${personHeader(this.#header(), { device: this.device, person, name, reachable, canCall })}
      ${newKey ? this.#keyChanged(name, newKey) : null}
      ${this.session.canConnect && this.session.away.subscribed && person ? this.#wakeSwitch(name, person) : null}
      ${messageList(history, null, this.#entries())}
      ${person?.link === 'unsupported' ? this.#cannotReach(name) : null}
      ${held && !newKey ? this.#notVerified(name) : null}
      ${this.session.canConnect ? this.#composer(name) : this.#cannotSend(name)}
    `;
  }

  #renderRoom() {
    const room = this.session.roomChat;
    const others = this.session.people;
    const names = (devices: readonly string[]) => devices.map(this.#nameOf);
    const typing = names(room.typing());
    return html`
      ${roomHeader(this.#header())}
      ${messageList(room.history(), 'Everyone in the room gets what is written here, device to device. Each device keeps the room’s messages from when it joined on.', this.#entries())}
      ${this.session.canConnect
        ? html`<div class="typing" aria-live="polite">${typing.length === 0 ? '' : `${listOf(typing)} ${typing.length === 1 ? 'is' : 'are'} typing…`}</div>
            <wh-composer ?disabled=${others.length === 0} @wh-send=${this.#sendToRoom} @wh-typing=${this.#typingInRoom} @wh-attach=${this.#attach}></wh-composer>`
        : this.#cannotSend('the room')}
    `;
  }

  /** What the header needs of this conversation (chat-header.ts). */
  #header(): HeaderContext {
    return {
      session: this.session,
      host: this,
      summary: this.summary,
      pingResult: this.pingResult,
      ping: () => void this.#ping(),
      openStats: () => void this.#openStats(),
      openVerify: (device) => void this.#openVerify(device),
    };
  }

  /** What the entries need of this conversation (message-entry.ts). */
  #entries(): EntryContext {
    return { session: this.session, nameOf: this.#nameOf, receiptsOpen: this.#receiptsOpen, toggleReceipts: (id) => this.#toggleReceipts(id) };
  }

  #toggleReceipts(id: string): void {
    if (!this.#receiptsOpen.delete(id)) this.#receiptsOpen.add(id);
    this.requestUpdate();
  }

  #sendToRoom(event: CustomEvent<string>): void {
    void this.session.roomChat.send(event.detail);
  }

  #typingInRoom(event: CustomEvent<boolean>): void {
    this.session.roomChat.sendTyping(event.detail);
  }

  #composer(name: string) {
    return html`
      ${this.sharedCount > 0
        ? html`<button class="primary shared" @click=${() => this.dispatchEvent(new CustomEvent('wh-send-shared', { bubbles: true, composed: true }))}>
            Send ${sharedText(this.sharedCount)} to ${name}
          </button>`
        : null}
      <div class="typing" aria-live="polite">${this.session.chat.isTyping(this.device) ? `${name} is typing…` : ''}</div>
      <wh-composer @wh-send=${this.#send} @wh-typing=${this.#typing} @wh-attach=${this.#attach}></wh-composer>
    `;
  }

  /** A verified contact's key changed: nothing goes to the new one until the person decides. */
  #keyChanged(name: string, newKey: string) {
    return html`<section class="key-changed" role="alert" aria-labelledby="key-changed-title">
      <h2 id="key-changed-title">${name}’s safety number changed</h2>
      <p>
        A device with a new key joined as ${name}. It may be a new phone, a reinstall of Whisper, a browser that cleared ${name}’s data (Safari does after 7 days without a visit), or someone in the middle of your connection. Nothing is
        sent to it, and no calls or files are taken from it, until you verify ${name} again or accept the new key.
      </p>
      <div class="actions">
        <button class="primary" @click=${() => void this.#verifyAgain(newKey)}>Verify again</button>
        <button @click=${() => void this.session.acceptNewKey(newKey)}>Accept new key</button>
      </div>
    </section>`;
  }

  /** Only verified contacts may connect, and this one is not: say so, with the way forward. */
  #notVerified(name: string) {
    return html`<p class="cannot-send" role="note">
      ${name} is not verified. With “Only connect to verified contacts” on, nothing goes to or comes from ${name} until you verify them.
      <button @click=${() => void this.#openVerify(this.device)}>Verify ${name}</button>
    </p>`;
  }

  /** Whether they may ring this device while Whisper is closed: off takes this device's subscription back from them. */
  #wakeSwitch(name: string, person: Person) {
    return html`<label class="wake">
      <input type="checkbox" role="switch" .checked=${!person.pushWithdrawn} @change=${(event: Event) => void this.session.allowNotifications(this.device, (event.target as HTMLInputElement).checked)} />
      <span>${name} can ring me and tell me of messages while Whisper is closed</span>
    </label>`;
  }

  /** They answered from a browser without WebRTC: say so, and what would reach them. */
  #cannotReach(name: string) {
    return html`<p class="cannot-send" role="note">
      ${name}’s browser cannot connect directly: it has no WebRTC, so nothing can reach ${name} there. In a current Chrome, Firefox, Safari
      or Edge, ${name} can join this room as a new device.
    </p>`;
  }

  #cannotSend(name: string) {
    return html`<p class="cannot-send" role="note">
      Messages, files and calls to ${name} cannot be sent from this browser: they need WebRTC, which it does not have. Open this room in a current
      Chrome, Firefox, Safari or Edge to talk with ${name}.
    </p>`;
  }

  readonly #nameOf = (device: string): string => this.session.person(device)?.name || 'Someone';

  override connectedCallback(): void {
    super.connectedCallback();
    this.addEventListener('dragover', this.#dragOver);
    this.addEventListener('drop', this.#drop);
    this.#pollTimer = setInterval(() => void this.#poll(), BADGE_POLL_MS);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (this.#pollTimer) clearInterval(this.#pollTimer);
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('device')) {
      this.pingResult = '';
      this.summary = null;
      void this.#poll();
    }
  }

  /**
   * A new entry at the end (or another conversation) scrolls the list to it, at the next frame: reading the
   * list's height forces a layout, which a status change (Sent, Delivered, Read) must not pay, and which the
   * frame does anyway.
   */
  protected override updated(): void {
    const history = this.#isRoom ? this.session.roomChat.history() : this.session.chat.history(this.device);
    const last = `${this.device} ${history.at(-1)?.id ?? ''}`;
    if (last === this.#lastEntry) return;
    this.#lastEntry = last;
    requestAnimationFrame(() => {
      const list = this.renderRoot.querySelector('ol');
      if (list) list.scrollTop = list.scrollHeight;
    });
  }

  async #poll(): Promise<void> {
    const link = this.session.link(this.device);
    if (!link?.isOpen) return;
    // Loaded when a conversation first reads its path, not with the first page.
    const { summarize } = await import('../../stats/connection-stats.js');
    this.summary = summarize(await link.pc.getStats(), this.summary);
  }

  async #ping(): Promise<void> {
    this.pingResult = '…';
    const rtt = await this.session.chat.ping(this.device);
    // Tenths below 10 ms: on a LAN or one machine, the round trip is well under one.
    this.pingResult = rtt === null ? 'No answer' : rtt < 10 ? `${rtt.toFixed(1)} ms` : `${Math.round(rtt)} ms`;
  }

  async #openStats(): Promise<void> {
    await import('../room/wh-stats-panel.js');
    const panel = document.createElement('wh-stats-panel');
    panel.link = this.session.link(this.device) ?? null;
    panel.name = this.session.person(this.device)?.name ?? '';
    panel.verifiable = true;
    panel.addEventListener('wh-verify', () => void this.#openVerify(this.device));
    document.body.append(panel);
    panel.show();
  }

  /** "Verify again" from the old conversation: the new key's connection is made for its safety number. */
  async #verifyAgain(newKey: string): Promise<void> {
    this.session.connect(newKey);
    await this.#openVerify(newKey);
  }

  async #openVerify(device: string): Promise<void> {
    await import('../identity/wh-verify-dialog.js');
    const dialog = document.createElement('wh-verify-dialog');
    dialog.session = this.session;
    dialog.device = device;
    document.body.append(dialog);
    await dialog.show();
  }

  #send(event: CustomEvent<string>): void {
    void this.session.chat.send(this.device, event.detail);
  }

  #attach(event: CustomEvent<File[]>): void {
    this.#sendFiles(event.detail);
  }

  /** To the person, or to everyone in the room (one transfer each). */
  #sendFiles(files: readonly File[]): void {
    void (this.#isRoom ? this.session.transfers.sendToRoom(files) : this.session.transfers.send(this.device, files));
  }

  #dragOver(event: DragEvent): void {
    if (!this.session.canConnect || !event.dataTransfer?.types.includes('Files')) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
  }

  #drop(event: DragEvent): void {
    const files = [...(event.dataTransfer?.files ?? [])];
    if (files.length === 0) return;
    event.preventDefault();
    this.#sendFiles(files);
  }

  #typing(event: CustomEvent<boolean>): void {
    this.session.chat.typing(this.device, event.detail);
  }
}

customElements.define('wh-chat-view', WhChatView);

declare global {
  interface HTMLElementTagNameMap {
    'wh-chat-view': WhChatView;
  }
  interface HTMLElementEventMap {
    'wh-back': CustomEvent<void>;
    'wh-send-shared': CustomEvent<void>;
  }
}
