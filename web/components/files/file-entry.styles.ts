/** The look a file's entry has in a conversation, whether it goes to one person or to the whole room. */
import { css } from 'lit';

export const fileEntryStyles = css`
  :host {
    display: grid;
    gap: 0.35rem;
    min-width: min(16rem, 70vw);
  }
  .name {
    font-weight: 600;
    overflow-wrap: anywhere;
  }
  .meta,
  .state {
    font-size: 0.8rem;
    opacity: 0.85;
  }
  progress {
    width: 100%;
    height: 0.5rem;
    accent-color: currentColor;
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: 0.4rem;
  }
  .actions button {
    background: var(--wh-surface-2);
    color: var(--wh-fg);
    min-height: 2.75rem;
  }
  .actions button.primary {
    background: var(--wh-accent);
    color: var(--wh-accent-fg);
  }
`;
