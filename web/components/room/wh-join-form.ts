import { LitElement, css, html } from 'lit';
import type { RoomId } from '../../../signal/protocol/messages.js';
import { roomFromLink } from '../../app/room-link.js';
import type { CodeScanner } from '../../identity/code-scanner.js';
import { controlStyles } from '../shared/shared.styles.js';

/**
 * "Join with a link or QR code", on the home view: a room link pasted, or its QR code read with the camera.
 * The way into a room for an app that links never open: an iPhone's Home Screen app (a link tapped in Messages
 * opens Safari, with its own separate data). Only a room of this server is joined; anything else says why.
 * @event wh-join - detail: the room.
 */
export class WhJoinForm extends LitElement {
  static override properties = { scanning: { state: true }, problem: { state: true } };
  declare scanning: boolean;
  declare problem: string;
  #scanner: CodeScanner | null = null;

  constructor() {
    super();
    this.scanning = false;
    this.problem = '';
  }

  static override styles = [
    controlStyles,
    css`
      form {
        display: grid;
        gap: 0.5rem;
        text-align: start;
      }
      h2 {
        margin: 0;
        font-size: 1rem;
      }
      .row {
        display: flex;
        gap: 0.5rem;
      }
      input {
        flex: 1;
        min-width: 0;
        min-height: var(--wh-touch);
        padding: 0 0.75rem;
        border-radius: 10px;
        border: 1px solid var(--wh-border);
        background: var(--wh-surface);
        color: var(--wh-fg);
        font: inherit;
      }
      button {
        border-color: var(--wh-border);
      }
      video {
        width: 100%;
        max-height: 40dvh;
        border-radius: 10px;
        background: #000;
      }
      p {
        margin: 0;
        color: var(--wh-danger);
      }
    `,
  ];

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#scanner?.stop();
  }

  override render() {
    return html`<form aria-labelledby="join-title" @submit=${this.#submit}>
      <h2 id="join-title">Join with a link or QR code</h2>
      <div class="row">
        <input name="link" aria-label="Room link" inputmode="url" autocomplete="off" autocapitalize="off" spellcheck="false" placeholder="Paste a room link" />
        <button type="submit">Join</button>
      </div>
      ${this.scanning
        ? html`<video aria-label="Camera" muted playsinline></video>
            <button type="button" @click=${this.#stopScan}>Stop scanning</button>`
        : html`<button type="button" @click=${() => void this.#scan()}>Scan QR code</button>`}
      ${this.problem ? html`<p role="alert">${this.problem}</p>` : null}
    </form>`;
  }

  #submit(event: SubmitEvent): void {
    event.preventDefault();
    const input = this.renderRoot.querySelector('input')!;
    this.#join(input.value);
  }

  #join(text: string): void {
    const linked = roomFromLink(text, location.origin);
    if ('problem' in linked) {
      this.problem = linked.problem;
      return;
    }
    this.problem = '';
    this.dispatchEvent(new CustomEvent<RoomId>('wh-join', { detail: linked.room, bubbles: true, composed: true }));
  }

  async #scan(): Promise<void> {
    this.problem = '';
    this.scanning = true;
    await this.updateComplete;
    const { CodeScanner } = await import('../../identity/code-scanner.js');
    const scanner = (this.#scanner = new CodeScanner(this.renderRoot.querySelector('video')!));
    const read = await scanner.read();
    this.scanning = false;
    if ('camera' in read) this.problem = read.camera === 'denied' ? 'Whisper may not use the camera. Allow it in the settings, or paste the link.' : 'No camera could be opened. Paste the link instead.';
    else if (read.text !== null) this.#join(read.text);
  }

  #stopScan(): void {
    this.#scanner?.stop();
    this.scanning = false;
  }
}

customElements.define('wh-join-form', WhJoinForm);

declare global {
  interface HTMLElementTagNameMap {
    'wh-join-form': WhJoinForm;
  }
  interface HTMLElementEventMap {
    'wh-join': CustomEvent<RoomId>;
  }
}
