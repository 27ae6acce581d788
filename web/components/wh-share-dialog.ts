import { LitElement, css, html, svg } from 'lit';
import { encode } from 'uqr';
import { dialogStyles } from './dialog.styles.js';
import { closeIcon } from './icons.js';
import { controlStyles } from './shared.styles.js';

/**
 * The room's link as text and as a QR code, with "Copy link". Drawn from the
 * QR matrix as SVG rectangles: nothing is parsed as markup. Removes itself when closed.
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
    css`
      .qr {
        display: block;
        width: min(100%, 16rem);
        margin: 0.5rem auto 1rem;
        background: #fff;
        border-radius: 8px;
      }
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
    const { data, size } = encode(this.url, { border: 2 });
    const cells = [];
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) if (data[y]![x]) cells.push(svg`<rect x=${x} y=${y} width="1" height="1"/>`);
    return html`
      <dialog aria-labelledby="title" @close=${() => this.remove()}>
        <header>
          <h2 id="title">Share this room</h2>
          <button class="icon" aria-label="Close" @click=${() => this.renderRoot.querySelector('dialog')?.close()}>${closeIcon}</button>
        </header>
        <div class="body">
          <svg class="qr" role="img" aria-label="QR code of the room link" viewBox="0 0 ${size} ${size}" shape-rendering="crispEdges">
            <g fill="#000">${cells}</g>
          </svg>
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
