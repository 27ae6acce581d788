/**
 * Tests only: one end of a files channel, as the transfer service sees an RTCDataChannel (the tests keep what
 * each end sends and deliver it themselves, or drop, repeat or hold it back); random files and their SHA-256.
 */
import { DEFAULT_MESSAGE_SIZE } from './transfer-wire.js';

export type Frame = string | ArrayBuffer;

export class FakeChannel extends EventTarget {
  readyState: RTCDataChannelState = 'open';
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  /** What the connection's SCTP transport says the peer takes. */
  maxMessageSize = DEFAULT_MESSAGE_SIZE;
  readonly sent: Frame[] = [];
  /** Called with each frame as it is sent (a live wire delivers it from here). */
  onSend: ((frame: Frame) => void) | null = null;
  send(data: Frame | Uint8Array<ArrayBuffer>): void {
    if (this.readyState !== 'open') throw new Error('channel not open');
    // As RTCDataChannel.send does for a message larger than the peer takes.
    if (typeof data !== 'string' && data.byteLength > this.maxMessageSize) throw new TypeError('message too large');
    // Copied as it is sent, as RTCDataChannel.send does (the sender reuses its buffer), and received as an ArrayBuffer.
    const frame = typeof data === 'string' ? data : data instanceof ArrayBuffer ? data.slice(0) : data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
    this.sent.push(frame);
    this.onSend?.(frame);
  }
  close(): void {
    this.readyState = 'closed';
    this.dispatchEvent(new Event('close'));
  }
}

export function randomFile(bytes: number, name = 'photo.raw'): File {
  const data = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i += 65536) crypto.getRandomValues(data.subarray(i, Math.min(bytes, i + 65536)));
  return new File([data], name, { type: 'application/octet-stream' });
}

export async function sha256(blob: Blob): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
