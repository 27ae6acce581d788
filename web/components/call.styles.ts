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
