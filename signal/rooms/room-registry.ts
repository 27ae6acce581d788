/**
 * Room state of one signal process: its clients' sessions, their rooms, resume
 * grace periods and the signals that wait for a peer who is away, plus what it
 * knows of the members other processes serve. It keeps them in its parts: each
 * room a `RoomView`, the sessions away `AwaySessions`, what waits for them
 * `PendingSignals`. It knows nothing of uWebSockets.js (clients are
 * `ClientLink`s) nor of Redis (the room directory is a `RoomBus`), so it is
 * unit-tested with fake links, fake timers and the in-memory bus.
 */
import { randomBytes } from 'node:crypto';
import { encodeServerMessage } from '../protocol/encode.js';
import type { DeviceKey, PeerId, PeerInfo, RoomId } from '../protocol/messages.js';
import { AwaySessions } from './away-sessions.js';
import type { ClientLink, Frame } from './client-link.js';
import { newPeerSession, type PeerSession } from './peer-session.js';
import { PendingSignals } from './pending-signals.js';
import type { JoinAnswer, LocalMember, MemberRecord, RelayFailure, RoomBus, RoomBusListener } from './room-bus.js';
import { RoomView } from './room-view.js';

export type { ClientLink, Frame } from './client-link.js';
export type { PeerSession } from './peer-session.js';

export interface JoinRequest {
  roomId: RoomId;
  name: string;
  device?: DeviceKey | undefined;
  /** The token of an earlier welcome, to resume that session. */
  resumeToken?: string | undefined;
}

export type JoinOutcome =
  | { ok: true; session: PeerSession; resumed: boolean; peers: PeerInfo[] }
  | { ok: false; code: 'room-full' | 'unavailable' | 'too-many-rooms' };

/** What this process refused because it holds as much as it may: its metric's `reason`. */
export type CapacityRefusal = 'rooms' | 'away-sessions' | 'pending-signal-bytes';

export type RelayOutcome = 'delivered' | 'queued' | RelayFailure;

export interface RoomRegistryOptions {
  bus: RoomBus;
  /** How long a dropped peer keeps its place (and id) before the others see it leave. */
  resumeGraceMs: number;
  /** How many signals are kept for a peer within its grace period. */
  pendingLimit: number;
  /** How many bytes of signals are kept for one peer (default: no cap beyond `pendingLimit`). */
  pendingBytesPerPeer?: number;
  /** How many bytes of signals are kept for all the peers of this process together (default: no cap). */
  maxPendingBytes?: number;
  /** Sessions within their grace period at most; a peer whose connection drops past it leaves at once (default: no cap). */
  maxAwaySessions?: number;
  /** Rooms this process has clients in, at most; a join that would add one is refused (default: no cap). */
  maxRooms?: number;
  /** Something was refused because this process holds as much as it may. */
  onCapacityRefused?: (reason: CapacityRefusal) => void;
  /** How long a join may wait for the directory before it is refused as unavailable. */
  joinTimeoutMs?: number;
  /** How long a resumed session waits for its previous process to hand over its signals. */
  handoverTimeoutMs?: number;
  /**
   * Someone joined the room of `session`, a client of this process that is connected: called before that
   * client is told who, for each such member, whichever process the newcomer is on.
   */
  onCompany?: (session: PeerSession) => void;
  /** Called with the session whenever a peer really leaves (explicitly or after its grace period). */
  onLeave?: (session: PeerSession) => void;
  /** A signal that went to another process could not be delivered there. */
  onRelayFailed?: (session: PeerSession, failure: RelayFailure) => void;
}

interface PendingJoin {
  link: ClientLink;
  roomId: RoomId;
  /** Who the client becomes if it joins as a new member. */
  info: PeerInfo;
  newToken: string;
  done: (outcome: JoinOutcome) => void;
  timer: ReturnType<typeof setTimeout> | null;
}

const REPLACED = 4001;

export const newRandomId = (bytes: number): string => randomBytes(bytes).toString('base64url');

function peerInfo(id: PeerId, name: string, device: DeviceKey | undefined): PeerInfo {
  return device === undefined ? { id, name } : { id, name, device };
}

export class RoomRegistry implements RoomBusListener {
  readonly #rooms = new Map<string, RoomView>();
  readonly #joins = new Map<number, PendingJoin>();
  readonly #bus: RoomBus;
  readonly #options: RoomRegistryOptions;
  #nextTicket = 1;
  #sessionCount = 0;
  readonly #away: AwaySessions;
  readonly #held: PendingSignals;

