import { LitElement, css, html } from 'lit';
import * as v from 'valibot';
import { NAME_MAX_CODE_UNITS } from '../../../signal/protocol/limits.js';
import { DisplayNameSchema } from '../../../signal/protocol/messages.js';
import { controlStyles } from '../shared/shared.styles.js';

/**
 * Asks for the display name others will see.
 * @summary First-visit form: textbox "Your name", button "Join".
 * @event wh-name - The valid, trimmed name.
 */
export class WhNameForm extends LitElement {
  static override properties = { value: {}, error: { state: true } };
  declare value: string;
  declare error: string;

  constructor() {
    super();
    this.value = '';
    this.error = '';
  }

  static override styles = [
    controlStyles,
    css`
      form {
        display: grid;
        gap: 0.75rem;
        width: min(100%, 22rem);
      }
      label {
        font-weight: 600;
      }
      input {
        font: inherit;
        min-height: var(--wh-touch);
        padding: 0 0.9rem;
        border-radius: 10px;
        border: 1px solid var(--wh-border);
        background: var(--wh-surface);
        color: var(--wh-fg);
      }
      .error {
        color: var(--wh-danger);
        min-height: 1.2em;
        margin: 0;
      }
    `,
  ];

  override render() {
    return html`
      <form @submit=${this.#submit} novalidate>
        <label for="name">Your name</label>
        <input
          id="name"
          name="name"
          autocomplete="nickname"
          maxlength=${NAME_MAX_CODE_UNITS}
          .value=${this.value}
          aria-describedby="name-error"
          aria-invalid=${this.error ? 'true' : 'false'}
          required
        />
        <p class="error" id="name-error" role="alert">${this.error}</p>
        <button class="primary" type="submit">Join</button>
      </form>
    `;
  }

  #submit(event: SubmitEvent): void {
    event.preventDefault();
    const input = this.renderRoot.querySelector('input')!;
    const result = v.safeParse(DisplayNameSchema, input.value);
    if (!result.success) {
      this.error = input.value.trim() === '' ? 'Please enter a name.' : `That name will not do: ${result.issues[0].message}.`;
      return;
    }
    this.error = '';
    this.dispatchEvent(new CustomEvent('wh-name', { detail: result.output, bubbles: true, composed: true }));
  }
}

customElements.define('wh-name-form', WhNameForm);

declare global {
  interface HTMLElementTagNameMap {
    'wh-name-form': WhNameForm;
  }
  interface HTMLElementEventMap {
    'wh-name': CustomEvent<string>;
  }
}
