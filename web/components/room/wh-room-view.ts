import { LitElement, css, html, nothing } from 'lit';
import type { InstallPrompt } from '../../app/install-prompt.js';
import type { RoomSession } from '../../room/room-session.js';
import { shareIcon } from '../shared/icons.js';
import { ListenController } from '../shared/listen-controller.js';
import { needsHomeScreen } from '../../push/own-subscription.js';
import { noWebRTC } from '../shell/no-webrtc-notice.js';
import { controlStyles } from '../shared/shared.styles.js';
import type { PersonEntry } from './wh-people-list.js';
import '../chat/wh-chat-view.js';
import '../shell/wh-install.js';
import './wh-people-list.js';

/** A swipe that starts this close to the left edge and travels this far goes back to the list. */
const EDGE_PX = 24;
const SWIPE_PX = 70;

/**
 * A room: the people list beside the open conversation on a desktop; on a
 * phone (<= 768 px) the list fills the screen and the conversation slides
 * over it, and Back or a swipe from the left edge returns. In a browser
 * without WebRTC the list comes with the explanation, and the settings of
 * connections (Relay only, Notify me when I'm away) are left out.
 * @event wh-close-chat - Back to the list.
 * @event wh-relay-only - The "Relay only" switch changed.
 * @event wh-only-verified - The "Only connect to verified contacts" switch changed.
 * @event wh-new-room - The person wants a room of their own (this one is full).
 */
export class WhRoomView extends LitElement {
  static override properties = { session: { attribute: false }, selected: {}, online: { type: Boolean }, sharedCount: { type: Number }, install: { attribute: false } };
  declare install: InstallPrompt | null;
  declare session: RoomSession;
  declare selected: string | null;
  declare online: boolean;
  declare sharedCount: number;
  #swipeStart: { x: number; y: number } | null = null;

  constructor() {
    super();
    this.selected = null;
    this.online = true;
    this.sharedCount = 0;
    this.install = null;
    new ListenController(this, () => this.session, ['wh-people', 'wh-signaling']);
    new ListenController(this, () => this.session?.chat, ['wh-conversation']);
    new ListenController(this, () => this.session?.roomChat, ['wh-room-conversation']);
    new ListenController(this, () => this.session?.away, ['wh-away-state']);
    new ListenController(this, () => this.session?.mailbox, ['wh-mailbox-settings']);
  }

  static override styles = [
    controlStyles,
    css`
      :host {
        display: block;
        height: var(--wh-page-height, 100dvh);
        overflow: hidden;
        --wh-back-display: none;
      }
      main {
        display: grid;
        grid-template-columns: var(--wh-sidebar) 1fr;
        height: 100%;
      }
      .side {
        display: flex;
        flex-direction: column;
        min-height: 0;
        background: var(--wh-surface);
        border-right: 1px solid var(--wh-border);
      }
      .side header {
        display: flex;
        align-items: center;
        gap: 0.25rem;
        padding: max(0.25rem, env(safe-area-inset-top)) 0.5rem 0.25rem max(1rem, env(safe-area-inset-left));
        min-height: 3.5rem;
        border-bottom: 1px solid var(--wh-border);
      }
      h1 {
        flex: 1;
        margin: 0;
        font-size: 1.2rem;
      }
      .scroll {
        flex: 1;
        overflow-y: auto;
      }
      wh-no-webrtc {
        margin: 0.5rem;
      }
      .banner {
        margin: 0;
        padding: 0.5rem 1rem;
        font-size: 0.85rem;
        background: var(--wh-warning-bg);
        color: var(--wh-warning-fg);
      }
      .banner.refused {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.5rem 1rem;
      }
      .banner.refused p {
        margin: 0;
        flex: 1 1 16rem;
      }
      .banner.refused button {
        min-height: 2.75rem;
      }
      .settings {
        display: flex;
        align-items: center;
        gap: 0.6rem;
        min-height: var(--wh-touch);
        padding: 0.5rem max(1rem, env(safe-area-inset-left)) max(0.5rem, env(safe-area-inset-bottom));
        border-top: 1px solid var(--wh-border);
        font-size: 0.9rem;
      }
      .settings input {
        width: 1.3rem;
        height: 1.3rem;
        accent-color: var(--wh-accent);
      }
      .settings small {
        color: var(--wh-muted);
      }
      .chat {
        min-width: 0;
        min-height: 0;
        touch-action: pan-y;
      }
      .placeholder {
        display: grid;
        place-content: center;
        height: 100%;
        color: var(--wh-muted);
        padding: 2rem;
        text-align: center;
      }
      @media (max-width: 768px) {
        :host {
          --wh-back-display: inline-flex;
        }
        main {
          grid-template-columns: 100%;
          position: relative;
        }
        .side {
          border-right: none;
        }
        .chat {
          position: absolute;
          inset: 0;
          transform: translateX(100%);
          transition: transform 220ms ease;
          visibility: hidden;
        }
        :host([chat-open]) .chat {
          transform: none;
          visibility: visible;
        }
        :host([chat-open]) .side {
          visibility: hidden;
        }
      }
      @media (prefers-reduced-motion: reduce) {
        .chat {
          transition: none;
        }
      }
    `,
  ];

