import { LitElement, css, html } from 'lit';
import { MAX_MESSAGE_TEXT } from '../../chat/chat-wire.js';
import { attachIcon, sendIcon } from '../shared/icons.js';
import { controlStyles } from '../shared/shared.styles.js';

/** Typing signals go out at most this often while typing continues, and "stopped" after this much quiet. */
const TYPING_REPEAT_MS = 2000;
const TYPING_IDLE_MS = 4000;

/**
 * Writes a message: textbox "Message", button "Send". Enter sends, Shift+Enter is a new line.
 * @event wh-send - The text to send.
 * @event wh-typing - true while the user types, false when they stop.
 * @event wh-attach - Files to send (picked with "Attach file" or pasted).
 */
export class WhComposer extends LitElement {
  static override properties = { disabled: { type: Boolean } };
  declare disabled: boolean;
  #lastTyping = 0;
  #idle: ReturnType<typeof setTimeout> | null = null;

  constructor() {
    super();
    this.disabled = false;
  }

  static override styles = [
    controlStyles,
    css`
      form {
        display: flex;
        align-items: flex-end;
        gap: 0.5rem;
        padding: 0.5rem max(0.75rem, env(safe-area-inset-right)) max(0.5rem, env(safe-area-inset-bottom)) max(0.75rem, env(safe-area-inset-left));
        background: var(--wh-surface);
        border-top: 1px solid var(--wh-border);
      }
      textarea {
        flex: 1;
        min-width: 0;
        font: inherit;
        resize: none;
        min-height: var(--wh-touch);
        max-height: 8rem;
        padding: 0.6rem 0.9rem;
        border-radius: 22px;
        border: 1px solid var(--wh-border);
        background: var(--wh-bg);
        color: var(--wh-fg);
        field-sizing: content;
      }
      button {
        border-radius: 50%;
        background: var(--wh-accent);
        color: var(--wh-accent-fg);
      }
      button.attach {
        background: transparent;
        color: var(--wh-muted);
      }
    `,
  ];

  override render() {
    return html`
      <form @submit=${this.#submit}>
        <button class="icon attach" type="button" aria-label="Attach file" ?disabled=${this.disabled} @click=${this.#pick}>${attachIcon}</button>
        <input type="file" multiple hidden @change=${this.#picked} />
        <textarea
          aria-label="Message"
          placeholder="Message"
          rows="1"
          maxlength=${MAX_MESSAGE_TEXT}
          enterkeyhint="send"
          @keydown=${this.#keydown}
          @input=${this.#input}
          @paste=${this.#paste}
        ></textarea>
        <button class="icon" type="submit" aria-label="Send" ?disabled=${this.disabled}>${sendIcon}</button>
      </form>
    `;
  }

  override focus(): void {
    this.renderRoot.querySelector('textarea')?.focus();
  }

  #pick(): void {
    this.renderRoot.querySelector<HTMLInputElement>('input[type="file"]')?.click();
  }

  #picked(event: Event): void {
    const input = event.target as HTMLInputElement;
    const files = [...(input.files ?? [])];
    input.value = '';
    if (files.length > 0) this.#attach(files);
  }

  #paste(event: ClipboardEvent): void {
    const files = [...(event.clipboardData?.files ?? [])];
    if (files.length === 0) return;
    event.preventDefault();
    this.#attach(files);
  }

  #attach(files: File[]): void {
    this.dispatchEvent(new CustomEvent('wh-attach', { detail: files, bubbles: true, composed: true }));
  }

  #keydown(event: KeyboardEvent): void {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.#send();
    }
  }

  #submit(event: SubmitEvent): void {
    event.preventDefault();
    this.#send();
  }

  #send(): void {
    const textarea = this.renderRoot.querySelector('textarea')!;
    const text = textarea.value.trim();
    if (!text || this.disabled) return;
    textarea.value = '';
    this.#stopTyping(false);
    this.dispatchEvent(new CustomEvent('wh-send', { detail: text, bubbles: true, composed: true }));
    textarea.focus();
  }

  #input(): void {
    const now = Date.now();
    if (now - this.#lastTyping > TYPING_REPEAT_MS) {
      this.#lastTyping = now;
      this.dispatchEvent(new CustomEvent('wh-typing', { detail: true, bubbles: true, composed: true }));
    }
    if (this.#idle) clearTimeout(this.#idle);
    this.#idle = setTimeout(() => this.#stopTyping(true), TYPING_IDLE_MS);
  }

  #stopTyping(announce: boolean): void {
    if (this.#idle) clearTimeout(this.#idle);
    this.#idle = null;
    this.#lastTyping = 0;
    if (announce) this.dispatchEvent(new CustomEvent('wh-typing', { detail: false, bubbles: true, composed: true }));
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (this.#idle) clearTimeout(this.#idle);
  }
}

customElements.define('wh-composer', WhComposer);

declare global {
  interface HTMLElementTagNameMap {
    'wh-composer': WhComposer;
  }
  interface HTMLElementEventMap {
    'wh-send': CustomEvent<string>;
    'wh-typing': CustomEvent<boolean>;
    'wh-attach': CustomEvent<File[]>;
  }
}
