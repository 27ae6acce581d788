import type { PeerId, ServerMessage } from './messages.js';

/** One place that turns a server message into a text frame. */
export function encodeServerMessage(message: ServerMessage): string {
  return JSON.stringify(message);
}

/**
 * A `signal` delivery around the sender's `data` exactly as the sender wrote
 * it: `dataJson` is the text of a JSON object that the server has already
 * parsed and validated, so it is forwarded, not encoded again. The same frame
 * as `encodeServerMessage({ type: 'signal', from, data })`, read by JSON.parse.
 */
export function encodeSignalDelivery(from: PeerId, dataJson: string): string {
  // Peer ids are server-made base64url: nothing in them needs escaping.
  return `{"type":"signal","from":"${from}","data":${dataJson}}`;
}
