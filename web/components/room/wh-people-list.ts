import { LitElement, css, html } from 'lit';
import type { Person } from '../../room/room-session.js';
import { verifiedIcon } from '../shared/icons.js';
import { controlStyles } from '../shared/shared.styles.js';

export interface PersonEntry extends Person {
  unread: number;
}

/** The room's own conversation, at the head of the list. */
export interface RoomEntry {
  conversation: string;
  unread: number;
}

/**
 * Everyone in the room, online or not, with unread counts.
 * @summary The list named "People".
 * @event wh-select - A person's device key: open the conversation.
 */
export class WhPeopleList extends LitElement {
  static override properties = { people: { attribute: false }, room: { attribute: false }, selected: {} };
  declare people: PersonEntry[];
  /** The room's conversation, listed first once someone else is in the room. */
  declare room: RoomEntry | null;
  declare selected: string | null;

  constructor() {
    super();
    this.people = [];
    this.room = null;
    this.selected = null;
  }

  static override styles = [
    controlStyles,
    css`
      :host {
        display: block;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0.25rem 0;
      }
      button {
        width: 100%;
        min-height: 3.5rem;
        justify-content: flex-start;
        gap: 0.75rem;
        padding: 0.5rem 1rem;
        border-radius: 0;
        text-align: start;
      }
      button:hover {
        background: var(--wh-surface-2);
      }
      button[aria-current='true'] {
        background: var(--wh-accent-soft);
      }
      .avatar {
        flex: none;
        position: relative;
        width: 2.5rem;
        height: 2.5rem;
        border-radius: 50%;
        display: grid;
        place-items: center;
        background: var(--wh-surface-2);
        font-weight: 700;
      }
      /* The initial is drawn, not written: the button's visible text is then its name's ("Bob, online"). */
      .avatar::before {
        content: attr(data-initial);
      }
      .dot {
        position: absolute;
        right: -1px;
        bottom: -1px;
        width: 0.8rem;
        height: 0.8rem;
        border-radius: 50%;
        border: 2px solid var(--wh-surface);
        background: var(--wh-offline);
      }
      .online .dot {
        background: var(--wh-online);
      }
      .who {
        flex: 1;
        min-width: 0;
        display: grid;
      }
      .name {
        font-weight: 600;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .verified {
        display: inline-flex;
        align-items: center;
        gap: 0.15rem;
        font-size: 0.75rem;
        font-weight: 600;
        color: var(--wh-verified);
        vertical-align: middle;
      }
      .verified svg {
        width: 0.9rem;
        height: 0.9rem;
      }
      .changed {
        color: var(--wh-danger);
        font-weight: 600;
      }
      .state {
        font-size: 0.8rem;
        color: var(--wh-muted);
      }
      .unread {
        flex: none;
        min-width: 1.5rem;
        height: 1.5rem;
        padding: 0 0.4rem;
        border-radius: 0.75rem;
        background: var(--wh-accent);
        color: var(--wh-accent-fg);
        font-size: 0.8rem;
        font-weight: 700;
        display: grid;
        place-items: center;
      }
      .empty {
        padding: 1.5rem 1rem;
        color: var(--wh-muted);
      }
    `,
  ];

  override render() {
    if (this.people.length === 0) {
      return html`<p class="empty">No one else is here yet. Share the room's link to invite someone.</p>`;
    }
    return html`
      <ul role="list" aria-label="People">
        ${this.room ? this.#roomEntry(this.room) : null}
        ${this.people.map((person) => {
          const state = person.online ? 'online' : 'offline';
          const unread = person.unread > 0 ? `, ${person.unread} unread` : '';
          const verified = person.verified ? ', verified' : '';
          const changed = person.keyChangeFrom ? ', safety number changed' : '';
          // A new key under a name that looks like someone's met here: said, so that the two are not taken for one.
          const lookalike = person.lookalike && !person.verified && !person.keyChangeFrom ? `, new key, not the ${person.lookalike} you met before` : '';
          return html`<li>
            <button
              class=${state}
              aria-current=${this.selected === person.device ? 'true' : 'false'}
              aria-label="${person.name}${verified}, ${state}${changed}${lookalike}${unread}"
              @click=${() => this.dispatchEvent(new CustomEvent('wh-select', { detail: person.device, bubbles: true, composed: true }))}
            >
              <span class="avatar" aria-hidden="true" data-initial=${initial(person.name)}><span class="dot"></span></span>
              <span class="who" aria-hidden="true">
                <span class="name">${person.name}${person.verified ? html` <span class="verified">${verifiedIcon} Verified</span>` : null}</span>
                <span class="state"
                  >${person.online ? 'Online' : 'Offline'}${person.keyChangeFrom ? html` · <span class="changed">Safety number changed</span>` : null}${lookalike
                    ? html` · <span class="changed">New key, not the ${person.lookalike} you met before</span>`
                    : null}</span
                >
              </span>
              ${person.unread > 0 ? html`<span class="unread" aria-hidden="true">${person.unread}</span>` : null}
            </button>
          </li>`;
        })}
      </ul>
    `;
  }

  #roomEntry(room: RoomEntry) {
    const unread = room.unread > 0 ? `, ${room.unread} unread` : '';
    const everyone = this.people.length + 1;
    return html`<li>
      <button
        class="room online"
        aria-current=${this.selected === room.conversation ? 'true' : 'false'}
        aria-label="Room, ${everyone} people${unread}"
        @click=${() => this.dispatchEvent(new CustomEvent('wh-select', { detail: room.conversation, bubbles: true, composed: true }))}
      >
        <span class="avatar" aria-hidden="true" data-initial="#"></span>
        <span class="who" aria-hidden="true">
          <span class="name">Room</span>
          <span class="state">${everyone} people</span>
        </span>
        ${room.unread > 0 ? html`<span class="unread" aria-hidden="true">${room.unread}</span>` : null}
      </button>
    </li>`;
  }
}

function initial(name: string): string {
  return ([...new Intl.Segmenter().segment(name.trim())][0]?.segment ?? '?').toUpperCase();
}

customElements.define('wh-people-list', WhPeopleList);

declare global {
  interface HTMLElementTagNameMap {
    'wh-people-list': WhPeopleList;
  }
  interface HTMLElementEventMap {
    'wh-select': CustomEvent<string>;
  }
}
