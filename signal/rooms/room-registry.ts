/**
 * Room state: who is in which room, their sessions, resume tokens and grace
 * periods. It knows nothing of uWebSockets.js; it talks to clients through
 * `ClientLink`, so it is unit-tested with fake links and fake timers.
 */
import { randomBytes } from 'node:crypto';
import { encodeServerMessage } from '../protocol/encode.js';
import type { DeviceKey, PeerId, PeerInfo, RoomId } from '../protocol/messages.js';

/** The registry's view of a live connection. */
export interface ClientLink {
  send(text: string): void;
  close(code: number, reason: string): void;
}

export interface PeerSession {
  readonly id: PeerId;
  readonly roomId: RoomId;
  readonly name: string;
  /** The device key the client claimed; relayed to others as a hint, never trusted here. */
  readonly device: DeviceKey | undefined;
  resumeToken: string;
  /** The live connection, or null while the peer is within its resume grace period. */
  link: ClientLink | null;
  graceTimer: ReturnType<typeof setTimeout> | null;
  /** Signals that arrived while the peer was away, delivered in order on resume. */
  pending: string[];
  left: boolean;
}

export type JoinOutcome =
  | { ok: true; session: PeerSession; resumed: boolean; peers: PeerInfo[] }
  | { ok: false; code: 'room-full' };

export type RelayOutcome = 'delivered' | 'queued' | 'unknown-peer' | 'peer-unreachable';

export interface RoomRegistryOptions {
  maxRoomSize: number;
  /** How long a dropped peer keeps its place (and id) before the others see it leave. */
  resumeGraceMs: number;
  /** How many signals are kept for a peer within its grace period. */
  pendingLimit: number;
  /** Called with the session whenever a peer really leaves (explicitly or after its grace period). */
  onLeave?: (session: PeerSession) => void;
}

function peerInfo(session: PeerSession): PeerInfo {
  return session.device === undefined ? { id: session.id, name: session.name } : { id: session.id, name: session.name, device: session.device };
}

export const newRandomId = (bytes: number): string => randomBytes(bytes).toString('base64url');

export class RoomRegistry {
  readonly #rooms = new Map<RoomId, Map<PeerId, PeerSession>>();
  readonly #byToken = new Map<string, PeerSession>();
  readonly #options: RoomRegistryOptions;
  #sessionCount = 0;
  #awayCount = 0;

  constructor(options: RoomRegistryOptions) {
    this.#options = options;
  }

  get roomCount(): number {
    return this.#rooms.size;
  }

  get sessionCount(): number {
    return this.#sessionCount;
  }

  /** Sessions within their grace period (no live connection). */
  get awayCount(): number {
    return this.#awayCount;
  }

  /**
   * Joins `roomId`, or resumes the session that `resumeToken` names when it is
   * still alive in that room. A resumed session keeps its id and name; the
   * others are not told anything, since for them the peer never left.
   */
  join(link: ClientLink, roomId: RoomId, name: string, resumeToken?: string, device?: DeviceKey): JoinOutcome {
    const previous = resumeToken === undefined ? undefined : this.#byToken.get(resumeToken);
    if (previous && previous.roomId === roomId && !previous.left) {
      this.#resume(previous, link);
      return { ok: true, session: previous, resumed: true, peers: this.#othersIn(previous) };
    }

    let members = this.#rooms.get(roomId);
    if (members && members.size >= this.#options.maxRoomSize) return { ok: false, code: 'room-full' };
    if (!members) {
      members = new Map();
      this.#rooms.set(roomId, members);
    }
    const session: PeerSession = {
      id: this.#unusedId(members),
      roomId,
      name,
      device,
      resumeToken: this.#newToken(),
      link,
      graceTimer: null,
      pending: [],
      left: false,
    };
    this.#broadcast(members, encodeServerMessage({ type: 'peer-joined', peer: peerInfo(session) }));
    members.set(session.id, session);
    this.#byToken.set(session.resumeToken, session);
    this.#sessionCount++;
    return { ok: true, session, resumed: false, peers: this.#othersIn(session) };
  }

  /** The peer said goodbye: the others see `peer-left` at once. */
  leave(session: PeerSession): void {
    if (session.left) return;
    session.left = true;
    if (session.graceTimer) clearTimeout(session.graceTimer);
    if (!session.link) this.#awayCount--;
    session.graceTimer = null;
    session.link = null;
    session.pending = [];
    this.#byToken.delete(session.resumeToken);
    this.#sessionCount--;
    const members = this.#rooms.get(session.roomId);
    if (!members) return;
    members.delete(session.id);
    if (members.size === 0) this.#rooms.delete(session.roomId);
    else this.#broadcast(members, encodeServerMessage({ type: 'peer-left', id: session.id }));
    this.#options.onLeave?.(session);
  }

  /**
   * The connection behind `link` is gone without a goodbye. The peer keeps its
   * place for the grace period, so that a reconnect does not flap its presence.
   */
  detach(session: PeerSession, link: ClientLink): void {
    if (session.left || session.link !== link) return;
    session.link = null;
    if (this.#options.resumeGraceMs <= 0) {
      this.leave(session);
      return;
    }
    this.#awayCount++;
    session.graceTimer = setTimeout(() => this.leave(session), this.#options.resumeGraceMs);
    session.graceTimer.unref?.();
  }

  /** Delivers an encoded `signal` to a member of the sender's room. */
  relay(from: PeerSession, to: PeerId, text: string): RelayOutcome {
    const target = this.#rooms.get(from.roomId)?.get(to);
    if (!target || target === from) return 'unknown-peer';
    if (target.link) {
      target.link.send(text);
      return 'delivered';
    }
    if (target.pending.length >= this.#options.pendingLimit) return 'peer-unreachable';
    target.pending.push(text);
    return 'queued';
  }

  /** Stops every grace timer (server shutdown). */
  dispose(): void {
    for (const session of this.#byToken.values()) {
      if (session.graceTimer) clearTimeout(session.graceTimer);
      session.graceTimer = null;
    }
  }

  #resume(session: PeerSession, link: ClientLink): void {
    if (session.graceTimer) {
      clearTimeout(session.graceTimer);
      session.graceTimer = null;
    }
    const old = session.link;
    if (old && old !== link) {
      // Detach first so that the old socket's close does not start a grace period.
      session.link = null;
      old.close(4001, 'session resumed elsewhere');
    } else if (!old) {
      this.#awayCount--;
    }
    this.#byToken.delete(session.resumeToken);
    session.resumeToken = this.#newToken();
    this.#byToken.set(session.resumeToken, session);
    session.link = link;
  }

  /** Flushes what arrived while the peer was away; call after the welcome was sent. */
  flushPending(session: PeerSession): void {
    const { link } = session;
    if (!link) return;
    const pending = session.pending;
    session.pending = [];
    for (const text of pending) link.send(text);
  }

  #othersIn(session: PeerSession): PeerInfo[] {
    const members = this.#rooms.get(session.roomId);
    if (!members) return [];
    const peers: PeerInfo[] = [];
    for (const member of members.values()) {
      if (member !== session) peers.push(peerInfo(member));
    }
    return peers;
  }

  #broadcast(members: Map<PeerId, PeerSession>, text: string): void {
    for (const member of members.values()) member.link?.send(text);
  }

  #unusedId(members: Map<PeerId, PeerSession>): PeerId {
    // 128 bits make a collision practically impossible; ids only need to differ within a room.
    for (;;) {
      const id = newRandomId(16);
      if (!members.has(id)) return id;
    }
  }

  #newToken(): string {
    return newRandomId(32);
  }
}
