import { LitElement, css, html } from 'lit';
import type { InstallPrompt } from '../../app/install-prompt.js';
import { sharedText } from '../../format/amounts.js';
import { plusIcon } from '../shared/icons.js';
import { controlStyles } from '../shared/shared.styles.js';
import './wh-install.js';

/**
 * The start page: make a new room, join one with its link or QR code, or go back to a recent one.
 * @event wh-new-room - The user wants a new room.
 */
export class WhHomeView extends LitElement {
  static override properties = { name: {}, recentRooms: { attribute: false }, sharedCount: { type: Number }, install: { attribute: false } };
  declare name: string;
  declare install: InstallPrompt | null;
  declare recentRooms: string[];
  declare sharedCount: number;

  constructor() {
    super();
    // Not part of the first load: the form is drawn when it arrives, an instant later.
    void import('../room/wh-join-form.js');
    this.name = '';
    this.recentRooms = [];
    this.sharedCount = 0;
    this.install = null;
  }

  static override styles = [
    controlStyles,
    css`
      :host {
        display: grid;
        place-content: center;
        gap: 1.5rem;
        min-height: 100dvh;
        padding: max(1.5rem, env(safe-area-inset-top)) max(1.5rem, env(safe-area-inset-right)) max(1.5rem, env(safe-area-inset-bottom))
          max(1.5rem, env(safe-area-inset-left));
        text-align: center;
      }
      h1 {
        margin: 0;
        font-size: 2rem;
      }
      p {
        margin: 0;
        color: var(--wh-muted);
      }
      ul {
        list-style: none;
        padding: 0;
        margin: 0;
        display: grid;
        gap: 0.5rem;
      }
      a {
        display: flex;
        align-items: center;
        justify-content: center;
        min-height: var(--wh-touch);
        border-radius: 10px;
        background: var(--wh-surface);
        color: var(--wh-fg);
        text-decoration: none;
        border: 1px solid var(--wh-border);
        font-family: ui-monospace, monospace;
        font-size: 0.85rem;
      }
    `,
  ];

  override render() {
    return html`
      <h1>Whisper</h1>
      <p>Hello, ${this.name}. Conversations here go straight from your device to theirs.</p>
      ${this.sharedCount > 0
        ? html`<p role="status">
            ${sharedText(this.sharedCount)} from another app, ready to send. Open a room, choose a person, then “Send shared files”.
            <button @click=${() => this.dispatchEvent(new CustomEvent('wh-discard-shared', { bubbles: true, composed: true }))}>Discard</button>
          </p>`
        : null}
      <button class="primary" @click=${() => this.dispatchEvent(new CustomEvent('wh-new-room', { bubbles: true, composed: true }))}>
        ${plusIcon} New room
      </button>
      <wh-install .prompt=${this.install}></wh-install>
      <wh-join-form></wh-join-form>
      ${this.recentRooms.length > 0
        ? html`<nav aria-label="Recent rooms">
            <ul>
              ${this.recentRooms.map((room) => html`<li><a href="/r/${room}">Room ${room.slice(0, 6)}…</a></li>`)}
            </ul>
          </nav>`
        : null}
    `;
  }
}

customElements.define('wh-home-view', WhHomeView);

declare global {
  interface HTMLElementTagNameMap {
    'wh-home-view': WhHomeView;
  }
  interface HTMLElementEventMap {
    'wh-new-room': CustomEvent<void>;
    /** The person does not want the files shared into Whisper. */
    'wh-discard-shared': CustomEvent<void>;
  }
}
