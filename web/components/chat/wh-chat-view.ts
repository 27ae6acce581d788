import { LitElement, css, html, type PropertyValues } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { linkify } from '../../chat/linkify.js';
import type { MessageStatus, StoredMessage } from '../../storage/database.js';
import type { Person, RoomSession } from '../../room/room-session.js';
import type { ConnectionSummary } from '../../stats/connection-stats.js';
import { formatDuration, sharedText } from '../../format/amounts.js';
import { backIcon, boltIcon, phoneIcon, shieldIcon, statsIcon, verifiedIcon, videoIcon } from '../shared/icons.js';
import { ListenController } from '../shared/listen-controller.js';
import { controlStyles } from '../shared/shared.styles.js';
import './wh-composer.js';

const STATUS_LABEL: Record<MessageStatus, string> = { queued: 'Queued', sent: 'Sent', delivered: 'Delivered', read: 'Read' };
const STATUS_MARK: Record<MessageStatus, string> = { queued: '◷', sent: '✓', delivered: '✓✓', read: '✓✓' };
const BADGE_POLL_MS = 2000;

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

/**
 * One conversation: header (Back, name, presence, connection badge, Ping,
 * Connection stats), the messages with their statuses, typing, and the composer.
 * In a browser without WebRTC, only the history: no control that would need a
 * connection, and a note in the composer's place that says why.
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

  static override styles = [
    controlStyles,
    css`
      :host {
        display: flex;
        flex-direction: column;
        height: 100%;
        min-height: 0;
        background: var(--wh-bg);
      }
      header {
        display: flex;
        align-items: center;
        gap: 0.25rem;
        padding: max(0.25rem, env(safe-area-inset-top)) max(0.5rem, env(safe-area-inset-right)) 0.25rem max(0.25rem, env(safe-area-inset-left));
        background: var(--wh-surface);
        border-bottom: 1px solid var(--wh-border);
        min-height: 3.5rem;
      }
      .title {
        flex: 1;
        min-width: 0;
        display: grid;
        padding-inline: 0.25rem;
      }
      h1 {
        margin: 0;
        font-size: 1.05rem;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .verified {
        display: inline-flex;
        align-items: center;
        gap: 0.15rem;
        color: var(--wh-verified);
        font-weight: 600;
      }
      .verified svg {
        width: 0.9rem;
        height: 0.9rem;
      }
      .presence {
        font-size: 0.8rem;
        color: var(--wh-muted);
        white-space: nowrap;
        display: flex;
        flex-wrap: wrap;
        column-gap: 0.4rem;
        align-items: center;
      }
      .badge {
        font-size: 0.7rem;
        font-weight: 700;
        padding: 0.05rem 0.4rem;
        border-radius: 0.5rem;
        background: var(--wh-accent-soft);
        color: var(--wh-fg);
      }
      .badge.warning {
        background: var(--wh-warning-bg);
        color: var(--wh-warning-fg);
      }
      output {
        font-size: 0.8rem;
        font-variant-numeric: tabular-nums;
        color: var(--wh-muted);
        min-width: 3ch;
      }
      .back {
        display: var(--wh-back-display, inline-flex);
      }
      ol {
        flex: 1;
        overflow-y: auto;
        /* A scroller of its own, so the room view's pan-y does not reach in here: without it, a finger's swipe
           from the edge over the messages is taken by the browser (pointercancel) and never goes Back. */
        touch-action: pan-y;
        list-style: none;
        margin: 0;
        padding: 0.75rem max(0.75rem, env(safe-area-inset-right)) 0.75rem max(0.75rem, env(safe-area-inset-left));
        display: flex;
        flex-direction: column;
        gap: 0.35rem;
      }
      li.message {
        max-width: min(80%, 34rem);
        padding: 0.5rem 0.75rem 0.35rem;
        border-radius: var(--wh-radius);
        background: var(--wh-bubble-in);
        color: var(--wh-bubble-in-fg);
        box-shadow: var(--wh-shadow);
        align-self: flex-start;
        overflow-wrap: anywhere;
      }
      li.out {
        align-self: flex-end;
        background: var(--wh-bubble-out);
        color: var(--wh-bubble-out-fg);
      }
      .text {
        white-space: pre-wrap;
        margin: 0;
      }
      .text a {
        color: inherit;
      }
      .meta {
        display: flex;
        justify-content: flex-end;
        gap: 0.35rem;
        font-size: 0.7rem;
        opacity: 0.8;
        margin-top: 0.15rem;
      }
      li.call .text {
        display: flex;
        align-items: center;
        gap: 0.5rem;
      }
      .call-icon {
        display: inline-flex;
        opacity: 0.8;
      }
      li.call.missed .text,
      li.call.failed .text {
        color: var(--wh-danger);
        font-weight: 600;
      }
      li.out.call.missed .text,
      li.out.call.failed .text {
        color: inherit;
      }
      .duration {
        opacity: 0.8;
        font-variant-numeric: tabular-nums;
      }
      .author {
        margin: 0 0 0.1rem;
        font-size: 0.75rem;
        font-weight: 700;
        color: var(--wh-accent);
      }
      .receipts {
        min-height: 0;
        padding: 0;
        border: none;
        background: none;
        color: inherit;
        font: inherit;
        text-decoration: underline dotted;
        cursor: pointer;
      }
      .who {
        margin: 0.25rem 0 0;
        padding: 0;
        list-style: none;
        font-size: 0.75rem;
      }
      .status.read {
        font-weight: 700;
        color: var(--wh-read);
      }
      li.day {
        align-self: center;
        font-size: 0.75rem;
        color: var(--wh-muted);
        padding: 0.5rem;
      }
      .shared {
        margin: 0 0.75rem 0.25rem;
      }
      button.join-call {
        gap: 0.35rem;
        background: var(--wh-accept-strong);
        color: #fff;
        font-weight: 600;
      }
      button.join-call svg {
        width: 1.1rem;
        height: 1.1rem;
      }
      .call-limit {
        margin: 0;
        padding: 0.4rem max(1rem, env(safe-area-inset-right)) 0.4rem max(1rem, env(safe-area-inset-left));
        background: var(--wh-surface);
        border-bottom: 1px solid var(--wh-border);
        color: var(--wh-muted);
        font-size: 0.8rem;
      }
      .typing {
        min-height: 1.4rem;
        padding: 0 1rem;
        font-size: 0.8rem;
        color: var(--wh-muted);
        font-style: italic;
      }
      .key-changed {
        padding: 0.75rem max(1rem, env(safe-area-inset-right)) 0.75rem max(1rem, env(safe-area-inset-left));
        background: var(--wh-danger);
        color: #fff;
      }
      .key-changed h2 {
        margin: 0 0 0.25rem;
        font-size: 1rem;
      }
      .key-changed p {
        margin: 0 0 0.5rem;
        font-size: 0.9rem;
      }
      .key-changed .actions {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
      }
      li.notice {
        align-self: center;
        max-width: 36rem;
        margin: 0.25rem auto;
        padding: 0.4rem 0.75rem;
        border-radius: 8px;
        background: var(--wh-warning-bg);
        color: var(--wh-warning-fg);
        font-size: 0.85rem;
        text-align: center;
      }
      .wake {
        display: flex;
        align-items: center;
        gap: 0.5rem;
        min-height: var(--wh-touch);
        padding: 0.25rem max(1rem, env(safe-area-inset-right)) 0.25rem max(1rem, env(safe-area-inset-left));
        font-size: 0.8rem;
        color: var(--wh-muted);
        background: var(--wh-surface);
        border-bottom: 1px solid var(--wh-border);
      }
      .wake input {
        min-width: 1.5rem;
        min-height: 1.5rem;
      }
      .cannot-send {
        margin: 0;
        padding: 0.75rem max(1rem, env(safe-area-inset-right)) max(0.75rem, env(safe-area-inset-bottom)) max(1rem, env(safe-area-inset-left));
        font-size: 0.9rem;
        background: var(--wh-warning-bg);
        color: var(--wh-warning-fg);
        border-top: 1px solid var(--wh-border);
      }
      .empty {
        margin: auto;
        color: var(--wh-muted);
        text-align: center;
        padding: 2rem;
      }
    `,
  ];

  /** The room's own conversation, with everyone in it, rather than one person's. */
  get #isRoom(): boolean {
    return this.device === this.session.roomChat?.conversation;
  }

  override render() {
    if (this.#isRoom) return this.#renderRoom();
    const person = this.session.person(this.device);
    const name = person?.name ?? 'Unknown';
    const history = this.session.chat.history(this.device);
    const connected = person?.link === 'connected';
    // Offline, they can still be rung when their device gave a push subscription and the server sends pushes.
    const reachable = !!person?.online || (!!person?.pushable && this.session.away.available);
    const held = person?.link === 'held' || !!person?.keyChangeFrom || (this.session.onlyVerified && !person?.verified);
    const canCall = reachable && person?.link !== 'mismatch' && !held && !this.session.calls.current;
    // The new key of a verified contact who changed devices: this conversation (theirs or the old one) waits on the person.
    const newKey = person?.keyChangeFrom ? this.device : this.session.keyChangeOf(this.device);
    const callTitle = (kind: string) => (person?.online ? kind : reachable ? `${kind} (rings their phone while Whisper is closed)` : `${name} is offline`);
    return html`
      <header>
        ${this.#backButton()}
        <div class="title">
          <h1>${name}</h1>
          <span class="presence">
            ${person?.verified ? html`<span class="verified">${verifiedIcon} Verified</span>` : null}
            <span>${person?.online ? 'Online' : 'Offline'}</span>
            ${this.#badge(person?.link)}
          </span>
        </div>
        ${this.session.canConnect
          ? html`<button class="icon" aria-label="Ping" title="Measure the round-trip time over the direct connection" ?disabled=${!connected} @click=${this.#ping}>
                ${boltIcon}
              </button>
              <output aria-label="Round-trip time" aria-live="polite">${this.pingResult}</output>
              <button class="icon" aria-label="Connection stats" ?disabled=${!connected} @click=${this.#openStats}>${statsIcon}</button>
              <button class="icon" aria-label="Verify" title=${person?.verified ? `${name} is verified: show the safety number` : `Check that no one is in the middle of your connection to ${name}`} ?disabled=${!connected && person?.link !== 'held'} @click=${() => void this.#openVerify(this.device)}>
                ${person?.verified ? verifiedIcon : shieldIcon}
              </button>
              <button class="icon" aria-label="Audio call" title=${callTitle('Audio call')} ?disabled=${!canCall} @click=${() => void this.session.calls.start(this.device, false)}>
                ${phoneIcon}
              </button>
              <button class="icon" aria-label="Video call" title=${callTitle('Video call')} ?disabled=${!canCall} @click=${() => void this.session.calls.start(this.device, true)}>
                ${videoIcon}
              </button>`
          : null}
      </header>
      ${newKey ? this.#keyChanged(name, newKey) : null}
      ${this.session.canConnect && this.session.away.subscribed && person ? this.#wakeSwitch(name, person) : null}
      ${this.#list(history, null)}
      ${person?.link === 'unsupported' ? this.#cannotReach(name) : null}
      ${held && !newKey ? this.#notVerified(name) : null}
      ${this.session.canConnect ? this.#composer(name) : this.#cannotSend(name)}
    `;
  }

  /** Back to the people list (shown on a phone only). */
  #backButton() {
    return html`<button class="icon back" aria-label="Back" @click=${() => this.dispatchEvent(new CustomEvent('wh-back', { bubbles: true, composed: true }))}>
      ${backIcon}
    </button>`;
  }

  /** The messages, by day; `intro` heads the list (the room says whose messages it holds). */
  #list(history: readonly StoredMessage[], intro: string | null) {
    return html`<ol aria-label="Messages">
      ${intro ? html`<li class="notice">${intro}</li>` : null}
      ${history.length === 0 ? html`<li class="empty">${this.session.canConnect ? 'No messages yet. Say hello!' : 'No messages on this device.'}</li>` : null}
      ${repeat(
        withDays(history),
        (entry) => entry.key,
        (entry) => (entry.kind === 'day' ? html`<li class="day">${entry.label}</li>` : this.#message(entry.message)),
      )}
    </ol>`;
  }

  #renderRoom() {
    const room = this.session.roomChat;
    const others = this.session.people;
    const names = (devices: readonly string[]) => devices.map(this.#nameOf);
    const typing = names(room.typing());
    const online = others.filter((p) => p.online).length;
    return html`
      <header>
        ${this.#backButton()}
        <div class="title">
          <h1>Room</h1>
          <span class="presence">${others.length === 0 ? 'No one else yet' : `${peopleCount(others.length + 1)}, ${online + 1} online`}</span>
        </div>
        ${this.session.canConnect ? this.#roomCallButton() : null}
      </header>
      ${this.#roomCallLimit()}
      ${this.#list(room.history(), 'Everyone in the room gets what is written here, device to device. Each device keeps the room’s messages from when it joined on.')}
      ${this.session.canConnect
        ? html`<div class="typing" aria-live="polite">${typing.length === 0 ? '' : `${listOf(typing)} ${typing.length === 1 ? 'is' : 'are'} typing…`}</div>
            <wh-composer ?disabled=${others.length === 0} @wh-send=${this.#sendToRoom} @wh-typing=${this.#typingInRoom} @wh-attach=${this.#attach}></wh-composer>`
        : this.#cannotSend('the room')}
    `;
  }

  /** "Call the room", or "Join call" while one is under way without this device; disabled with the reason as its title. */
  #roomCallButton() {
    const calls = this.session.groupCalls;
    if (calls.current?.phase === 'joined') return null;
    const refusal = calls.refusal();
    const underWay = calls.underWay;
    if (underWay) {
      const inCall = listOf(underWay.devices.map((device) => this.session.person(device)?.name || 'Someone'));
      return html`<button class="join-call" title=${refusal ?? `${inCall} ${underWay.devices.length === 1 ? 'is' : 'are'} in the call`} ?disabled=${!!refusal} aria-describedby="call-limit" @click=${() => void calls.join()}>
        ${videoIcon} Join call
      </button>`;
    }
    return html`<button class="icon" aria-label="Call the room" title=${refusal ?? 'Call everyone online in the room'} ?disabled=${!!refusal} aria-describedby="call-limit" @click=${() => void calls.start()}>
      ${videoIcon}
    </button>`;
  }

  /** Why the room cannot have a call now, in words, when it is the size of the call (a disabled button says nothing on a phone). */
  #roomCallLimit() {
    const refusal = this.session.canConnect ? this.session.groupCalls.limit() : null;
    return refusal ? html`<p class="call-limit" id="call-limit">${refusal}</p>` : null;
  }

  /** An own room message's receipts: how many members have it and have read it; a tap lists who. */
  #receipts(message: StoredMessage & { recipients: Record<string, MessageStatus> }) {
    const members = Object.entries(message.recipients);
    const count = (...statuses: MessageStatus[]) => members.filter(([, status]) => statuses.includes(status)).length;
    const delivered = count('delivered', 'read');
    const read = count('read');
    const sent = count('sent', 'delivered', 'read');
    const summary =
      delivered === 0
        ? sent === 0
          ? 'Queued'
          : `Sent to ${sent} of ${members.length}`
        : `Delivered to ${delivered} of ${members.length}${read > 0 ? `, read by ${read}` : ''}`;
    const open = this.#receiptsOpen.has(message.id);
    return html`<button class="receipts" aria-expanded=${open ? 'true' : 'false'} @click=${() => this.#toggleReceipts(message.id)}>${summary}</button>`;
  }

  /** Each member's status of an own room message, once its receipts were tapped. */
  #whoHasIt(message: StoredMessage) {
    if (!message.recipients || !this.#receiptsOpen.has(message.id)) return null;
    return html`<ul class="who" aria-label="Who has it">
      ${Object.entries(message.recipients).map(([device, status]) => html`<li>${this.#nameOf(device)}: ${status === 'queued' ? 'Waiting' : STATUS_LABEL[status]}</li>`)}
    </ul>`;
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

  #badge(link: string | undefined) {
    if (link === 'mismatch') return html`<span class="badge warning">Key changed</span>`;
    if (link === 'held') return html`<span class="badge warning">Held back</span>`;
    if (link === 'unsupported') return html`<span class="badge warning">No WebRTC there</span>`;
    if (link === 'connecting') return html`<span class="badge">Connecting…</span>`;
    if (link !== 'connected' || !this.summary?.path) return null;
    return this.summary.path === 'relay'
      ? html`<span class="badge" title="Through a TURN relay">Relay (TURN)</span>`
      : html`<span class="badge" title="Device to device">Direct (P2P)</span>`;
  }

  #message(message: StoredMessage) {
    const time = html`<time datetime=${new Date(message.sentAt).toISOString()}>${timeFormat.format(message.sentAt)}</time>`;
    if (message.notice) return html`<li class="notice">${message.text} ${time}</li>`;
    if (message.call) {
      const { video, outcome, duration } = message.call;
      return html`<li class="message call ${message.direction} ${outcome}">
        <p class="text">
          <span class="call-icon">${video ? videoIcon : phoneIcon}</span>
          <span>${message.text}${duration !== undefined ? html` <span class="duration">· ${formatDuration(duration)}</span>` : null}</span>
        </p>
        <span class="meta">${time}</span>
      </li>`;
    }
    if (message.transfers) {
      // A file sent to the room, with each member's progress: its element comes with the first one.
      void import('../files/wh-room-file-entry.js');
      return html`<li class="message file out">
        <wh-room-file-entry .service=${this.session.transfers} .transfers=${message.transfers} .nameOf=${this.#nameOf}></wh-room-file-entry>
        <span class="meta">${time}</span>
      </li>`;
    }
    if (message.transfer) {
      // A file offered, sent or received: its element comes with the first one, not with the first page.
      void import('../files/wh-file-entry.js');
      return html`<li class="message file ${message.direction}">
        ${this.#author(message)}
        <wh-file-entry .service=${this.session.transfers} .transferId=${message.transfer}></wh-file-entry>
        <span class="meta">${time}</span>
      </li>`;
    }
    return html`<li class="message ${message.direction}">
      ${this.#author(message)}
      <p class="text">${linkify(message.text).map((part) =>
        part.kind === 'link' ? html`<a href=${part.href} target="_blank" rel="noopener noreferrer nofollow">${part.text}</a>` : part.text,
      )}</p>
      <span class="meta">
        ${time}
        ${message.recipients
          ? this.#receipts({ ...message, recipients: message.recipients })
          : message.direction === 'out'
          ? html`<span class="status ${message.status}" role="img" aria-label=${STATUS_LABEL[message.status]} title=${STATUS_LABEL[message.status]}
              >${STATUS_MARK[message.status]}</span
            >`
          : null}
      </span>
      ${this.#whoHasIt(message)}
    </li>`;
  }

  /** Who wrote a room message, or offers a file in the room. */
  #author(message: StoredMessage) {
    return message.author ? html`<p class="author">${this.#nameOf(message.author)}</p>` : null;
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

type Entry = { kind: 'day'; key: string; label: string } | { kind: 'message'; key: string; message: StoredMessage };

function withDays(history: readonly StoredMessage[]): Entry[] {
  const entries: Entry[] = [];
  let lastDay = '';
  for (const message of history) {
    const day = new Date(message.at).toDateString();
    if (day !== lastDay) {
      entries.push({ kind: 'day', key: `day-${day}`, label: dayFormat.format(message.at) });
      lastDay = day;
    }
    entries.push({ kind: 'message', key: message.id, message });
  }
  return entries;
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

function peopleCount(n: number): string {
  return `${n} ${n === 1 ? 'person' : 'people'}`;
}

/** "Bob", "Bob and Carol", "Bob, Carol and Dave". */
function listOf(names: readonly string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}