  override render() {
    const people: PersonEntry[] = this.session.people.map((person) => ({ ...person, unread: this.session.chat.unread(person.device) }));
    const canConnect = this.session.canConnect;
    const mailbox = this.session.mailbox.settings;
    this.toggleAttribute('chat-open', this.selected !== null);
    // One main landmark for the room, whichever half a phone shows: the room (people, settings) and the conversation.
    return html`
      <main>
        <section class="side" aria-label="Room">
          <header>
            <h1>Whisper</h1>
            <wh-install compact .prompt=${this.install}></wh-install>
            <button class="icon" aria-label="Share" @click=${this.#share}>${shareIcon}</button>
          </header>
          ${this.#banner()}
          <wh-install guide .prompt=${this.install}></wh-install>
          <div class="scroll">
            ${canConnect ? null : noWebRTC()}
            <wh-people-list
              .people=${people}
              .room=${people.length > 0 ? { conversation: this.session.roomChat.conversation, unread: this.session.roomChat.unread() } : null}
              .selected=${this.selected}
            ></wh-people-list>
          </div>
          ${canConnect && this.session.away.available
            ? html`<label class="settings">
                <input type="checkbox" role="switch" .checked=${this.session.away.subscribed} @change=${this.#notifyWhenAway} />
                <span
                  >Notify me when I’m away
                  <small>${needsHomeScreen() ? '(on iPhone and iPad: add Whisper to your Home Screen first, and open it from there)' : '(calls ring and new messages show while Whisper is closed)'}</small></span
                >
              </label>`
            : null}
          ${canConnect && this.session.away.available && this.session.away.subscribed
            ? html`<label class="settings">
                <input type="checkbox" role="switch" .checked=${mailbox.showText} @change=${this.#showText} />
                <span>Show message text in notifications <small>(off: only who wrote)</small></span>
              </label>`
            : null}
          ${canConnect
            ? html`<label class="settings">
                <input type="checkbox" role="switch" .checked=${mailbox.hold} @change=${this.#holdMessages} />
                <span>Hold my messages on the server while I’m away <small>(sealed: only this device can read them; off, they wait on the writer’s device until you are both online)</small></span>
              </label>`
            : null}
          ${canConnect
            ? html`<label class="settings">
                <input type="checkbox" role="switch" .checked=${this.session.relayOnly} @change=${this.#relayOnly} />
                <span>Relay only <small>(hide your IP address; needs a TURN server)</small></span>
              </label>`
                       : null}
          ${canConnect
            ? html`<label class="settings">
                <input type="checkbox" role="switch" .checked=${this.session.onlyVerified} @change=${this.#onlyVerified} />
                <span>Only connect to verified contacts <small>(others can be verified, but nothing else goes to or comes from them)</small></span>
              </label>`
            : null}
        </section>
        <section class="chat" aria-label="Conversation" @pointerdown=${this.#pointerDown} @pointerup=${this.#pointerUp} @pointercancel=${() => (this.#swipeStart = null)}>
          ${this.selected
            ? html`<wh-chat-view .session=${this.session} .device=${this.selected} .sharedCount=${this.sharedCount} @wh-back=${this.#back}></wh-chat-view>`
            : html`<p class="placeholder">Choose someone to talk to.</p>`}
        </section>
      </main>
    `;
  }

  #banner() {
    if (!this.online) {
      const later = this.session.canConnect ? ', and messages you write will be sent when you are back' : '';
      return html`<p class="banner" role="status">You are offline. Your history is here${later}.</p>`;
    }
    const state = this.session.signalingState;
    const refusal = this.session.serverRefusal;
    if (refusal && (state === 'connecting' || state === 'reconnecting')) {
      const at = new Date(refusal.retryAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
      const full = refusal.code === 'room-full';
      const most = full ? /at most \d+ people/.exec(refusal.message)?.[0] : undefined;
      const why = full
        ? `This room is full${most ? `: it takes ${most}` : ''}.`
        : refusal.code === 'too-many-connections'
          ? `Too many connections from your network: the server allows ${refusal.message}. Close Whisper in another tab or on another device, or wait.`
          : `Too many attempts from your network: the server allows ${refusal.message.replace(/; try again in \d+ s$/, '')}.`;
      return html`<div class="banner refused" role="alert">
        <p>${why} Whisper tries again by itself at ${at}${full ? '; or start a new room and share its link.' : '.'}</p>
        <button class="primary" @click=${() => this.session.connectNow()}>Try again now</button>
        ${full ? html`<button @click=${() => this.dispatchEvent(new CustomEvent('wh-new-room', { bubbles: true, composed: true }))}>New room</button>` : nothing}
      </div>`;
    }
    if (state === 'connecting' || state === 'reconnecting') return html`<p class="banner" role="status">Connecting to the room…</p>`;
    if (state === 'replaced') return html`<p class="banner" role="status">This room is open in another tab or window.</p>`;
    return null;
  }

  async #share(): Promise<void> {
    const url = `${location.origin}/r/${this.session.room}`;
    await import('./wh-share-dialog.js');
    const dialog = document.createElement('wh-share-dialog');
    dialog.url = url;
    document.body.append(dialog);
    await dialog.show();
    // The phone's share sheet where there is one; elsewhere the link goes to the clipboard. The QR code is there either way.
    if (navigator.share) await navigator.share({ title: 'Whisper', text: 'Talk with me on Whisper', url }).catch(() => undefined);
    else await dialog.copy();
  }

  #notifyWhenAway(event: Event): void {
    const input = event.target as HTMLInputElement;
    const away = this.session.away;
    // Subscribing must start in this handler (iOS allows it only from a user gesture).
    const subscribing = input.checked ? away.subscribeInGesture() : null;
    void away.setEnabled(input.checked, subscribing).then(() => (input.checked = away.subscribed));
  }

  #showText(event: Event): void {
    void this.session.mailbox.setShowText((event.target as HTMLInputElement).checked);
  }

  #holdMessages(event: Event): void {
    void this.session.holdMessages((event.target as HTMLInputElement).checked);
  }

  #relayOnly(event: Event): void {
    const on = (event.target as HTMLInputElement).checked;
    this.dispatchEvent(new CustomEvent('wh-relay-only', { detail: on, bubbles: true, composed: true }));
  }

  #onlyVerified(event: Event): void {
    const on = (event.target as HTMLInputElement).checked;
    this.dispatchEvent(new CustomEvent('wh-only-verified', { detail: on, bubbles: true, composed: true }));
  }

  #back(): void {
    this.dispatchEvent(new CustomEvent('wh-close-chat', { bubbles: true, composed: true }));
  }

  #pointerDown(event: PointerEvent): void {
    this.#swipeStart = event.clientX <= EDGE_PX ? { x: event.clientX, y: event.clientY } : null;
  }

  #pointerUp(event: PointerEvent): void {
    const start = this.#swipeStart;
    this.#swipeStart = null;
    if (!start) return;
    const dx = event.clientX - start.x;
    if (dx > SWIPE_PX && Math.abs(event.clientY - start.y) < dx) this.#back();
  }
}

customElements.define('wh-room-view', WhRoomView);

declare global {
  interface HTMLElementTagNameMap {
    'wh-room-view': WhRoomView;
  }
  interface HTMLElementEventMap {
    'wh-relay-only': CustomEvent<boolean>;
    'wh-only-verified': CustomEvent<boolean>;
    'wh-close-chat': CustomEvent<void>;
  }
}
