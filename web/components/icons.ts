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
