import { css } from 'lit';
import { controlStyles } from '../shared/shared.styles.js';

/** The app's frame: the page, the call above it (or in a bar at the top), the toast and the update prompt. */
export const appStyles = [
  controlStyles,
  css`
    :host {
      display: block;
      min-height: 100dvh;
      --wh-call-bar: 3.25rem;
    }
    :host([call-bar]) .page {
      padding-top: var(--wh-call-bar);
      --wh-page-height: calc(100dvh - var(--wh-call-bar));
    }
    .center {
      display: grid;
      place-content: center;
      justify-items: center;
      gap: 1rem;
      min-height: 100dvh;
      padding: 1.5rem;
      text-align: center;
    }
    h1 {
      margin: 0;
    }
    .muted {
      color: var(--wh-muted);
      margin: 0;
    }
    main.home {
      display: flex;
      flex-direction: column;
      min-height: 100dvh;
    }
    main.home wh-home-view {
      flex: 1;
      min-height: 0;
    }
    main.home wh-no-webrtc {
      margin: max(1rem, env(safe-area-inset-top)) max(1rem, env(safe-area-inset-right)) 0 max(1rem, env(safe-area-inset-left));
      align-self: center;
    }
    .toast {
      position: fixed;
      top: max(0.75rem, env(safe-area-inset-top));
      left: 50%;
      transform: translateX(-50%);
      width: min(calc(100vw - 2rem), 28rem);
      display: flex;
      gap: 0.5rem;
      align-items: center;
      padding: 0.5rem 0.5rem 0.5rem 1rem;
      border-radius: var(--wh-radius);
      background: var(--wh-warning-bg);
      color: var(--wh-warning-fg);
      box-shadow: var(--wh-shadow);
      z-index: 20;
    }
    .toast p {
      flex: 1;
      margin: 0;
    }
  `,
];
