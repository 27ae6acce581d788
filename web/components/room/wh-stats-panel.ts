import { LitElement, css, html } from 'lit';
import type { PeerLink } from '../../peers/peer-link.js';
import { formatBytes } from '../../format/amounts.js';
import { formatBitrate, summarize, type ConnectionSummary, type MediaSummary } from '../../stats/connection-stats.js';
import { dialogStyles } from '../shared/dialog.styles.js';
import { closeIcon } from '../shared/icons.js';
import { controlStyles } from '../shared/shared.styles.js';

const REFRESH_MS = 1000;

/**
 * Live connection stats of one peer connection, in a dialog named "Connection stats".
 * Removes itself when closed.
 * @event wh-verify - The person wants to verify this connection's safety number.
 */
export class WhStatsPanel extends LitElement {
  static override properties = { link: { attribute: false }, name: {}, verifiable: { type: Boolean }, summary: { state: true } };
  declare link: PeerLink | null;
  declare name: string;
  /** Offers "Verify" (the conversation listens for `wh-verify`). */
  declare verifiable: boolean;
  declare summary: ConnectionSummary | null;
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor() {
    super();
    this.link = null;
    this.name = '';
    this.verifiable = false;
    this.summary = null;
  }

  static override styles = [
    controlStyles,
    dialogStyles,
    css`
      dl {
        display: grid;
        grid-template-columns: auto 1fr;
        gap: 0.4rem 1rem;
        margin: 0;
      }
      dt {
        color: var(--wh-muted);
      }
      dd {
        margin: 0;
        font-variant-numeric: tabular-nums;
        text-align: end;
      }
      dialog {
        width: min(100vw - 2rem, 46rem);
      }
      .media {
        overflow-x: auto;
        margin-top: 1rem;
      }
      table {
        border-collapse: collapse;
        width: 100%;
        font-size: 0.85rem;
        font-variant-numeric: tabular-nums;
      }
      caption {
        text-align: start;
        font-weight: 600;
        padding-bottom: 0.3rem;
      }
      th,
      td {
        padding: 0.2rem 0.4rem;
        text-align: end;
        white-space: nowrap;
      }
      .actions {
        display: flex;
        justify-content: flex-end;
        margin-top: 1rem;
      }
      th[scope='row'] {
        text-align: start;
        color: var(--wh-muted);
        font-weight: normal;
      }
    `,
  ];

  async show(): Promise<void> {
    await this.updateComplete;
    this.renderRoot.querySelector('dialog')?.showModal();
    await this.#refresh();
    this.#timer = setInterval(() => void this.#refresh(), REFRESH_MS);
  }

  override render() {
    const s = this.summary;
    const path = s?.path === 'relay' ? 'Relay (TURN)' : s?.path === 'direct' ? 'Direct (P2P)' : '—';
    const ms = (value: number | null | undefined) => (value === null || value === undefined ? '—' : `${value.toFixed(1)} ms`);
    return html`
      <dialog aria-labelledby="title" @close=${this.#closed}>
        <header>
          <h2 id="title">Connection stats</h2>
          <button class="icon" aria-label="Close" @click=${() => this.renderRoot.querySelector('dialog')?.close()}>${closeIcon}</button>
        </header>
        <div class="body">
          <dl aria-label="Connection to ${this.name}">
            <dt>Path</dt>
            <dd>${path}</dd>
            <dt>Local candidate</dt>
            <dd>${s?.localCandidateType ?? '—'}</dd>
            <dt>Remote candidate</dt>
            <dd>${s?.remoteCandidateType ?? '—'}</dd>
            <dt>Protocol</dt>
            <dd>${s?.protocol?.toUpperCase() ?? '—'}</dd>
            <dt>Round-trip time</dt>
            <dd>${ms(s?.rttMs)}</dd>
            <dt>Sent</dt>
            <dd>${formatBytes(s?.bytesSent ?? 0)}</dd>
            <dt>Received</dt>
            <dd>${formatBytes(s?.bytesReceived ?? 0)}</dd>
            <dt>Bitrate out</dt>
            <dd>${formatBitrate(s?.bitrateOut ?? null)}</dd>
            <dt>Bitrate in</dt>
            <dd>${formatBitrate(s?.bitrateIn ?? null)}</dd>
          </dl>
          ${s && s.media.length > 0 ? mediaTable(s.media) : null}
          ${this.verifiable
            ? html`<div class="actions">
                <button @click=${this.#verify}>Verify</button>
              </div>`
            : null}
        </div>
      </dialog>
    `;
  }

  async #refresh(): Promise<void> {
    if (!this.link || this.link.closed) return;
    this.summary = summarize(await this.link.pc.getStats(), this.summary);
  }

  /** Verify opens over the conversation: this panel closes for it. */
  #verify(): void {
    this.dispatchEvent(new CustomEvent('wh-verify'));
    this.renderRoot.querySelector('dialog')?.close();
  }

  #closed(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.remove();
  }
}

const STREAM_NAME = { out: { audio: 'Sending audio', video: 'Sending video' }, in: { audio: 'Receiving audio', video: 'Receiving video' } };

/** The call's media, one column per stream and direction. */
function mediaTable(media: MediaSummary[]) {
  const dash = (value: number | null, format: (v: number) => string) => (value === null ? '—' : format(value));
  const rows: Array<[string, (m: MediaSummary) => string]> = [
    ['Codec', (m) => m.codec ?? '—'],
    ['Resolution', (m) => (m.kind === 'audio' ? '—' : m.width && m.height ? `${m.width}×${m.height}` : '—')],
    ['Frame rate', (m) => (m.kind === 'audio' ? '—' : dash(m.framesPerSecond, (v) => `${Math.round(v)} fps`))],
    ['Bitrate', (m) => formatBitrate(m.bitrate)],
    ['Packet loss', (m) => dash(m.lossPercent, (v) => `${v.toFixed(1)} %`)],
    ['Jitter', (m) => dash(m.jitterMs, (v) => `${v.toFixed(1)} ms`)],
    ['Round-trip time', (m) => dash(m.rttMs, (v) => `${v.toFixed(1)} ms`)],
  ];
  return html`<div class="media">
    <table>
      <caption>Call media</caption>
      <thead>
        <tr>
          <td></td>
          ${media.map((m) => html`<th scope="col">${STREAM_NAME[m.direction][m.kind]}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${rows.map(([label, value]) => html`<tr><th scope="row">${label}</th>${media.map((m) => html`<td>${value(m)}</td>`)}</tr>`)}
      </tbody>
    </table>
  </div>`;
}

customElements.define('wh-stats-panel', WhStatsPanel);

declare global {
  interface HTMLElementTagNameMap {
    'wh-stats-panel': WhStatsPanel;
  }
  interface HTMLElementEventMap {
    'wh-verify': CustomEvent<void>;
  }
}
