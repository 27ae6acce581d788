/**
 * Installing Whisper: an Install button where the browser offers it (Chromium,
 * Android), or, on iPhone and iPad in Safari, a short "Add to Home Screen"
 * guide, shown until dismissed. Nothing once Whisper runs installed.
 * `compact`: only the button, as an icon (for a header); `guide`: only the guide.
 */
import { LitElement, css, html, nothing } from 'lit';
import type { InstallPrompt } from '../app/install-prompt.js';
import { installIcon } from './icons.js';
import { ListenController } from './listen-controller.js';
import { controlStyles } from './shared.styles.js';

export class WhInstall extends LitElement {
  static override properties = { prompt: { attribute: false }, compact: { type: Boolean }, guide: { type: Boolean } };
  declare prompt: InstallPrompt | null;
  declare compact: boolean;
  declare guide: boolean;

  constructor() {
    super();
    this.prompt = null;
    this.compact = false;
    this.guide = false;
    new ListenController(this, () => this.prompt, ['wh-install-change']);
  }

  static override styles = [
    controlStyles,
    css`
      :host {
        display: contents;
      }
      .guide {
        display: grid;
        gap: 0.5rem;
        justify-items: start;
        margin: 0.5rem;
        padding: 0.75rem 1rem;
        border: 1px solid var(--wh-border);
        border-radius: var(--wh-radius);
        background: var(--wh-surface);
        color: var(--wh-fg);
        text-align: start;
      }
      .guide p {
        margin: 0;
      }
      .guide button,
      button.install:not(.icon) {
        border-color: var(--wh-border);
      }
    `,
  ];

  override render() {
    const prompt = this.prompt;
    if (prompt?.canInstall && !this.guide) {
      return this.compact
        ? html`<button class="icon install" aria-label="Install" title="Install Whisper" @click=${() => void prompt.install()}>${installIcon}</button>`
        : html`<button class="install" @click=${() => void prompt.install()}>${installIcon} Install</button>`;
    }
    if (prompt?.showsGuide && !this.compact) {
      return html`<section class="guide" aria-label="Add Whisper to your Home Screen">
        <p>To install Whisper, tap <strong>Share</strong>, then <strong>Add to Home Screen</strong>. Calls ring only in Whisper opened from the Home Screen.</p>
        <button @click=${() => void prompt.dismissGuide()}>Got it</button>
      </section>`;
    }
    return nothing;
  }
}

customElements.define('wh-install', WhInstall);

declare global {
  interface HTMLElementTagNameMap {
    'wh-install': WhInstall;
  }
}
