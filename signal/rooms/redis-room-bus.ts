/**
 * The room directory in Redis, for several signal processes (on one host or
 * many) serving one service. Each process has a channel of its own,
 * `whisper:node:<process>`; the scripts in redis-scripts.ts change the
 * directory and publish on the channels of the processes concerned, and
 * processes publish signals for each other's clients on them directly.
 *
 * Every process records a heartbeat each second. One that stays silent past
 * its clients' grace period is given up for dead: any survivor removes its
 * members and tells the rooms (peer-left). When Redis comes back after a
 * restart, or this process was cut off, it writes its sessions back and asks
 * for a snapshot of its rooms, to learn what it missed; meanwhile it is not
 * ready (/readyz).
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { PeerId, PeerInfo, RoomId } from '../protocol/messages.js';
import type { JoinAnswer, JoinTicket, MemberRecord, RelayFailure, RoomBus, RoomBusListener } from './room-bus.js';
import { HEARTBEAT, JOIN, LEAVE, REAP, RESTORE, SNAPSHOT } from './redis-scripts.js';
import { newRandomId, type Frame } from './room-registry.js';

const PREFIX = 'whisper:';
const HEARTBEAT_MS = 1000;
/** A process whose heartbeat is older than this is treated as dead (it hands nothing over on a resume). */
const DEAD_AFTER_MS = 5000;
/** How long a join may wait for Redis to come back before the client is told to try again later. */
const JOIN_WAIT_MS = 4000;

const key = {
  info: (room: string) => `${PREFIX}room:${room}`,
  nodes: (room: string) => `${PREFIX}room-node:${room}`,
  tokens: (room: string) => `${PREFIX}room-token:${room}`,
  token: (hash: string) => `${PREFIX}token:${hash}`,
  rooms: (node: string) => `${PREFIX}node-rooms:${node}`,
  heartbeats: `${PREFIX}nodes`,
  channel: (node: string) => `${PREFIX}node:${node}`,
};

const hash = (text: string): string => createHash('sha256').update(text).digest('base64url');

type Wire =
  | { room: string; kind: 'joined'; id: PeerId; peers: MemberRecord[] }
  | { room: string; kind: 'resumed'; info: PeerInfo; previous: string; alive: boolean; peers: MemberRecord[] };

export interface RedisRoomBusOptions {
  url: string;
  maxRoomSize: number;
  /** The clients' grace period: a dead process's members are removed once it has passed. */
  resumeGraceMs: number;
  log: Logger;
}

export class RedisRoomBus implements RoomBus {
  /** How long a process may be silent before the others count it dead. */
  static readonly deadAfterMs = DEAD_AFTER_MS;
  readonly node = newRandomId(12);
  readonly #commands: Redis;
  readonly #subscriber: Redis;
  readonly #options: RedisRoomBusOptions;
  readonly #log: Logger;
  #listener: RoomBusListener | null = null;
  #subscribed = false;
  /** Set whenever this process may have missed changes or Redis may have lost its sessions. */
  #mustResync = true;
  #resyncing = false;
  #waiting: Array<{ ticket: JoinTicket; since: number }> = [];
  #timer: ReturnType<typeof setInterval>;
  #closed = false;
  #lastProblem: string | null = null;