  constructor(options: RoomRegistryOptions) {
    this.#options = options;
    this.#away = new AwaySessions({
      graceMs: options.resumeGraceMs,
      max: options.maxAwaySessions,
      onFull: () => options.onCapacityRefused?.('away-sessions'),
    });
    this.#held = new PendingSignals({
      perPeer: options.pendingLimit,
      bytesPerPeer: options.pendingBytesPerPeer,
      bytes: options.maxPendingBytes,
      onFull: () => options.onCapacityRefused?.('pending-signal-bytes'),
      handoverTimeoutMs: options.handoverTimeoutMs ?? 1000,
    });
    this.#bus = options.bus;
    this.#bus.listen(this);
  }

  /** Rooms this process has clients in. */
  get roomCount(): number {
    return this.#rooms.size;
  }

  /** Sessions of this process's clients, including those within their grace period. */
  get sessionCount(): number {
    return this.#sessionCount;
  }

  /** Sessions within their grace period (no live connection). */
  get awayCount(): number {
    return this.#away.count;
  }

  /** Bytes of the signals held for peers that are away or wait for a handover. */
  get pendingBytes(): number {
    return this.#held.bytes;
  }

  /**
   * Joins a room, or resumes the session that `resumeToken` names when it is
   * still alive in that room, here or on another process. A resumed session
   * keeps its id and name; the others are not told anything, since for them the
   * peer never left. `done` is called once, when the directory has decided (at
   * once in a single process).
   */
  join(link: ClientLink, request: JoinRequest, done: (outcome: JoinOutcome) => void): void {
    // Checked before asking the directory, so a refusal changes nothing there; with Redis, joins on their way may pass it together.
    if (this.#rooms.size >= (this.#options.maxRooms ?? Infinity) && !this.#rooms.has(this.#bus.roomKey(request.roomId))) {
      this.#options.onCapacityRefused?.('rooms');
      done({ ok: false, code: 'too-many-rooms' });
      return;
    }
    const ticket = this.#nextTicket++;
    // 128 bits: ids only need to differ within a room, and a collision is practically impossible.
    const id = newRandomId(16);
    const info = peerInfo(id, request.name, request.device);
    const pending: PendingJoin = { link, roomId: request.roomId, info, newToken: newRandomId(32), done, timer: null };
    this.#joins.set(ticket, pending);
    this.#bus.join({ ticket, roomKey: this.#bus.roomKey(request.roomId), id, info, resumeToken: request.resumeToken, newToken: pending.newToken });
    if (!this.#joins.has(ticket)) return;
    pending.timer = setTimeout(() => {
      if (this.#joins.delete(ticket)) done({ ok: false, code: 'unavailable' });
    }, this.#options.joinTimeoutMs ?? 5000);
    pending.timer.unref?.();
  }

  /** The peer said goodbye: the others see `peer-left` at once. */
  leave(session: PeerSession): void {
    if (session.left) return;
    this.#forget(session);
    this.#bus.leave(session.roomKey, session.id);
    const view = this.#rooms.get(session.roomKey);
    view?.tell(encodeServerMessage({ type: 'peer-left', id: session.id }));
    this.#options.onLeave?.(session);
  }

  /**
   * The connection behind `link` is gone without a goodbye. The peer keeps its
   * place for the grace period, so that a reconnect does not flap its presence.
   */
  detach(session: PeerSession, link: ClientLink): void {
    if (session.left || session.link !== link) return;
    if (!this.#away.start(session, () => this.leave(session))) {
      // No grace period, or as many away as may be: it leaves while still counted as connected, so never as away.
      this.leave(session);
      return;
    }
    session.link = null;
  }

  /** Whether the room of `session` has another member (connected or away, here or on another process). */
  hasCompany(session: PeerSession): boolean {
    const view = this.#rooms.get(session.roomKey);
    return !!view?.shared;
  }

  /** Delivers an encoded `signal` to a member of the sender's room, on this process or another. */
  relay(from: PeerSession, to: PeerId, text: Frame): RelayOutcome {
    const view = this.#rooms.get(from.roomKey);
    const target = view?.local.get(to);
    if (target) return target === from ? 'unknown-peer' : this.#deliver(target, text);
    const remote = view?.remote?.get(to);
    if (!remote) return 'unknown-peer';
    this.#bus.relay(remote.node, from.roomKey, to, text, { node: this.#bus.node, id: from.id });
    return 'delivered';
  }

  /**
   * Delivers `frame` to peer `to` of a room without a sender in it (a call
   * declined from a notification): to a client of this process, or of another
   * process this one knows to serve it. False when neither is known here.
   */
  deliverToMember(roomId: RoomId, to: PeerId, frame: Frame): boolean {
    const roomKey = this.#bus.roomKey(roomId);
    const view = this.#rooms.get(roomKey);
    const target = view?.local.get(to);
    // Queued counts: a caller whose connection dropped a moment ago gets it on resuming.
    if (target) return this.#deliver(target, frame) !== 'peer-unreachable';
    const remote = view?.remote?.get(to);
    if (!remote) return false;
    // No sender to report a failure to: the id given is the target's, which has no session here.
    this.#bus.relay(remote.node, roomKey, to, frame, { node: this.#bus.node, id: to });
    return true;
  }

  /** Flushes what arrived while the peer was away; call after the welcome was sent. */
  flushPending(session: PeerSession): void {
    const { link } = session;
    if (!link) return;
    for (const text of this.#held.take(session)) link.send(text);
  }

  /** Stops every timer (server shutdown). Sessions stay in the directory, so that clients can resume elsewhere. */
  dispose(): void {
    for (const view of this.#rooms.values()) {
      for (const session of view.local.values()) {
        this.#away.stop(session);
        this.#held.stop(session);
      }
    }
    for (const pending of this.#joins.values()) if (pending.timer) clearTimeout(pending.timer);
  }

  // What the directory says, in the order it decided it.

  answer(answer: JoinAnswer): void {
    const pending = this.#joins.get(answer.ticket);
    if (!pending) {
      // The client was told the service is unavailable: nobody holds this session.
      if (answer.kind === 'joined') this.#bus.leave(answer.roomKey, answer.id);
      if (answer.kind === 'resumed') this.#bus.leave(answer.roomKey, answer.info.id);
      return;
    }
    this.#joins.delete(answer.ticket);
    if (pending.timer) clearTimeout(pending.timer);
    switch (answer.kind) {
      case 'full':
        pending.done({ ok: false, code: 'room-full' });
        return;
      case 'unavailable':
        pending.done({ ok: false, code: 'unavailable' });
        return;
      case 'joined': {
        const view = this.#view(answer.roomKey, pending.roomId);
        view.learn(answer.peers, this.#bus.node);
        const session = this.#newSession(view, answer.roomKey, pending, pending.info);
        pending.done({ ok: true, session, resumed: false, peers: answer.peers.map((peer) => peer.info) });
        return;
      }
      case 'resumed': {
        const view = this.#view(answer.roomKey, pending.roomId);
        const existing = view.local.get(answer.info.id);
        let session: PeerSession;
        if (existing) {
          this.#takeOver(existing, pending.link, pending.newToken);
          session = existing;
        } else {
          view.remote?.delete(answer.info.id);
          session = this.#newSession(view, answer.roomKey, pending, answer.info, false);
          if (answer.previous !== this.#bus.node && answer.previousAlive) {
            this.#held.awaitHandover(session, () => this.handover(session.roomKey, session.id, []));
          }
        }
        view.learn(answer.peers, this.#bus.node);
        pending.done({ ok: true, session, resumed: true, peers: answer.peers.map((peer) => peer.info) });
        return;
      }
    }
  }

  peerJoined(roomKey: string, member: MemberRecord): void {
    const view = this.#rooms.get(roomKey);
    const id = member.info.id;
    if (!view || view.local.has(id) || view.remote?.has(id)) return;
    view.addRemote(member);
    this.#joinedBy(view, member.info);
  }

  peerLeft(roomKey: string, id: PeerId): void {
    const view = this.#rooms.get(roomKey);
    if (view?.remote?.delete(id)) view.tell(encodeServerMessage({ type: 'peer-left', id }));
  }

  peerMoved(roomKey: string, id: PeerId, node: string): void {
    const view = this.#rooms.get(roomKey);
    if (!view) return;
    const session = view.local.get(id);
    const remote = view.remote?.get(id);
    if (session) this.#movedAway(view, session, node);
    else if (remote) remote.node = node;
  }

  snapshot(roomKey: string, members: MemberRecord[], liveNodes: ReadonlySet<string>, settled: boolean): void {
    const view = this.#rooms.get(roomKey);
    if (!view) return;
    const present = new Set<PeerId>();
    for (const member of members) {
      const id = member.info.id;
      present.add(id);
      // A member recorded here that this process does not hold is cleaned up by the directory's restore.
      if (member.node === this.#bus.node) continue;
      const session = view.local.get(id);
      const remote = view.remote?.get(id);
      if (session) this.#movedAway(view, session, member.node);
      else if (remote) remote.node = member.node;
      else this.peerJoined(roomKey, member);
    }
    for (const [id, member] of [...(view.remote ?? [])]) {
      if (!present.has(id) && (settled || liveNodes.has(member.node))) this.peerLeft(roomKey, id);
    }
  }

  signal(roomKey: string, to: PeerId, frame: Frame, from: { node: string; id: PeerId }): void {
    const view = this.#rooms.get(roomKey);
    const session = view?.local.get(to);
    if (session) {
      const outcome = this.#deliver(session, frame);
      if (outcome === 'peer-unreachable') this.#bus.reportRelayFailure(from.node, roomKey, from.id, outcome);
      return;
    }
    // The peer moved on (resumed elsewhere) just before the signal came: send it after the peer, once.
    const remote = view?.remote?.get(to);
    if (remote && remote.node !== from.node) this.#bus.relay(remote.node, roomKey, to, frame, from);
    else this.#bus.reportRelayFailure(from.node, roomKey, from.id, 'unknown-peer');
  }

  handover(roomKey: string, id: PeerId, frames: Frame[]): void {
    const session = this.#rooms.get(roomKey)?.local.get(id);
    if (!session) return;
    const fresh = this.#held.endHandover(session);
    for (const frame of [...frames, ...fresh]) this.#deliver(session, frame);
  }

  relayFailed(roomKey: string, from: PeerId, failure: RelayFailure): void {
    const session = this.#rooms.get(roomKey)?.local.get(from);
    if (session) this.#options.onRelayFailed?.(session, failure);
  }

  localMembers(): Map<string, LocalMember[]> {
    const rooms = new Map<string, LocalMember[]>();
    for (const [roomKey, view] of this.#rooms) {
      rooms.set(
        roomKey,
        [...view.local.values()].map((session) => ({ info: session.info, resumeToken: session.resumeToken })),
      );
    }
    return rooms;
  }

  // Internals.

  #view(roomKey: string, roomId: RoomId): RoomView {
    let view = this.#rooms.get(roomKey);
    if (!view) {
      view = new RoomView(roomId);
      this.#rooms.set(roomKey, view);
    }
    return view;
  }

  #newSession(view: RoomView, roomKey: string, pending: PendingJoin, info: PeerInfo, announce = true): PeerSession {
    const session = newPeerSession(view.roomId, roomKey, info, pending.newToken, pending.link);
    if (announce) this.#joinedBy(view, info);
    view.local.set(session.id, session);
    this.#sessionCount++;
    return session;
  }

  /** A session of this process resumed on a new connection of this process. */
  #takeOver(session: PeerSession, link: ClientLink, token: string): void {
    const old = session.link;
    if (old && old !== link) {
      // Detach first so that the old socket's close does not start a grace period.
      session.link = null;
      old.close(REPLACED, 'session resumed elsewhere');
    } else if (!old) {
      this.#away.end(session);
    }
    session.resumeToken = token;
    session.link = link;
  }

  /** A session of this process was resumed on another process: hand it over and keep it as a remote member. */
  #movedAway(view: RoomView, session: PeerSession, node: string): void {
    const link = session.link;
    const frames = this.#forget(session);
    link?.close(REPLACED, 'session resumed elsewhere');
    view.addRemote({ info: session.info, node });
    this.#bus.handOver(node, session.roomKey, session.id, frames);
  }

  /** Removes a session from this process (it left, or moved away); returns the signals it held, in order. */
  #forget(session: PeerSession): Frame[] {
    session.left = true;
    if (!session.link) this.#away.end(session);
    session.link = null;
    const frames = this.#held.drop(session);
    this.#sessionCount--;
    const view = this.#rooms.get(session.roomKey);
    if (view) {
      view.local.delete(session.id);
      if (view.local.size === 0) this.#rooms.delete(session.roomKey);
    }
    return frames;
  }

  #deliver(session: PeerSession, frame: Frame): RelayOutcome {
    if (session.link && !session.handover) {
      session.link.send(frame);
      return 'delivered';
    }
    return this.#held.hold(session, frame) ? 'queued' : 'peer-unreachable';
  }

  /** Tells this process's members of a room that `peer` joined it. */
  #joinedBy(view: RoomView, peer: PeerInfo): void {
    const onCompany = this.#options.onCompany;
    if (onCompany) for (const member of view.local.values()) if (member.link) onCompany(member);
    view.tell(encodeServerMessage({ type: 'peer-joined', peer }));
  }
}
