import { LitElement, css, html } from 'lit';
import { phoneIcon, videoIcon } from '../shared/icons.js';
import { callScreenStyles } from './call.styles.js';
import { controlStyles } from '../shared/shared.styles.js';

/**
 * A call ringing on this device: full screen, the caller's name, Accept and Decline.
 * @event wh-accept - The person answers.
 * @event wh-decline - The person declines.
 */
export class WhIncomingCall extends LitElement {
  static override properties = { name: {}, video: { type: Boolean }, room: { type: Boolean } };
  declare name: string;
  declare video: boolean;
  /** The room's call rings: Accept joins it. */
  declare room: boolean;

  constructor() {
    super();
    this.name = '';
    this.video = false;
    this.room = false;
  }

  static override styles = [
    controlStyles,
    callScreenStyles,
    css`
      :host {
        z-index: 30;
      }
      [role='dialog'] {
        height: 100%;
        display: grid;
        grid-template-rows: 1fr auto;
        justify-items: center;
        padding: max(2rem, env(safe-area-inset-top)) 1.5rem max(2.5rem, env(safe-area-inset-bottom));
        text-align: center;
      }
      .who {
        align-self: center;
        display: grid;
        justify-items: center;
        gap: 0.75rem;
      }
      .avatar {
        animation: pulse 1.6s ease-in-out infinite;
      }
      h2 {
        margin: 0;
        font-size: 1.8rem;
        overflow-wrap: anywhere;
      }
      p {
        margin: 0;
        color: var(--wh-call-muted);
      }
      .actions {
        display: flex;
        gap: 4rem;
      }
      .actions button {
        flex-direction: column;
        gap: 0.5rem;
        padding: 0;
        background: none;
        color: var(--wh-call-fg);
      }
      .round {
        width: 4.5rem;
        height: 4.5rem;
        border-radius: 50%;
        display: grid;
        place-content: center;
      }
      .decline .round {
        background: var(--wh-hang-up);
        transform: rotate(135deg);
      }
      .accept .round {
        background: var(--wh-accept);
      }
      @keyframes pulse {
        50% {
          box-shadow: 0 0 0 1.2rem rgb(255 255 255 / 0.08);
        }
      }
      @media (prefers-reduced-motion: reduce) {
        .avatar {
          animation: none;
        }
      }
    `,
  ];

  override render() {
    return html`
      <section role="dialog" aria-modal="true" aria-labelledby="caller" aria-describedby="kind">
        <div class="who">
          <div class="avatar" aria-hidden="true">${initial(this.name)}</div>
          <h2 id="caller">${this.name}</h2>
          <p id="kind">${this.room ? 'Calling the room' : this.video ? 'Incoming video call' : 'Incoming audio call'}</p>
        </div>
        <div class="actions">
          <button class="decline" @click=${() => this.#say('wh-decline')}><span class="round">${phoneIcon}</span>Decline</button>
          <button class="accept" @click=${() => this.#say('wh-accept')}><span class="round">${this.video ? videoIcon : phoneIcon}</span>${this.room ? 'Join' : 'Accept'}</button>
        </div>
      </section>
    `;
  }

  override firstUpdated(): void {
    this.renderRoot.querySelector<HTMLButtonElement>('.accept')?.focus();
  }

  #say(type: 'wh-accept' | 'wh-decline'): void {
    this.dispatchEvent(new CustomEvent(type, { bubbles: true, composed: true }));
  }
}

/** The first letter of a name, for an avatar. */
export function initial(name: string): string {
  return [...name.trim()][0]?.toUpperCase() ?? '?';
}

customElements.define('wh-incoming-call', WhIncomingCall);

declare global {
  interface HTMLElementTagNameMap {
    'wh-incoming-call': WhIncomingCall;
  }
  interface HTMLElementEventMap {
    'wh-accept': CustomEvent<void>;
    'wh-decline': CustomEvent<void>;
  }
}