  constructor(options: RedisRoomBusOptions) {
    this.#options = options;
    this.#log = options.log.child({ component: 'redis', node: this.node });
    // Commands fail at once while Redis is away (no queue that grows without bound) and are never
    // sent twice after a reconnect; the state is written back by the resync instead.
    this.#commands = new Redis(options.url, { enableOfflineQueue: false, autoResendUnfulfilledCommands: false, maxRetriesPerRequest: 1 });
    this.#subscriber = new Redis(options.url, { autoResubscribe: false, maxRetriesPerRequest: null });
    for (const [name, client] of [['commands', this.#commands], ['subscriber', this.#subscriber]] as const) {
      client.on('error', (error: Error) => this.#problem(`${name}: ${error.message}`));
      client.on('close', () => {
        this.#mustResync = true;
        if (client === this.#subscriber) this.#subscribed = false;
      });
      client.on('ready', () => void this.#tick());
    }
    this.#subscriber.on('ready', () => {
      this.#subscriber.subscribe(key.channel(this.node)).then(
        () => {
          this.#subscribed = true;
          void this.#tick();
        },
        (error: Error) => this.#problem(`subscribe: ${error.message}`),
      );
    });
    this.#subscriber.on('messageBuffer', (_channel: Buffer, message: Buffer) => this.#receive(message));
    this.#timer = setInterval(() => void this.#tick(), HEARTBEAT_MS);
    this.#timer.unref?.();
  }

  get unavailable(): string | null {
    if (this.#closed) return 'shutting down';
    if (this.#commands.status !== 'ready' || !this.#subscribed) return 'redis unavailable';
    if (this.#mustResync || this.#resyncing) return 'restoring rooms in redis';
    return null;
  }

  listen(listener: RoomBusListener): void {
    this.#listener = listener;
  }

  roomKey(roomId: RoomId): string {
    return hash(roomId);
  }

  join(ticket: JoinTicket): void {
    if (this.unavailable === null) this.#runJoin(ticket);
    else this.#waiting.push({ ticket, since: Date.now() });
  }

  leave(roomKey: string, id: PeerId): void {
    LEAVE.run(this.#commands, [key.info(roomKey), key.nodes(roomKey), key.tokens(roomKey), key.rooms(this.node)], [this.node, roomKey, id, PREFIX]).catch(
      (error: Error) => this.#lostWrite('leave', error),
    );
  }

  relay(node: string, roomKey: string, to: PeerId, frame: Frame, from: { node: string; id: PeerId }): void {
    // Header lines, then the frame as it goes to the client: the receiving process parses no JSON.
    const header = `s${roomKey}\n${to}\n${from.node}\n${from.id}\n`;
    const message = typeof frame === 'string' ? header + frame : Buffer.concat([Buffer.from(header, 'latin1'), frame]);
    // Nobody listening: that process has stopped. The sender hears it, wherever it is.
    const unreachable = () => this.reportRelayFailure(from.node, roomKey, from.id, 'peer-unreachable');
    this.#commands.publish(key.channel(node), message).then((receivers) => receivers === 0 && unreachable(), unreachable);
  }

  handOver(node: string, roomKey: string, id: PeerId, frames: Frame[]): void {
    const texts = frames.map((frame) => (typeof frame === 'string' ? frame : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).toString('utf8')));
    this.#publish(node, `h${JSON.stringify({ room: roomKey, id, frames: texts })}`);
  }

  reportRelayFailure(node: string, roomKey: string, from: PeerId, failure: RelayFailure): void {
    if (node === this.node) this.#listener!.relayFailed(roomKey, from, failure);
    else this.#publish(node, `b${JSON.stringify({ room: roomKey, id: from, failure })}`);
  }

  /** Leaves the directory's view of live processes at once, so that resumes elsewhere do not wait for a handover. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    for (const { ticket } of this.#waiting.splice(0)) this.#listener!.answer({ ticket: ticket.ticket, kind: 'unavailable' });
    await HEARTBEAT.run(this.#commands, [key.heartbeats], [this.node, -DEAD_AFTER_MS]).catch(() => undefined);
    this.#subscriber.disconnect();
    await this.#commands.quit().catch(() => undefined);
  }

  #runJoin(ticket: JoinTicket): void {
    const { roomKey } = ticket;
    const presented = ticket.resumeToken === undefined ? '' : hash(ticket.resumeToken);
    const newToken = hash(ticket.newToken);
    JOIN.run(
      this.#commands,
      [key.info(roomKey), key.nodes(roomKey), key.tokens(roomKey), key.token(presented), key.token(newToken), key.rooms(this.node), key.heartbeats],
      [this.node, ticket.ticket, roomKey, ticket.id, JSON.stringify(ticket.info), this.#options.maxRoomSize, newToken, PREFIX, DEAD_AFTER_MS, presented === '' ? 0 : 1],
    ).catch((error: Error) => {
      // Whether or not Redis applied it, its answer will not come: the resync cleans up after it.
      this.#lostWrite('join', error);
      this.#listener!.answer({ ticket: ticket.ticket, kind: 'unavailable' });
    });
  }

  #publish(node: string, message: string): void {
    this.#commands.publish(key.channel(node), message).catch((error: Error) => this.#lostWrite('publish', error));
  }

  #receive(bytes: Buffer): void {
    const listener = this.#listener!;
    try {
      if (bytes[0] === 0x73 /* s */) {
        const lines: string[] = [];
        let at = 1;
        for (let line = 0; line < 4; line++) {
          const end = bytes.indexOf(0x0a, at);
          lines.push(bytes.toString('latin1', at, end));
          at = end + 1;
        }
        listener.signal(lines[0]!, lines[1]!, bytes.subarray(at), { node: lines[2]!, id: lines[3]! });
        return;
      }
      const message = bytes.toString('utf8');
      const body = message.slice(1);
      switch (message[0]) {
        case 'a': {
          const answer = JSON.parse(body) as { ticket: number; kind: 'full' } | ({ ticket: number } & Wire);
          listener.answer(toAnswer(answer));
          return;
        }
        case 'j': {
          const { room, node, info } = JSON.parse(body) as { room: string; node: string; info: PeerInfo };
          listener.peerJoined(room, { info, node });
          return;
        }
        case 'l': {
          const { room, id } = JSON.parse(body) as { room: string; id: PeerId };
          listener.peerLeft(room, id);
          return;
        }
        case 'm': {
          const { room, id, node } = JSON.parse(body) as { room: string; id: PeerId; node: string };
          listener.peerMoved(room, id, node);
          return;
        }
        case 'z': {
          const { room, peers, live, settled } = JSON.parse(body) as { room: string; peers: MemberRecord[]; live: string[]; settled: boolean };
          listener.snapshot(room, peers, new Set(live), settled);
          return;
        }
        case 'h': {
          const { room, id, frames } = JSON.parse(body) as { room: string; id: PeerId; frames: string[] };
          listener.handover(room, id, frames);
          return;
        }
        case 'b': {
          const { room, id, failure } = JSON.parse(body) as { room: string; id: PeerId; failure: RelayFailure };
          listener.relayFailed(room, id, failure);
          return;
        }
      }
      this.#log.warn({ kind: message[0] }, 'unknown message on the process channel');
    } catch (error) {
      this.#log.error({ err: error }, 'message on the process channel not handled');
    }
  }

  /** Resync when needed, heartbeat, reaping of dead processes, and the joins that waited for Redis. */
  async #tick(): Promise<void> {
    if (this.#closed) return;
    this.#expireWaitingJoins();
    if (this.#commands.status !== 'ready' || !this.#subscribed || this.#resyncing) return;
    try {
      // Sessions are written back before the heartbeat: a process that is live in the directory has all its members there.
      const resynced = this.#mustResync;
      if (resynced) await this.#resync();
      const added = await HEARTBEAT.run(this.#commands, [key.heartbeats], [this.node, 0]);
      // Not recorded though nothing was lost on this side: given up for dead while it was blocked. Write everything back.
      if (added === 1 && !resynced) this.#mustResync = true;
      const silence = Math.max(DEAD_AFTER_MS, this.#options.resumeGraceMs);
      const reaped = (await REAP.run(this.#commands, [key.heartbeats], [PREFIX, silence])) as number;
      if (reaped > 0) this.#log.info({ reaped }, 'removed the members of a process that stopped');
      if (this.#lastProblem !== null) {
        this.#log.info('redis available again');
        this.#lastProblem = null;
      }
    } catch (error) {
      this.#problem(`heartbeat: ${(error as Error).message}`);
      return;
    }
    if (this.unavailable === null) for (const { ticket } of this.#waiting.splice(0)) this.#runJoin(ticket);
  }

  #expireWaitingJoins(): void {
    const now = Date.now();
    const expired = this.#waiting.filter((waiting) => waiting.since + JOIN_WAIT_MS < now);
    if (expired.length === 0) return;
    this.#waiting = this.#waiting.filter((waiting) => waiting.since + JOIN_WAIT_MS >= now);
    for (const { ticket } of expired) this.#listener!.answer({ ticket: ticket.ticket, kind: 'unavailable' });
  }

  /**
   * Writes this process's sessions back into the directory and asks for a snapshot of each of its
   * rooms (the snapshots come on the channel, in order with everything else). Other processes may
   * write theirs back a little later, so a settled snapshot follows once they have had time to.
   */
  async #resync(): Promise<void> {
    this.#resyncing = true;
    this.#mustResync = false;
    try {
      const local = this.#listener!.localMembers();
      const recorded = await this.#commands.smembers(key.rooms(this.node));
      for (const roomKey of new Set([...local.keys(), ...recorded])) {
        const args: Array<string | number> = [this.node, roomKey, PREFIX];
        for (const member of local.get(roomKey) ?? []) args.push(member.info.id, JSON.stringify(member.info), hash(member.resumeToken));
        await RESTORE.run(this.#commands, [key.info(roomKey), key.nodes(roomKey), key.tokens(roomKey), key.rooms(this.node)], args);
      }
      for (const roomKey of local.keys()) await this.#snapshot(roomKey, false);
      this.#log.info({ rooms: local.size }, 'rooms restored in redis');
      setTimeout(() => {
        for (const roomKey of this.#listener!.localMembers().keys()) this.#snapshot(roomKey, true).catch(() => (this.#mustResync = true));
      }, DEAD_AFTER_MS).unref?.();
    } catch (error) {
      this.#mustResync = true;
      throw error;
    } finally {
      this.#resyncing = false;
    }
  }

  #snapshot(roomKey: string, settled: boolean): Promise<unknown> {
    return SNAPSHOT.run(this.#commands, [key.info(roomKey), key.nodes(roomKey), key.heartbeats], [this.node, roomKey, PREFIX, DEAD_AFTER_MS, String(settled)]);
  }

  #lostWrite(what: string, error: Error): void {
    this.#mustResync = true;
    this.#problem(`${what}: ${error.message}`);
  }

  #problem(detail: string): void {
    if (this.#lastProblem === null) this.#log.warn({ detail }, 'redis unavailable');
    this.#lastProblem = detail;
  }
}

function toAnswer(answer: { ticket: number; kind: 'full' } | ({ ticket: number } & Wire)): JoinAnswer {
  switch (answer.kind) {
    case 'full':
      return answer;
    case 'joined':
      return { ticket: answer.ticket, kind: 'joined', roomKey: answer.room, id: answer.id, peers: answer.peers };
    case 'resumed':
      return {
        ticket: answer.ticket,
        kind: 'resumed',
        roomKey: answer.room,
        info: answer.info,
        previous: answer.previous,
        previousAlive: answer.alive,
        peers: answer.peers,
      };
  }
}
