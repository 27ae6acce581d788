import { html } from 'lit';

/** The notice for a browser that cannot connect (no WebRTC: wh-no-webrtc.ts), whose code loads only there. */
export function noWebRTC() {
  void import('./wh-no-webrtc.js');
  return html`<wh-no-webrtc></wh-no-webrtc>`;
}
