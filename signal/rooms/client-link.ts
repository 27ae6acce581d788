/** How room state reaches a client: the transport gives the registry a `ClientLink` for each connection. */

/** A text frame for a client: a string, or its UTF-8 bytes. */
export type Frame = string | Uint8Array;

/** The registry's view of a live connection. */
export interface ClientLink {
  send(frame: Frame): void;
  /** Runs `sends`, whose frames leave together (one write, where the transport can) rather than one by one. */
  batch(sends: () => void): void;
  close(code: number, reason: string): void;
}
