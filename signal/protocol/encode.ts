import type { ServerMessage } from './messages.js';

/** One place that turns a server message into a text frame. */
export function encodeServerMessage(message: ServerMessage): string {
  return JSON.stringify(message);
}
