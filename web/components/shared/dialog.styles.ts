/** The look of Whisper's modal dialogs (native <dialog>). */
import { css } from 'lit';

export const dialogStyles = css`
  dialog {
    border: none;
    border-radius: var(--wh-radius);
    padding: 0;
    width: min(100vw - 2rem, 26rem);
    max-height: calc(100dvh - 2rem);
    background: var(--wh-surface);
    color: var(--wh-fg);
    box-shadow: 0 10px 40px rgb(0 0 0 / 0.35);
  }
  dialog::backdrop {
    background: rgb(0 0 0 / 0.45);
  }
  header {
    display: flex;
    align-items: center;
    justify-content: space-between;
    padding: 0.5rem 0.5rem 0 1rem;
  }
  h2 {
    margin: 0;
    font-size: 1.1rem;
  }
  .body {
    padding: 0.5rem 1rem 1rem;
  }
`;
