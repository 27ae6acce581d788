/** Inline SVG icons (decorative: the buttons that hold them carry the accessible names). */
import { svg } from 'lit';

const icon = (path: ReturnType<typeof svg>) =>
  svg`<svg viewBox="0 0 24 24" width="22" height="22" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">${path}</svg>`;

export const backIcon = icon(svg`<path d="M15 18l-6-6 6-6"/>`);
export const sendIcon = icon(svg`<path d="M22 2L11 13"/><path d="M22 2l-7 20-4-9-9-4z"/>`);
export const boltIcon = icon(svg`<path d="M13 2L3 14h9l-1 8 10-12h-9z"/>`);
export const statsIcon = icon(svg`<path d="M3 20h18"/><path d="M6 16v-5"/><path d="M11 16V6"/><path d="M16 16v-8"/>`);
export const shareIcon = icon(svg`<circle cx="18" cy="5" r="3"/><circle cx="6" cy="12" r="3"/><circle cx="18" cy="19" r="3"/><path d="M8.6 13.5l6.8 4"/><path d="M15.4 6.5l-6.8 4"/>`);
export const plusIcon = icon(svg`<path d="M12 5v14"/><path d="M5 12h14"/>`);
export const closeIcon = icon(svg`<path d="M18 6L6 18"/><path d="M6 6l12 12"/>`);
export const attachIcon = icon(svg`<path d="M21.4 11.1l-9.2 9.2a6 6 0 0 1-8.5-8.5l9.2-9.2a4 4 0 0 1 5.7 5.7l-9.2 9.2a2 2 0 0 1-2.8-2.8l8.5-8.5"/>`);
export const phoneIcon = icon(svg`<path d="M22 16.9v3a2 2 0 0 1-2.2 2 19.8 19.8 0 0 1-8.6-3.1 19.5 19.5 0 0 1-6-6A19.8 19.8 0 0 1 2.1 4.2 2 2 0 0 1 4.1 2h3a2 2 0 0 1 2 1.7c.1.9.4 1.8.7 2.7a2 2 0 0 1-.5 2.1L8 9.8a16 16 0 0 0 6 6l1.3-1.3a2 2 0 0 1 2.1-.4c.9.3 1.8.6 2.7.7a2 2 0 0 1 1.7 2z"/>`);
export const hangUpIcon = icon(svg`<path d="M3.7 15.3l2.4-1.2a2 2 0 0 0 1.1-1.9l-.1-1.5a16 16 0 0 1 9.8 0l-.1 1.5a2 2 0 0 0 1.1 1.9l2.4 1.2a2 2 0 0 0 2.5-.6l.9-1.3a2 2 0 0 0-.3-2.6 19.5 19.5 0 0 0-23.8 0 2 2 0 0 0-.3 2.6l.9 1.3a2 2 0 0 0 2.5.6z"/>`);
export const videoIcon = icon(svg`<path d="M23 7l-7 5 7 5z"/><rect x="1" y="5" width="15" height="14" rx="2"/>`);
export const videoOffIcon = icon(svg`<path d="M16 16v1a2 2 0 0 1-2 2H3a2 2 0 0 1-2-2V7a2 2 0 0 1 2-2h2m5.7 0H14a2 2 0 0 1 2 2v3.3l1 1L23 7v10"/><path d="M1 1l22 22"/>`);
export const micIcon = icon(svg`<rect x="9" y="2" width="6" height="12" rx="3"/><path d="M19 10v1a7 7 0 0 1-14 0v-1"/><path d="M12 19v3"/>`);
export const micOffIcon = icon(svg`<path d="M1 1l22 22"/><path d="M9 9v2a3 3 0 0 0 5.1 2.1M15 9.3V5a3 3 0 0 0-5.9-.6"/><path d="M17 16.9A7 7 0 0 1 5 11v-1m14 0v1a7 7 0 0 1-.1 1.2"/><path d="M12 19v3"/>`);
export const switchCameraIcon = icon(svg`<path d="M20 7h-3l-2-3H9L7 7H4a2 2 0 0 0-2 2v9a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2V9a2 2 0 0 0-2-2z"/><path d="M15 13a3 3 0 0 1-5.2 2M9 12a3 3 0 0 1 5.2-2"/><path d="M14.5 8v2h-2M9.5 17v-2h2"/>`);
export const screenIcon = icon(svg`<rect x="2" y="3" width="20" height="14" rx="2"/><path d="M8 21h8"/><path d="M12 17v4"/>`);
export const pipIcon = icon(svg`<rect x="2" y="4" width="20" height="16" rx="2"/><rect x="12" y="12" width="7" height="5" rx="1"/>`);
export const chatIcon = icon(svg`<path d="M21 11.5a8.4 8.4 0 0 1-9 8.4 8.9 8.9 0 0 1-3.8-.9L3 21l1.9-5.2A8.4 8.4 0 1 1 21 11.5z"/>`);
export const installIcon = icon(svg`<path d="M12 3v12"/><path d="M7 10l5 5 5-5"/><path d="M5 21h14"/>`);
/** A shield with a check: the person's safety number was verified; the shield alone: "Verify". */
export const verifiedIcon = icon(svg`<path d="M12 22s8-4 8-10V5l-8-3-8 3v7c0 6 8 10 8 10z"/><path d="M9 12l2 2 4-4"/>`);
export const shieldIcon = icon(svg`<path d="M12 22s8-4 8-10V5l-8-3-8 3v7c0 6 8 10 8 10z"/>`);
