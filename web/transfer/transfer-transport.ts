/** How the transfers reach another device: its "files" channel, and what its connection takes. */
import type { TransferFrame } from './transfer-wire.js';

export interface TransferTransport {
  /** The open, verified "files" channel to the device, or null. */
  channel(device: string): RTCDataChannel | null;
  /** The largest message the device's connection takes (`RTCSctpTransport.maxMessageSize`), or null when unknown. */
  maxMessageSize(device: string): number | null;
  want(device: string): void;
}

/** Sends a control frame (JSON text) on the device's files channel; false when none is open. */
export function sendControl(transport: TransferTransport, device: string, frame: TransferFrame): boolean {
  const channel = transport.channel(device);
  if (!channel || channel.readyState !== 'open') return false;
  channel.send(JSON.stringify(frame));
  return true;
}
