import { LitElement, css, html } from 'lit';
import { controlStyles } from '../shared/shared.styles.js';

/**
 * Offers a new version of the app. It is never applied by itself: only the
 * person's "Update" reloads the page, so nothing is cut mid-call or mid-transfer.
 * @event wh-update - The user chose to update now.
 */
export class WhUpdatePrompt extends LitElement {
  static override properties = { dismissed: { state: true } };
  declare dismissed: boolean;

  constructor() {
    super();
    this.dismissed = false;
  }

  static override styles = [
    controlStyles,
    css`
      div {
        position: fixed;
        left: 50%;
        bottom: max(1rem, env(safe-area-inset-bottom));
        transform: translateX(-50%);
        width: min(calc(100vw - 2rem), 26rem);
        display: flex;
        align-items: center;
        gap: 0.5rem;
        padding: 0.5rem 0.5rem 0.5rem 1rem;
        border-radius: var(--wh-radius);
        background: var(--wh-surface);
        color: var(--wh-fg);
        box-shadow: 0 6px 24px rgb(0 0 0 / 0.3);
        z-index: 10;
      }
      p {
        flex: 1;
        margin: 0;
      }
    `,
  ];

  override render() {
    if (this.dismissed) return null;
    return html`<div role="region" aria-label="New version">
      <p role="status">A new version of Whisper is ready.</p>
      <button @click=${() => (this.dismissed = true)}>Later</button>
      <button class="primary" @click=${() => this.dispatchEvent(new CustomEvent('wh-update', { bubbles: true, composed: true }))}>Update</button>
    </div>`;
  }
}

customElements.define('wh-update-prompt', WhUpdatePrompt);

declare global {
  interface HTMLElementTagNameMap {
    'wh-update-prompt': WhUpdatePrompt;
  }
  interface HTMLElementEventMap {
    'wh-update': CustomEvent<void>;
  }
}
