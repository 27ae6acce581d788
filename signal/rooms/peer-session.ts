/** A peer's session as the process that serves it holds it. */
import type { DeviceKey, PeerId, PeerInfo, RoomId } from '../protocol/messages.js';
import type { GracePeriod } from './away-sessions.js';
import type { ClientLink } from './client-link.js';
import type { HeldSignals } from './pending-signals.js';

export interface PeerSession extends HeldSignals, GracePeriod {
  readonly id: PeerId;
  readonly roomId: RoomId;
  /** The directory's name for the room. */
  readonly roomKey: string;
  readonly name: string;
  /** The device key the client claimed; relayed to others as a hint, never trusted here. */
  readonly device: DeviceKey | undefined;
  readonly info: PeerInfo;
  resumeToken: string;
  /** The live connection, or null while the peer is within its resume grace period. */
  link: ClientLink | null;
  /** True once the peer left, or once its session moved to another process. */
  left: boolean;
}

/** The session of `info` in a room, connected on `link`, with nothing held for it. */
export function newPeerSession(roomId: RoomId, roomKey: string, info: PeerInfo, resumeToken: string, link: ClientLink): PeerSession {
  return {
    id: info.id,
    roomId,
    roomKey,
    name: info.name,
    device: info.device,
    info,
    resumeToken,
    link,
    graceTimer: null,
    pending: [],
    pendingBytes: 0,
    handover: null,
    left: false,
  };
}
