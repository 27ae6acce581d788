import { LitElement, css, html } from 'lit';
import { CodeScanner } from '../../identity/code-scanner.js';
import { parseSafetyCode, safetyCode, safetyNumberGroups } from '../../identity/safety-number.js';
import type { RoomSession } from '../../room/room-session.js';
import { dialogStyles } from '../shared/dialog.styles.js';
import { closeIcon, verifiedIcon } from '../shared/icons.js';
import { ListenController } from '../shared/listen-controller.js';
import { qrCode, qrStyles } from '../shared/qr-code.js';
import { controlStyles } from '../shared/shared.styles.js';

type Outcome = { kind: 'match' | 'mismatch' | 'not-a-code' | 'camera'; text: string } | null;

/**
 * "Verify": the safety number with one person, as digits and as a QR code, with "Scan their code" and
 * "Mark as verified". A scan that matches marks them verified on this device; one that does not says
 * that someone may be in the middle. Removes itself when closed.
 */
export class WhVerifyDialog extends LitElement {
  static override properties = {
    session: { attribute: false },
    device: {},
    number: { state: true },
    scanning: { state: true },
    outcome: { state: true },
  };
  declare session: RoomSession;
  declare device: string;
  /** undefined while derived; null when no connection proves their key. */
  declare number: string | null | undefined;
  declare scanning: boolean;
  declare outcome: Outcome;
  #scanner: CodeScanner | null = null;

  constructor() {
    super();
    this.number = undefined;
    this.scanning = false;
    this.outcome = null;
    new ListenController(this, () => this.session, ['wh-people']);
  }

  /** A connection that opens while the dialog is up proves their key: the number follows. */
  protected override willUpdate(): void {
    if (this.number === null && this.session.person(this.device)?.link !== 'none') void this.#derive();
  }

  async #derive(): Promise<void> {
    const number = await this.session.safetyNumber(this.device);
    if (number !== null) this.number = number;
  }

  static override styles = [
    controlStyles,
    dialogStyles,
    qrStyles,
    css`
      p {
        margin: 0 0 0.75rem;
        line-height: 1.4;
      }
      .number {
        display: grid;
        grid-template-columns: repeat(4, auto);
        justify-content: center;
        gap: 0.35rem 1rem;
        margin: 0.5rem 0 0.75rem;
        font-family: ui-monospace, monospace;
        font-size: 1.15rem;
        font-variant-numeric: tabular-nums;
      }
      video {
        display: block;
        width: 100%;
        max-height: 40dvh;
        margin: 0 0 0.75rem;
        border-radius: 8px;
        background: #000;
        object-fit: cover;
      }
      .outcome {
        padding: 0.6rem 0.75rem;
        border-radius: 8px;
        background: var(--wh-surface-2);
      }
      .outcome.mismatch {
        background: var(--wh-danger);
        color: #fff;
        font-weight: 600;
      }
      .verified {
        display: flex;
        align-items: center;
        gap: 0.4rem;
        color: var(--wh-verified);
        font-weight: 600;
      }
      .actions {
        display: flex;
        flex-wrap: wrap;
        justify-content: flex-end;
        gap: 0.5rem;
      }
    `,
  ];

  async show(): Promise<void> {
    await this.updateComplete;
    this.renderRoot.querySelector('dialog')?.showModal();
    this.number = (await this.session.safetyNumber(this.device)) ?? this.number ?? null;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#scanner?.stop();
  }

  override render() {
    const person = this.session.person(this.device);
    const name = person?.name || 'them';
    return html`
      <dialog aria-labelledby="title" @close=${() => this.remove()}>
        <header>
          <h2 id="title">Verify ${name}</h2>
          <button class="icon" aria-label="Close" @click=${() => this.renderRoot.querySelector('dialog')?.close()}>${closeIcon}</button>
        </header>
        <div class="body">${this.number === undefined ? html`<p>Working out the safety number…</p>` : this.number === null ? this.#notConnected(name) : this.#verify(name, this.number, !!person?.verified)}</div>
      </dialog>
    `;
  }

  #notConnected(name: string) {
    return html`<p>Connect to ${name} first: the safety number comes from the keys that your connection proves. Open your conversation while ${name} is online, then Verify.</p>`;
  }

  #verify(name: string, number: string, verified: boolean) {
    return html`
      <p>If ${name}’s phone shows the same number, no one is in the middle of your connection. Scan their code, or read the numbers to each other in person or on a call you recognise their voice on.</p>
      <div class="number" role="group" aria-label="Safety number">${safetyNumberGroups(number).map((group) => html`<span>${group}</span>`)}</div>
      ${this.scanning ? html`<video aria-label="Camera"></video>` : qrCode(safetyCode(number), `QR code of your safety number with ${name}`)}
      ${this.outcome
        ? html`<p class="outcome ${this.outcome.kind}" role=${this.outcome.kind === 'mismatch' ? 'alert' : 'status'}>${this.outcome.text}</p>`
        : null}
      ${verified && !this.outcome ? html`<p class="verified" role="status">${verifiedIcon} ${name} is verified on this device.</p>` : null}
      <div class="actions">
        ${this.scanning
          ? html`<button @click=${this.#stopScan}>Stop scanning</button>`
          : html`<button class=${verified ? '' : 'primary'} @click=${() => void this.#scan(name, number)}>Scan their code</button>`}
        ${verified ? null : html`<button @click=${() => void this.#markVerified(name)}>Mark as verified</button>`}
      </div>
    `;
  }

  async #scan(name: string, number: string): Promise<void> {
    this.outcome = null;
    this.scanning = true;
    await this.updateComplete;
    const scanner = (this.#scanner = new CodeScanner(this.renderRoot.querySelector('video')!));
    const read = await scanner.read();
    this.scanning = false;
    if ('camera' in read) {
      this.outcome = {
        kind: 'camera',
        text: read.camera === 'denied' ? 'Whisper may not use the camera. Allow it in the browser’s site settings, or compare the numbers by reading them aloud.' : 'No camera could be opened. Compare the numbers by reading them aloud.',
      };
      return;
    }
    const text = read.text;
    if (text === null) return;
    const theirs = parseSafetyCode(text);
    if (theirs === null) {
      this.outcome = { kind: 'not-a-code', text: 'That is not a Whisper safety code. Ask them to open Verify on their phone, then scan the code it shows.' };
    } else if (theirs !== number) {
      this.outcome = {
        kind: 'mismatch',
        text: `These safety numbers do not match. Someone may be in the middle of your connection to ${name}. Do not trust this connection, and send nothing private over it, until you meet and compare the numbers in person.`,
      };
    } else {
      await this.session.markVerified(this.device);
      this.outcome = { kind: 'match', text: `The numbers match: ${name} is verified.` };
    }
  }

  #stopScan(): void {
    this.#scanner?.stop();
    this.scanning = false;
  }

  async #markVerified(name: string): Promise<void> {
    await this.session.markVerified(this.device);
    this.outcome = { kind: 'match', text: `Marked as verified: ${name}.` };
  }
}

customElements.define('wh-verify-dialog', WhVerifyDialog);

declare global {
  interface HTMLElementTagNameMap {
    'wh-verify-dialog': WhVerifyDialog;
  }
}
