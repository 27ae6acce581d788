import type { PeerLink } from '../peers/peer-link.js';
import type { StoredMessage } from '../storage/database.js';
import type { Call } from './call-state.js';
import type { CallFrame } from './call-wire.js';

/** What the room gives a one-to-one call: the connection and chat channel to the person, the conversation's history, pushes. */
export interface CallRoom {
  /** Writes a frame to the device's open, verified chat channel; false when there is none. */
  send(device: string, frame: CallFrame): boolean;
  /** The device's open, verified connection, if any. */
  link(device: string): PeerLink | null;
  /** Asks for a connection to the device. */
  want(device: string): void;
  name(device: string): string;
  /** Adds an entry to the conversation's history. */
  record(message: StoredMessage): Promise<unknown>;
  /** Rings the device's closed app through Web Push; resolves true when a push went out. */
  ringAway(call: Call): Promise<boolean>;
  /** A call that was pushed ended unanswered: its notification becomes a missed call. */
  ringEnded(call: Call): void;
  /** A call was made or answered by a click: subscribe this device to pushes (synchronously, in the gesture). */
  optIn(): void;
  /** The room's call rings or runs on this device: a one-to-one call is refused as busy. */
  busy(): boolean;
}
