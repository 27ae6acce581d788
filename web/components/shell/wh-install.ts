/**
 * Installing Whisper: an Install button where the browser offers it (Chromium,
 * Android), or, on iPhone and iPad in Safari, a short "Add to Home Screen"
 * guide, shown until dismissed, and where Safari may delete its data, a notice
 * that says so (wh-ios-guide.ts). Nothing once Whisper runs installed.
 * `compact`: only the button, as an icon (for a header); `guide`: only the guide.
 */
import { LitElement, css, html, nothing } from 'lit';
import type { InstallPrompt } from '../../app/install-prompt.js';
import { installIcon } from '../shared/icons.js';
import { ListenController } from '../shared/listen-controller.js';
import { controlStyles } from '../shared/shared.styles.js';

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
    if (!this.compact && (prompt?.showsGuide || prompt?.dataAtRisk)) {
      // Only iPhones and iPads in Safari see it: not part of everyone's first load.
      void import('./wh-ios-guide.js');
      return html`<wh-ios-guide .prompt=${prompt} ?inRoom=${this.guide}></wh-ios-guide>`;
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
