/**
 * In Safari in a tab (not the installed app): the "Add to Home Screen" guide on an iPhone or iPad, "Add to Dock"
 * on a Mac, until dismissed, and, where Safari says it may delete Whisper's data (`persisted()` false: after 7 days without a visit, it does), a
 * notice that says so and how to keep it. Loaded only in Safari (wh-install.ts).
 */
import { LitElement, css, html, nothing } from 'lit';
import type { InstallPrompt } from '../../app/install-prompt.js';
import { ListenController } from '../shared/listen-controller.js';
import { controlStyles } from '../shared/shared.styles.js';

export class WhIosGuide extends LitElement {
  static override properties = { prompt: { attribute: false }, inRoom: { type: Boolean } };
  declare prompt: InstallPrompt | null;
  /** In a room, the notice about Safari deleting data goes with the guide (the home view keeps it). */
  declare inRoom: boolean;

  constructor() {
    super();
    this.prompt = null;
    this.inRoom = false;
    new ListenController(this, () => this.prompt, ['wh-install-change']);
  }

  static override styles = [
    controlStyles,
    css`
      :host {
        display: contents;
      }
      section {
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
      p {
        margin: 0;
      }
      button {
        border-color: var(--wh-border);
      }
    `,
  ];

  override render() {
    const prompt = this.prompt;
    if (!prompt) return nothing;
    const dock = prompt.guideFor === 'dock';
    const keepThem = dock ? 'Add Whisper to your Dock to keep them.' : 'Add Whisper to your Home Screen to keep them.';
    return html`${prompt.dataAtRisk && (!this.inRoom || prompt.showsGuide)
      ? html`<section aria-label="Whisper’s data on this device">
          <p>
            Safari deletes Whisper’s data on this device after 7 days without a visit: who you are to your contacts, your conversations and the files you
            received. ${keepThem}
          </p>
        </section>`
      : nothing}
    ${prompt.showsGuide
      ? html`<section aria-label=${dock ? 'Add Whisper to your Dock' : 'Add Whisper to your Home Screen'}>
          <p>
            ${dock
              ? html`To install Whisper, choose <strong>File</strong>, then <strong>Add to Dock</strong>. It opens in a window of its own and starts afresh
                  there, as a new device with an empty history: join your rooms again with “Join with a link or QR code”.`
              : html`To install Whisper, tap <strong>Share</strong>, then <strong>Add to Home Screen</strong>. Calls ring only in Whisper opened from the Home
                  Screen. It starts afresh there, as a new device with an empty history: join your rooms again with “Join with a link or QR code” (links
                  open Safari, not the app).`}
          </p>
          <button @click=${() => void prompt.dismissGuide()}>Got it</button>
        </section>`
      : nothing}`;
  }
}

customElements.define('wh-ios-guide', WhIosGuide);

declare global {
  interface HTMLElementTagNameMap {
    'wh-ios-guide': WhIosGuide;
  }
}
