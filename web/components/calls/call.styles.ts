/** The look the call screens share: dark, over everything, a round avatar with the person's initial. */
import { css } from 'lit';

export const callScreenStyles = css`
  :host {
    position: fixed;
    inset: 0;
    background: var(--wh-call-bg);
    color: var(--wh-call-fg);
  }
  .avatar {
    width: 7.5rem;
    height: 7.5rem;
    border-radius: 50%;
    display: grid;
    place-content: center;
    font-size: 3rem;
    font-weight: 700;
    background: var(--wh-accent);
    color: var(--wh-accent-fg);
  }
`;

/**
 * A call in progress (one to one, or the room's): its header, notice, controls, and the bar it becomes
 * when minimized (the person went back to the chat).
 */
export const callViewStyles = css`
  :host {
    z-index: 25;
    overflow: hidden;
  }
  :host([minimized]) {
    inset: 0 0 auto 0;
    height: var(--wh-call-bar);
    background: var(--wh-accept-strong);
  }
  :host([minimized]) .full,
  :host(:not([minimized])) .bar {
    display: none;
  }
  [hidden] {
    display: none !important;
  }
  header {
    padding: max(1rem, env(safe-area-inset-top)) 1rem 2rem;
    background: linear-gradient(rgb(0 0 0 / 0.55), transparent);
    text-align: center;
  }
  h1 {
    margin: 0;
    font-size: 1.4rem;
    overflow-wrap: anywhere;
  }
  .status {
    margin: 0.2rem 0 0;
    color: var(--wh-call-muted);
    font-variant-numeric: tabular-nums;
  }
  .notice {
    align-self: end;
    justify-self: center;
    max-width: 30rem;
    margin: 0 1rem 0.75rem;
    padding: 0.5rem 0.8rem;
    border-radius: var(--wh-radius);
    background: var(--wh-warning-bg);
    color: var(--wh-warning-fg);
    font-size: 0.9rem;
    pointer-events: auto;
  }
  .controls {
    display: flex;
    flex-wrap: wrap;
    justify-content: center;
    gap: 0.6rem;
    padding: 1.5rem 1rem max(1.25rem, env(safe-area-inset-bottom));
    background: linear-gradient(transparent, rgb(0 0 0 / 0.6));
  }
  .controls button {
    width: 3.3rem;
    height: 3.3rem;
    border-radius: 50%;
    padding: 0;
    background: var(--wh-call-control);
    color: var(--wh-call-fg);
  }
  .controls button.on {
    background: var(--wh-call-control-on);
    color: var(--wh-call-control-on-fg);
  }
  button.hang-up {
    background: var(--wh-hang-up) !important;
    color: #fff;
  }
  button.hang-up svg {
    transform: rotate(135deg);
  }
  .bar {
    display: flex;
    align-items: center;
    gap: 0.25rem;
    height: 100%;
    padding: 0 0.5rem 0 max(1rem, env(safe-area-inset-left));
    color: #fff;
  }
  .bar .label {
    flex: 1;
    min-width: 0;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
    font-weight: 600;
    font-variant-numeric: tabular-nums;
  }
  .bar button {
    min-height: 2.4rem;
  }
  .bar .return {
    background: rgb(0 0 0 / 0.2);
  }
  @media (max-width: 420px) {
    .controls {
      gap: 0.45rem;
      padding-inline: 0.5rem;
    }
    .controls button {
      width: 2.9rem;
      height: 2.9rem;
      min-width: 0;
    }
  }
`;
