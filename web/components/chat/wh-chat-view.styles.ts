import { css } from 'lit';
import { controlStyles } from '../shared/shared.styles.js';

/** A conversation: its header, the message list and its entries, the notices above the composer. */
export const chatViewStyles = [
  controlStyles,
  css`
    :host {
      display: flex;
      flex-direction: column;
      height: 100%;
      min-height: 0;
      background: var(--wh-bg);
    }
    header {
      display: flex;
      align-items: center;
      gap: 0.25rem;
      padding: max(0.25rem, env(safe-area-inset-top)) max(0.5rem, env(safe-area-inset-right)) 0.25rem max(0.25rem, env(safe-area-inset-left));
      background: var(--wh-surface);
      border-bottom: 1px solid var(--wh-border);
      min-height: 3.5rem;
    }
    .title {
      flex: 1;
      min-width: 0;
      display: grid;
      padding-inline: 0.25rem;
    }
    h1 {
      margin: 0;
      font-size: 1.05rem;
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
    }
    .verified {
      display: inline-flex;
      align-items: center;
      gap: 0.15rem;
      color: var(--wh-verified);
      font-weight: 600;
    }
    .verified svg {
      width: 0.9rem;
      height: 0.9rem;
    }
    .presence {
      font-size: 0.8rem;
      color: var(--wh-muted);
      white-space: nowrap;
      display: flex;
      flex-wrap: wrap;
      column-gap: 0.4rem;
      align-items: center;
    }
    .badge {
      font-size: 0.7rem;
      font-weight: 700;
      padding: 0.05rem 0.4rem;
      border-radius: 0.5rem;
      background: var(--wh-accent-soft);
      color: var(--wh-fg);
    }
    .badge.warning {
      background: var(--wh-warning-bg);
      color: var(--wh-warning-fg);
    }
    output {
      font-size: 0.8rem;
      font-variant-numeric: tabular-nums;
      color: var(--wh-muted);
      min-width: 3ch;
    }
    .back {
      display: var(--wh-back-display, inline-flex);
    }
    ol {
      flex: 1;
      overflow-y: auto;
      /* A scroller of its own, so the room view's pan-y does not reach in here: without it, a finger's swipe
         from the edge over the messages is taken by the browser (pointercancel) and never goes Back. */
      touch-action: pan-y;
      list-style: none;
      margin: 0;
      padding: 0.75rem max(0.75rem, env(safe-area-inset-right)) 0.75rem max(0.75rem, env(safe-area-inset-left));
      display: flex;
      flex-direction: column;
      gap: 0.35rem;
    }
    li.message {
      max-width: min(80%, 34rem);
      padding: 0.5rem 0.75rem 0.35rem;
      border-radius: var(--wh-radius);
      background: var(--wh-bubble-in);
      color: var(--wh-bubble-in-fg);
      box-shadow: var(--wh-shadow);
      align-self: flex-start;
      overflow-wrap: anywhere;
    }
    li.out {
      align-self: flex-end;
      background: var(--wh-bubble-out);
      color: var(--wh-bubble-out-fg);
    }
    .text {
      white-space: pre-wrap;
      margin: 0;
    }
    .text a {
      color: inherit;
    }
    .meta {
      display: flex;
      justify-content: flex-end;
      gap: 0.35rem;
      font-size: 0.7rem;
      opacity: 0.8;
      margin-top: 0.15rem;
    }
    li.call .text {
      display: flex;
      align-items: center;
      gap: 0.5rem;
    }
    .call-icon {
      display: inline-flex;
      opacity: 0.8;
    }
    li.call.missed .text,
    li.call.failed .text {
      color: var(--wh-danger);
      font-weight: 600;
    }
    li.out.call.missed .text,
    li.out.call.failed .text {
      color: inherit;
    }
    .duration {
      opacity: 0.8;
      font-variant-numeric: tabular-nums;
    }
    .author {
      margin: 0 0 0.1rem;
      font-size: 0.75rem;
      font-weight: 700;
      color: var(--wh-accent);
    }
    .receipts {
      min-height: 0;
      padding: 0;
      border: none;
      background: none;
      color: inherit;
      font: inherit;
      text-decoration: underline dotted;
      cursor: pointer;
    }
    .who {
      margin: 0.25rem 0 0;
      padding: 0;
      list-style: none;
      font-size: 0.75rem;
    }
    .status.read {
      font-weight: 700;
      color: var(--wh-read);
    }
    li.day {
      align-self: center;
      font-size: 0.75rem;
      color: var(--wh-muted);
      padding: 0.5rem;
    }
    .shared {
      margin: 0 0.75rem 0.25rem;
    }
    button.join-call {
      gap: 0.35rem;
      background: var(--wh-accept-strong);
      color: #fff;
      font-weight: 600;
    }
    button.join-call svg {
      width: 1.1rem;
      height: 1.1rem;
    }
    .call-limit {
      margin: 0;
      padding: 0.4rem max(1rem, env(safe-area-inset-right)) 0.4rem max(1rem, env(safe-area-inset-left));
      background: var(--wh-surface);
      border-bottom: 1px solid var(--wh-border);
      color: var(--wh-muted);
      font-size: 0.8rem;
    }
    .typing {
      min-height: 1.4rem;
      padding: 0 1rem;
      font-size: 0.8rem;
      color: var(--wh-muted);
      font-style: italic;
    }
    .key-changed {
      padding: 0.75rem max(1rem, env(safe-area-inset-right)) 0.75rem max(1rem, env(safe-area-inset-left));
      background: var(--wh-danger);
      color: #fff;
    }
    .key-changed h2 {
      margin: 0 0 0.25rem;
      font-size: 1rem;
    }
    .key-changed p {
      margin: 0 0 0.5rem;
      font-size: 0.9rem;
    }
    .key-changed .actions {
      display: flex;
      flex-wrap: wrap;
      gap: 0.5rem;
    }
    li.notice {
      align-self: center;
      max-width: 36rem;
      margin: 0.25rem auto;
      padding: 0.4rem 0.75rem;
      border-radius: 8px;
      background: var(--wh-warning-bg);
      color: var(--wh-warning-fg);
      font-size: 0.85rem;
      text-align: center;
    }
    .wake {
      display: flex;
      align-items: center;
      gap: 0.5rem;
      min-height: var(--wh-touch);
      padding: 0.25rem max(1rem, env(safe-area-inset-right)) 0.25rem max(1rem, env(safe-area-inset-left));
      font-size: 0.8rem;
      color: var(--wh-muted);
      background: var(--wh-surface);
      border-bottom: 1px solid var(--wh-border);
    }
    .wake input {
      min-width: 1.5rem;
      min-height: 1.5rem;
    }
    .cannot-send {
      margin: 0;
      padding: 0.75rem max(1rem, env(safe-area-inset-right)) max(0.75rem, env(safe-area-inset-bottom)) max(1rem, env(safe-area-inset-left));
      font-size: 0.9rem;
      background: var(--wh-warning-bg);
      color: var(--wh-warning-fg);
      border-top: 1px solid var(--wh-border);
    }
    .empty {
      margin: auto;
      color: var(--wh-muted);
      text-align: center;
      padding: 2rem;
    }
  `,
];
