import type { PeerLink } from '../peers/peer-link.js';
import type { StoredMessage } from '../storage/database.js';
import type { GroupCallFrame } from './group-call-wire.js';

/** What the room gives its call: its members, the channels to them, its history. */
export interface GroupCallRoom {
  /** This device's key. */
  readonly self: string;
  /** Writes a frame to the member's open, verified channel; false when there is none. */
  send(device: string, frame: GroupCallFrame): boolean;
  /** The member's open, verified connection, if any. */
  link(device: string): PeerLink | null;
  /** Asks for a connection to the member. */
  want(device: string): void;
  name(device: string): string;
  /** Members of the room online now (not this device). */
  online(): string[];
  /** A one-to-one call rings or runs on this device. */
  busy(): boolean;
  /** Adds an entry to the room's history. */
  record(message: Omit<StoredMessage, 'conversation'>): Promise<unknown>;
  /** Keeps the call this page is in across a reload of it (null: none), and reads it back. */
  remember(call: string | null): void;
  remembered(): string | null;
}
