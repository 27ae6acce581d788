import { LitElement, css, html } from 'lit';
import type { StoredTransfer } from '../../storage/database.js';
import { formatBytes, formatTimeLeft } from '../../format/amounts.js';
import type { TransferService } from '../../transfer/transfer-service.js';
import { fileEntryStyles } from './file-entry.styles.js';
import { ListenController } from '../shared/listen-controller.js';
import { controlStyles } from '../shared/shared.styles.js';

const REFRESH_MS = 500;

/**
 * A file in a conversation: what it is, where its transfer stands, and what
 * can be done with it (Accept, Decline, Cancel, Save, Delete, pick it again).
 * Images are previewed, audio and video play in place, from the stored chunks.
 */
export class WhFileEntry extends LitElement {
  static override properties = { service: { attribute: false }, transferId: {}, previewUrl: { state: true } };
  declare service: TransferService;
  declare transferId: string;
  declare previewUrl: string | null;
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor() {
    super();
    this.previewUrl = null;
    new ListenController(this, () => this.service, ['wh-transfer'], (event) => (event as CustomEvent<StoredTransfer>).detail.id === this.transferId);
  }

  static override styles = [
    controlStyles,
    fileEntryStyles,
    css`
      img,
      video {
        max-width: 100%;
        max-height: 50vh;
        border-radius: 8px;
      }
      audio {
        width: 100%;
      }
    `,
  ];

  /** Save through the share sheet, ready before the tap (an iPhone's Home Screen app); null elsewhere. */
  #share: (() => Promise<void>) | null = null;
  #sharePrepared = false;

  override connectedCallback(): void {
    super.connectedCallback();
    // Not `this.service` yet: set before this element was defined (it loads with the first file), it is back at the first update.
    this.#timer = setInterval(() => {
      if (this.service?.get(this.transferId)?.state === 'active') this.requestUpdate();
    }, REFRESH_MS);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (this.#timer) clearInterval(this.#timer);
    if (this.previewUrl) URL.revokeObjectURL(this.previewUrl);
    this.previewUrl = null;
  }

  protected override updated(): void {
    const transfer = this.service.get(this.transferId);
    // An iPhone's Home Screen app has no downloads: Save goes through the share sheet, inside the tap, with the
    // file read before it (save-by-share.ts, loaded only there).
    if ((navigator as { standalone?: boolean }).standalone === true && transfer?.direction === 'in' && transfer.state === 'complete' && !this.#sharePrepared) {
      this.#sharePrepared = true;
      void import('./save-by-share.js').then(async ({ prepareShare }) => (this.#share = prepareShare(transfer.name, transfer.type, await this.service.file(transfer.id))));
    }
    if (transfer?.direction === 'in' && transfer.state === 'complete' && !transfer.reason && !this.previewUrl && /^(image|audio|video)\//.test(transfer.type)) {
      void this.service.file(transfer.id).then((blob) => {
        if (blob && this.isConnected && !this.previewUrl) this.previewUrl = URL.createObjectURL(blob);
      });
    }
  }

  override render() {
    const t = this.service.get(this.transferId);
    if (!t) {
      // The history can be on screen before its transfers are read: read this one (its event renders it).
      void this.service.find(this.transferId);
      return html`<span class="state" role="status">Loading…</span>`;
    }
    const done = Math.min(t.size, t.next * t.chunkSize);
    const percent = t.size === 0 ? (t.state === 'complete' ? 100 : 0) : Math.floor((done / t.size) * 100);
    return html`
      <span class="name">${t.name}</span>
      <span class="meta">${formatBytes(t.size)}${t.type ? ` · ${t.type}` : ''}</span>
      ${this.#preview(t)}
      ${t.state === 'active' || t.state === 'paused'
        ? html`<progress max="100" value=${percent} aria-label="Transfer of ${t.name}"></progress>`
        : null}
      <span class="state" role="status">${this.#stateText(t, done, percent)}</span>
      <div class="actions">${this.#actions(t)}</div>
    `;
  }

  #preview(t: StoredTransfer) {
    if (!this.previewUrl) return null;
    if (t.type.startsWith('image/')) return html`<img src=${this.previewUrl} alt=${t.name} />`;
    if (t.type.startsWith('video/')) return html`<video src=${this.previewUrl} controls preload="metadata" aria-label=${t.name}></video>`;
    return html`<audio src=${this.previewUrl} controls preload="metadata" aria-label=${t.name}></audio>`;
  }

  #stateText(t: StoredTransfer, done: number, percent: number): string {
    if (this.service.needsFile(t.id)) {
      return 'Pick the file again to continue sending it.';
    }
    switch (t.state) {
      case 'offered':
        return t.reason ?? (t.direction === 'in' ? 'Wants to send you this file.' : 'Waiting for them to accept…');
      case 'active': {
        const { speed, eta } = this.service.progress(t.id);
        const rate = speed === null ? '' : ` · ${formatBytes(speed)}/s · ${formatTimeLeft(eta)} left`;
        return `${percent}% · ${formatBytes(done)} of ${formatBytes(t.size)}${rate}`;
      }
      case 'paused':
        return t.reason ?? 'Paused.';
      case 'complete':
        return t.reason ?? (t.direction === 'in' ? 'Received and verified.' : 'Sent and verified.');
      case 'declined':
        return t.direction === 'in' ? 'You declined this file.' : 'They declined this file.';
      case 'cancelled':
        return t.reason ?? 'Cancelled.';
      case 'failed':
        return t.reason ?? 'Failed.';
    }
  }

  #actions(t: StoredTransfer) {
    const s = this.service;
    const buttons = [];
    if (t.direction === 'in' && (t.state === 'offered' || (t.state === 'paused' && t.reason))) {
      buttons.push(html`<button class="primary" @click=${() => void s.accept(t.id)}>${t.state === 'offered' ? 'Accept' : 'Resume'}</button>`);
    }
    if (t.direction === 'in' && t.state === 'offered') buttons.push(html`<button @click=${() => void s.decline(t.id)}>Decline</button>`);
    if (s.needsFile(t.id)) {
      buttons.push(html`<button class="primary" @click=${this.#pickAgain}>Pick the file again</button>`);
    }
    if (t.state === 'offered' || t.state === 'active' || t.state === 'paused') buttons.push(html`<button @click=${() => void s.cancel(t.id)}>Cancel</button>`);
    if (t.direction === 'in' && t.state === 'complete' && !t.reason) {
      buttons.push(html`<button class="primary" @click=${this.#save}>Save</button>`);
      buttons.push(html`<button @click=${this.#delete}>Delete</button>`);
    }
    return buttons;
  }

  async #save(): Promise<void> {
    if (this.#share) return this.#share();
    const t = this.service.get(this.transferId);
    const blob = await this.service.file(this.transferId);
    if (!t || !blob) return;
    const url = URL.createObjectURL(blob);
    const anchor = document.createElement('a');
    anchor.href = url;
    anchor.download = t.name;
    anchor.click();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }

  async #delete(): Promise<void> {
    if (this.previewUrl) URL.revokeObjectURL(this.previewUrl);
    this.previewUrl = null;
    await this.service.deleteData(this.transferId);
  }

  #pickAgain(): void {
    const input = document.createElement('input');
    input.type = 'file';
    input.addEventListener('change', () => {
      const file = input.files?.[0];
      if (file) void this.service.provideFile(this.transferId, file);
    });
    input.click();
  }
}

customElements.define('wh-file-entry', WhFileEntry);

declare global {
  interface HTMLElementTagNameMap {
    'wh-file-entry': WhFileEntry;
  }
}
