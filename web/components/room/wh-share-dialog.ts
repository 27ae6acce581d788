import { LitElement, css, html } from 'lit';
import { dialogStyles } from '../shared/dialog.styles.js';
import { closeIcon } from '../shared/icons.js';
import { qrCode, qrStyles } from '../shared/qr-code.js';
import { controlStyles } from '../shared/shared.styles.js';

/**
 * The room's link as text and as a QR code, with "Copy link". Removes itself when closed.
 */
export class WhShareDialog extends LitElement {
  static override properties = { url: {}, copyResult: { state: true } };
  declare url: string;
  declare copyResult: string;

  constructor() {
    super();
    this.url = '';
    this.copyResult = '';
  }

  static override styles = [
    controlStyles,
    dialogStyles,
    qrStyles,
    css`
      .link {
        font-family: ui-monospace, monospace;
        font-size: 0.8rem;
        word-break: break-all;
        padding: 0.5rem;
        border-radius: 8px;
        background: var(--wh-surface-2);
        margin: 0 0 0.75rem;
      }
      .actions {
        display: flex;
        justify-content: flex-end;
        gap: 0.5rem;
      }
    `,
  ];

  async show(): Promise<void> {
    await this.updateComplete;
    this.renderRoot.querySelector('dialog')?.showModal();
  }

  override render() {
    return html`
      <dialog aria-labelledby="title" @close=${() => this.remove()}>
        <header>
          <h2 id="title">Share this room</h2>
          <button class="icon" aria-label="Close" @click=${() => this.renderRoot.querySelector('dialog')?.close()}>${closeIcon}</button>
        </header>
        <div class="body">
          ${qrCode(this.url, 'QR code of the room link')}
          <p class="link">${this.url}</p>
          <p role="status">${this.copyResult}</p>
          <div class="actions">
            <button class="primary" @click=${() => void this.copy()}>Copy link</button>
          </div>
        </div>
      </dialog>
    `;
  }

  /** Puts the link on the clipboard and says whether that worked. */
  async copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(this.url);
      this.copyResult = 'Link copied.';
    } catch {
      this.copyResult = 'This browser did not allow copying: select the link above and copy it yourself.';
    }
  }
}

customElements.define('wh-share-dialog', WhShareDialog);

declare global {
  interface HTMLElementTagNameMap {
    'wh-share-dialog': WhShareDialog;
  }
}
