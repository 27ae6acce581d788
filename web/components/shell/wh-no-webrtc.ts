import { LitElement, css, html } from 'lit';

/**
 * The explanation a browser without WebRTC gets (see web/identity/webrtc-support.ts):
 * what still works here (rooms, who is in them, the history on this device),
 * what does not (messages, files and calls), and which browsers can. A region
 * named by its heading, so that it is found, and read, as one notice.
 */
export class WhNoWebRTC extends LitElement {
  static override styles = css`
    :host {
      display: block;
      max-width: 34rem;
    }
    section {
      padding: 0.75rem 1rem;
      border-radius: var(--wh-radius);
      background: var(--wh-warning-bg);
      color: var(--wh-warning-fg);
      text-align: start;
      overflow-wrap: anywhere;
    }
    h2 {
      margin: 0 0 0.35rem;
      font-size: 1rem;
    }
    p {
      margin: 0.35rem 0 0;
      font-size: 0.9rem;
    }
  `;

  override render() {
    return html`<section aria-labelledby="title">
      <h2 id="title">This browser cannot connect to people directly</h2>
      <p>
        Whisper sends messages, files and calls straight from one device to another over WebRTC, which this browser does not have. Here you can open
        rooms, see who is in them and read the history kept on this device, but not send anything.
      </p>
      <p>To talk with people, open Whisper in a current Chrome, Firefox, Safari or Edge.</p>
    </section>`;
  }
}

customElements.define('wh-no-webrtc', WhNoWebRTC);

declare global {
  interface HTMLElementTagNameMap {
    'wh-no-webrtc': WhNoWebRTC;
  }
}
