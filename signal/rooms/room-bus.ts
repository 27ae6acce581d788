/**
 * The room directory behind a RoomRegistry: who is a member of which room,
 * on which signal process ("node"), and which resume token names whom.
 *
 * One process alone uses `LocalRoomBus` (memory). Several processes serving
 * one service use `RedisRoomBus`: the directory lives in Redis, and each
 * process hears, in the order Redis decided them, the answers to its own
 * requests and the changes other processes made to the rooms it has members in.
 *
 * The registry keeps its own clients' sessions; the bus only records members
 * and carries what crosses processes.
 */
import type { PeerId, PeerInfo, RoomId } from '../protocol/messages.js';
import type { Frame } from './client-link.js';

/** A member of a room, and the process its session lives on. */
export interface MemberRecord {
  info: PeerInfo;
  node: string;
}

/** A request to join a room, or to resume a session in it. */
export interface JoinTicket {
  /** Matches the answer to the request; unique within this process. */
  ticket: number;
  roomKey: string;
  /** The id a new member gets (a resumed one keeps its own). */
  id: PeerId;
  info: PeerInfo;
  /** The token the client presented, if any. */
  resumeToken: string | undefined;
  /** The token that names the session from now on. */
  newToken: string;
}

export type JoinAnswer =
  | { ticket: number; kind: 'joined'; roomKey: string; id: PeerId; peers: MemberRecord[] }
  | {
      ticket: number;
      kind: 'resumed';
      roomKey: string;
      info: PeerInfo;
      /** The process the session was on. */
      previous: string;
      /** Whether that process is alive, and so will hand over what waits for the peer. */
      previousAlive: boolean;
      peers: MemberRecord[];
    }
  | { ticket: number; kind: 'full' }
  /** The directory cannot be reached (Redis down). */
  | { ticket: number; kind: 'unavailable' };

/** A session as the directory must know it to restore it. */
export interface LocalMember {
  info: PeerInfo;
  resumeToken: string;
}

export type RelayFailure = 'unknown-peer' | 'peer-unreachable';

/** What the bus tells the registry, in the order the directory decided it. */
export interface RoomBusListener {
  answer(answer: JoinAnswer): void;
  /** Another process's client joined a room this process has members in. */
  peerJoined(roomKey: string, member: MemberRecord): void;
  peerLeft(roomKey: string, id: PeerId): void;
  /** A session was resumed on `node` (possibly one that lived here). */
  peerMoved(roomKey: string, id: PeerId, node: string): void;
  /**
   * Everyone in a room now, to correct what this process believes after it missed changes. A member
   * missing from it has left if its process is among `liveNodes` (which have all written their members
   * back), or once `settled` (any live process has had time to); until then it may yet come back.
   */
  snapshot(roomKey: string, members: MemberRecord[], liveNodes: ReadonlySet<string>, settled: boolean): void;
  /** A signal from a peer on another process, already encoded for the receiver. */
  signal(roomKey: string, to: PeerId, frame: Frame, from: { node: string; id: PeerId }): void;
  /** The signals that waited for a peer on its previous process, now that it resumed here. */
  handover(roomKey: string, id: PeerId, frames: Frame[]): void;
  /** A signal this process sent on for `from` could not be delivered. */
  relayFailed(roomKey: string, from: PeerId, failure: RelayFailure): void;
  /** Every session of this process, by room, for the directory to learn again after it lost them. */
  localMembers(): Map<string, LocalMember[]>;
}

export interface RoomBus {
  /** This process's name in the directory. */
  readonly node: string;
  /** Why the directory cannot serve now (for /readyz), or null when it can. */
  readonly unavailable: string | null;
  listen(listener: RoomBusListener): void;
  /** The directory's name for a room (Redis keys hold a hash, never the room id, which is the room's secret). */
  roomKey(roomId: RoomId): string;
  join(ticket: JoinTicket): void;
  /** The member left (or its grace period ended). Ignored when the session has moved to another process. */
  leave(roomKey: string, id: PeerId): void;
  relay(node: string, roomKey: string, to: PeerId, frame: Frame, from: { node: string; id: PeerId }): void;
  handOver(node: string, roomKey: string, id: PeerId, frames: Frame[]): void;
  reportRelayFailure(node: string, roomKey: string, from: PeerId, failure: RelayFailure): void;
  close(): Promise<void>;
}
