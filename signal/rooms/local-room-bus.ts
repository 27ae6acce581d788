/**
 * The room directory of a signal process that runs alone: in memory, and every
 * answer given at once, so that joining is as immediate as it always was.
 */
import type { PeerId, PeerInfo, RoomId } from '../protocol/messages.js';
import type { JoinTicket, RoomBus, RoomBusListener } from './room-bus.js';

interface LocalRecord {
  roomKey: string;
  info: PeerInfo;
  token: string;
}

export class LocalRoomBus implements RoomBus {
  readonly node = 'local';
  readonly unavailable = null;
  readonly #rooms = new Map<string, Map<PeerId, LocalRecord>>();
  readonly #tokens = new Map<string, LocalRecord>();
  readonly #maxRoomSize: number;
  #listener: RoomBusListener | null = null;

  constructor(options: { maxRoomSize: number }) {
    this.#maxRoomSize = options.maxRoomSize;
  }

  listen(listener: RoomBusListener): void {
    this.#listener = listener;
  }

  roomKey(roomId: RoomId): string {
    return roomId;
  }

  join(request: JoinTicket): void {
    const listener = this.#listener!;
    const { ticket, roomKey } = request;
    const previous = request.resumeToken === undefined ? undefined : this.#tokens.get(request.resumeToken);
    const members = this.#rooms.get(roomKey);
    if (previous?.roomKey === roomKey) {
      this.#tokens.delete(previous.token);
      previous.token = request.newToken;
      this.#tokens.set(request.newToken, previous);
      listener.answer({ ticket, kind: 'resumed', roomKey, info: previous.info, previous: this.node, previousAlive: true, peers: this.#peers(members!, previous.info.id) });
      return;
    }
    if (members && members.size >= this.#maxRoomSize) {
      listener.answer({ ticket, kind: 'full' });
      return;
    }
    const room = members ?? new Map<PeerId, LocalRecord>();
    const peers = this.#peers(room, request.id);
    const record = { roomKey, info: request.info, token: request.newToken };
    room.set(request.id, record);
    this.#rooms.set(roomKey, room);
    this.#tokens.set(request.newToken, record);
    listener.answer({ ticket, kind: 'joined', roomKey, id: request.id, peers });
  }

  leave(roomKey: string, id: PeerId): void {
    const members = this.#rooms.get(roomKey);
    const record = members?.get(id);
    if (!record) return;
    this.#tokens.delete(record.token);
    members!.delete(id);
    if (members!.size === 0) this.#rooms.delete(roomKey);
  }

  relay(): void {
    throw new Error('a single process has no other process to relay to');
  }

  handOver(): void {
    throw new Error('a single process has no other process to hand over to');
  }

  reportRelayFailure(): void {
    throw new Error('a single process has no other process to report to');
  }

  async close(): Promise<void> {}

  #peers(members: Map<PeerId, LocalRecord>, except: PeerId) {
    const peers = [];
    for (const [id, record] of members) if (id !== except) peers.push({ info: record.info, node: this.node });
    return peers;
  }
}
