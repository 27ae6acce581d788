import type { PeerId, ServerMessage } from './messages.js';

/** One place that turns a server message into a text frame. */
export function encodeServerMessage(message: ServerMessage): string {
  return JSON.stringify(message);
}

/**
 * A `signal` delivery around the sender's `data` exactly as the sender wrote
 * it: `dataJson` is the text (or its UTF-8 bytes) of a JSON object that the
 * server has already validated, so it is forwarded, not encoded again. The same frame
 * as `encodeServerMessage({ type: 'signal', from, data })`, read by JSON.parse.
 */
export function encodeSignalDelivery(from: PeerId, dataJson: string): string;
export function encodeSignalDelivery(from: PeerId, dataJson: Uint8Array): Uint8Array;
export function encodeSignalDelivery(from: PeerId, dataJson: string | Uint8Array): string | Uint8Array;
export function encodeSignalDelivery(from: PeerId, dataJson: string | Uint8Array): string | Uint8Array {
  // Peer ids are server-made base64url: nothing in them needs escaping.
  const head = `{"type":"signal","from":"${from}","data":`;
  if (typeof dataJson === 'string') return `${head}${dataJson}}`;
  const frame = Buffer.allocUnsafe(head.length + dataJson.length + 1);
  frame.write(head, 0, 'latin1');
  frame.set(dataJson, head.length);
  frame[frame.length - 1] = 0x7d; // }
  return frame;
}
