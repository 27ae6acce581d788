import { LitElement, css, html } from 'lit';
import type { StoredTransfer } from '../../storage/database.js';
import { formatBytes } from '../../format/amounts.js';
import type { TransferService } from '../../transfer/transfer-service.js';
import { ListenController } from '../shared/listen-controller.js';
import { fileEntryStyles } from './file-entry.styles.js';
import { controlStyles } from '../shared/shared.styles.js';

const REFRESH_MS = 500;

/** What a member's own transfer of the file says, in a word or two. */
const MEMBER_STATE: Record<Exclude<StoredTransfer['state'], 'active'>, string> = {
  offered: 'Waiting',
  paused: 'Paused',
  complete: 'Received',
  declined: 'Declined',
  cancelled: 'Cancelled',
  failed: 'Failed',
};

/**
 * A file this device sent to the room: one entry for everyone, with each member's own transfer of it
 * (Waiting, a percentage, Received, Declined...), Cancel for all who have not finished, and "Pick the file
 * again" after a reload, which gives the file back to every member's transfer that needs it. Loaded with the
 * first such entry.
 */
export class WhRoomFileEntry extends LitElement {
  static override properties = { service: { attribute: false }, transfers: { attribute: false }, nameOf: { attribute: false } };
  declare service: TransferService;
  /** Each member's transfer of the file, by their device key. */
  declare transfers: Record<string, string>;
  /** A member's name, by their device key. */
  declare nameOf: (device: string) => string;
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor() {
    super();
    // Followed once set: the element is defined after the history that holds it is drawn, so its properties
    // come with its first update, not before it is connected.
    new ListenController(this, () => this.service, ['wh-transfer']);
  }

  static override styles = [
    controlStyles,
    fileEntryStyles,
    css`
      ul {
        margin: 0;
        padding: 0;
        list-style: none;
        display: grid;
        gap: 0.2rem;
        font-size: 0.85rem;
      }
      li progress {
        display: block;
        height: 0.4rem;
      }
    `,
  ];

  override connectedCallback(): void {
    super.connectedCallback();
    this.#timer = setInterval(() => {
      if (this.hasUpdated && this.#members().some(({ transfer }) => transfer?.state === 'active')) this.requestUpdate();
    }, REFRESH_MS);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (this.#timer) clearInterval(this.#timer);
  }

  /** Each member by name, with their transfer once it is read (the history can be on screen before the transfers are). */
  #members(): Array<{ name: string; id: string; transfer: StoredTransfer | undefined }> {
    return Object.entries(this.transfers)
      .map(([device, id]) => ({ name: this.nameOf(device), id, transfer: this.service.get(id) }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  override render() {
    const members = this.#members();
    const known = members.flatMap(({ transfer }) => (transfer ? [transfer] : []));
    // A transfer not read yet is read now; its event draws it.
    for (const { id, transfer } of members) if (!transfer) void this.service.find(id);
    const file = known[0];
    if (!file) return html`<span class="state" role="status">Loading…</span>`;
    const needFile = known.filter((t) => this.service.needsFile(t.id));
    const unfinished = known.filter((t) => t.state === 'offered' || t.state === 'active' || t.state === 'paused');
    const received = known.filter((t) => t.state === 'complete').length;
    return html`
      <span class="name">${file.name}</span>
      <span class="meta">${formatBytes(file.size)}${file.type ? ` · ${file.type}` : ''} · to everyone in the room</span>
      <span class="state" role="status"
        >${needFile.length > 0 ? 'Pick the file again to continue sending it.' : `Received by ${received} of ${members.length}`}</span
      >
      <ul aria-label="Progress per member">
        ${members.map(({ name, transfer }) => this.#member(name, transfer))}
      </ul>
      <div class="actions">
        ${needFile.length > 0 ? html`<button class="primary" @click=${() => this.#pickAgain(needFile)}>Pick the file again</button>` : null}
        ${unfinished.length > 0 ? html`<button @click=${() => void Promise.all(unfinished.map((t) => this.service.cancel(t.id)))}>Cancel</button>` : null}
      </div>
    `;
  }

  #member(name: string, t: StoredTransfer | undefined) {
    if (!t) return html`<li>${name}: …</li>`;
    if (t.state !== 'active') return html`<li>${name}: ${MEMBER_STATE[t.state]}</li>`;
    if (this.service.needsFile(t.id)) return html`<li>${name}: Paused</li>`;
    const done = Math.min(t.size, t.next * t.chunkSize);
    const percent = t.size === 0 ? 0 : Math.floor((done / t.size) * 100);
    return html`<li>${name}: ${percent}%<progress max="100" value=${percent} aria-label="Transfer of ${t.name} to ${name}"></progress></li>`;
  }

  /** The file picked again goes to every member's transfer that needs it (each checks it is the same file). */
  #pickAgain(transfers: readonly StoredTransfer[]): void {
    const input = document.createElement('input');
    input.type = 'file';
    input.addEventListener('change', () => {
      const file = input.files?.[0];
      if (file) void this.#provide(transfers, file);
    });
    input.click();
  }

  async #provide(transfers: readonly StoredTransfer[], file: File): Promise<void> {
    // A wrong file is said once, by the first transfer that refuses it.
    for (const transfer of transfers) if (!(await this.service.provideFile(transfer.id, file))) return;
  }
}

customElements.define('wh-room-file-entry', WhRoomFileEntry);

declare global {
  interface HTMLElementTagNameMap {
    'wh-room-file-entry': WhRoomFileEntry;
  }
}
