import { LocalAddressLimits } from '../limits/address-limits.js';
import { readConfig } from '../config.js';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SignalMetrics } from '../ops/metrics.js';
import { LocalRoomBus } from '../rooms/local-room-bus.js';
import { RoomRegistry, type ClientLink, type Frame } from '../rooms/room-registry.js';
import { IceServerIssuer, turnPassword } from '../turn/ice-servers.js';
import { ClientConnection, type ConnectionLimits } from './client-connection.js';
import type { HandlerContext } from './context.js';
import { connectionClosed, dispatchBinary, dispatchText } from './dispatch.js';
import { offerTurn } from './join.js';

class FakeSocket implements ClientLink {
  readonly inbox: Array<Record<string, unknown>> = [];
  closedWith: number | null = null;
  send(frame: Frame): void {
    this.inbox.push(JSON.parse(typeof frame === 'string' ? frame : Buffer.from(frame).toString()) as Record<string, unknown>);
  }
  batch(sends: () => void): void {
    sends();
  }
  close(code: number): void {
    this.closedWith = code;
  }
  take(): Array<Record<string, unknown>> {
    return this.inbox.splice(0);
  }
}

const ROOM = 'Zm9vYmFyYmF6cXV4MTIzNA';
const LIMITS: ConnectionLimits = { messagesPerSecond: 10, burst: 5, strikes: 3, strikesForgivenPerSecond: 1 };

function makeContext(turn = false, turnCredentialsPerHour = 1e6): HandlerContext {
  const context: HandlerContext = {
    registry: new RoomRegistry({ bus: new LocalRoomBus({ maxRoomSize: 2 }), resumeGraceMs: 1000, pendingLimit: 8, onCompany: (session) => offerTurn(context, session) }),
    metrics: new SignalMetrics({ connections: () => 0, rooms: () => context.registry.roomCount, peers: () => 0, peersAway: () => 0, pendingSignalBytes: () => 0, trackedAddresses: () => 0 }),
    log: pino({ level: 'silent' }),
    push: null,
    // The fake connections have no address ([""]): only the limits of one address apply to them.
    addresses: new LocalAddressLimits({ ...readConfig({}).addressLimits, connectionsPerAddress: 1e6, connectionsPerMinute: 1e6, joinsPerMinute: 1e6, turnCredentialsPerHour }),
    refused: () => undefined,
    connections: new WeakMap(),
    iceServers: new IceServerIssuer({
      stunUrls: ['stun:stun.example.org:3478'],
      turnUrls: turn ? ['turn:turn.example.org:3478?transport=udp'] : [],
      turnSecret: turn ? 's3cret' : null,
      turnTtlSeconds: 600,
    }),
    limits: { maxMessageBytes: 65536, maxRoomSize: 2, messagesPerSecond: 10, burst: 5, resumeGraceMs: 1000 },
  };
  return context;
}

function connect(context: HandlerContext, limits = LIMITS) {
  const socket = new FakeSocket();
  const connection = new ClientConnection(socket, limits);
  const send = (message: unknown) => dispatchText(context, connection, JSON.stringify(message));
  const sendText = (text: string) => dispatchText(context, connection, text);
  return { socket, connection, send, sendText };
}

describe('dispatch', () => {
  beforeEach(() => vi.useFakeTimers({ now: new Date('2026-11-26T10:00:00Z') }));
  afterEach(() => vi.useRealTimers());

  it('welcomes a joiner with its id, the others, ICE servers and limits', () => {
    const context = makeContext();
    const alice = connect(context);
    alice.send({ type: 'join', room: ROOM, name: 'Alice' });
    const [welcome] = alice.socket.take();
    expect(welcome).toMatchObject({
      type: 'welcome',
      room: ROOM,
      name: 'Alice',
      peers: [],
      resumed: false,
      iceServers: [{ urls: ['stun:stun.example.org:3478'] }],
      iceServersExpireAt: null,
      limits: { maxRoomSize: 2, messagesPerSecond: 10 },
    });
  });

  it('issues TURN credentials in the REST scheme only to members with someone in their room, and pushes fresh ones before they expire while they have', () => {
    type Ice = { type: string; iceServers: Array<{ urls: string[]; username?: string; credential?: string }>; iceServersExpireAt: number | null; relayRefused?: string };
    const context = makeContext(true);
    const alice = connect(context);
    alice.send({ type: 'join', room: ROOM, name: 'Alice' });
    const [alone] = alice.socket.take() as [Ice];
    expect(alone).toMatchObject({ type: 'welcome', iceServers: [{ urls: ['stun:stun.example.org:3478'] }], iceServersExpireAt: null });
    expect(alone).not.toHaveProperty('relayRefused');

    const bob = connect(context);
    bob.send({ type: 'join', room: ROOM, name: 'Bob' });
    const [welcome] = bob.socket.take() as [Ice];
    const turn = welcome.iceServers[1]!;
    const [expiry] = turn.username!.split(':');
    expect(Number(expiry) * 1000).toBe(welcome.iceServersExpireAt);
    expect(welcome.iceServersExpireAt! - Date.now()).toBe(600_000);
    expect(turn.credential).toBe(turnPassword('s3cret', turn.username!));
    // Alice's come before she hears of Bob.
    const [pushed, joined] = alice.socket.take() as [Ice, { type: string }];
    expect(pushed).toMatchObject({ type: 'ice-servers', iceServersExpireAt: welcome.iceServersExpireAt });
    expect(pushed.iceServers[1]!.credential).toBe(turnPassword('s3cret', pushed.iceServers[1]!.username!));
    expect(joined.type).toBe('peer-joined');

    vi.advanceTimersByTime(450_000);
    for (const socket of [alice.socket, bob.socket]) {
      const [refresh] = socket.take() as [Ice];
      expect(refresh.type).toBe('ice-servers');
      expect(refresh.iceServersExpireAt).toBeGreaterThan(welcome.iceServersExpireAt!);
    }

    // Bob goes: Alice's credentials lapse instead of being refreshed, and she gets new ones when Carol comes.
    bob.send({ type: 'leave' });
    expect(alice.socket.take()).toMatchObject([{ type: 'peer-left' }]);
    vi.advanceTimersByTime(3_600_000);
    expect(alice.socket.take()).toEqual([]);
    const carol = connect(context);
    carol.send({ type: 'join', room: ROOM, name: 'Carol' });
    expect((carol.socket.take()[0] as Ice).iceServers).toHaveLength(2);
    expect(alice.socket.take().map((m) => m.type)).toEqual(['ice-servers', 'peer-joined']);

    connectionClosed(context, alice.connection);
    vi.advanceTimersByTime(3_600_000);
    expect(alice.socket.take()).toEqual([]);
  });

  it('gives back the credential set aside for a join into an empty room, and tells a member in company when there is none left', () => {
    const context = makeContext(true, 1);
    const alice = connect(context);
    for (let i = 0; i < 3; i++) {
      alice.send({ type: 'join', room: ROOM, name: 'Alice' });
      alice.send({ type: 'leave' });
    }
    alice.send({ type: 'join', room: ROOM, name: 'Alice' });
    expect(alice.socket.take().map((m) => m.relayRefused)).toEqual([undefined, undefined, undefined, undefined]);
    const bob = connect(context);
    bob.send({ type: 'join', room: ROOM, name: 'Bob' });
    expect((bob.socket.take()[0] as { iceServers: unknown[] }).iceServers).toHaveLength(2);
    // The address's one credential went to Bob: Alice gets none, and keeps asking when her refresh is due.
    expect(alice.socket.take().map((m) => m.type)).toEqual(['peer-joined']);
    bob.send({ type: 'leave' });
    bob.send({ type: 'join', room: ROOM, name: 'Bob' });
    expect(bob.socket.take()).toMatchObject([{ relayRefused: 'no relay (TURN) credentials for now: this address had its 1 for the hour' }]);
  });

  it('sets the sender of a relayed signal itself', () => {
    const context = makeContext();
    const alice = connect(context);
    const bob = connect(context);
    alice.send({ type: 'join', room: ROOM, name: 'Alice' });
    bob.send({ type: 'join', room: ROOM, name: 'Bob' });
    const aliceId = (alice.socket.take()[0] as { id: string }).id;
    const bobId = (bob.socket.take()[0] as { id: string }).id;

    bob.send({ type: 'signal', to: aliceId, from: 'forged-id-123', data: { sdp: 'v=0' } });
    expect(alice.socket.take()).toEqual([{ type: 'signal', from: bobId, data: { sdp: 'v=0' } }]);
    // A frame the one-pass reader leaves to the general decoder (a key written with escapes) is relayed the same way.
    bob.sendText(`{"type":"signal","to":"${aliceId}","from":"forged-id-123","d\\u0061ta":{"sdp":"v=1"}}`);
    expect(alice.socket.take()).toEqual([{ type: 'signal', from: bobId, data: { sdp: 'v=1' } }]);
  });

  it('answers with stable error codes', () => {
    const context = makeContext();
    const alice = connect(context);
    alice.send({ type: 'signal', to: 'nobody-1234', data: {} });
    alice.send({ type: 'leave' });
    expect(alice.socket.take().map((m) => m.code)).toEqual(['not-in-room', 'not-in-room']);
    alice.send({ type: 'join', room: ROOM, name: 'Alice' });
    alice.socket.take();
    alice.send({ type: 'join', room: ROOM, name: 'Alice' });
    alice.send({ type: 'signal', to: 'nobody-1234', data: {} });
    expect(alice.socket.take().map((m) => m.code)).toEqual(['already-in-room', 'unknown-peer']);
    connect(context).send({ type: 'join', room: ROOM, name: 'Bob' });
    const carol = connect(context);
    carol.send({ type: 'join', room: ROOM, name: 'Carol' });
    expect(carol.socket.take().map((m) => m.code)).toEqual(['room-full']);
  });

  it('answers ping with pong and the same timestamp', () => {
    const context = makeContext();
    const alice = connect(context);
    alice.send({ type: 'ping', t: 123.5 });
    expect(alice.socket.take()).toEqual([{ type: 'pong', t: 123.5 }]);
  });

  it('tells a flooding client once that it is rate-limited, then closes it if it keeps on', () => {
    const context = makeContext();
    const alice = connect(context);
    for (let i = 0; i < 5; i++) alice.send({ type: 'ping' });
    expect(alice.socket.take()).toHaveLength(5);
    for (let i = 0; i < LIMITS.strikes; i++) alice.send({ type: 'ping' });
    expect(alice.socket.take()).toEqual([{ type: 'error', code: 'rate-limited', message: expect.stringContaining('10 messages per second') }]);
    expect(alice.socket.closedWith).toBeNull();
    alice.send({ type: 'ping' });
    expect(alice.socket.closedWith).toBe(1008);
  });

  it('forgives a client that slows down', () => {
    const context = makeContext();
    const alice = connect(context);
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 5; i++) alice.send({ type: 'ping' });
      vi.advanceTimersByTime(1000);
    }
    expect(alice.socket.closedWith).toBeNull();
    expect(alice.socket.take().every((m) => m.type === 'pong')).toBe(true);
  });

  it('closes a client that keeps sending malformed or binary frames', () => {
    const context = makeContext();
    const alice = connect(context);
    dispatchText(context, alice.connection, '{oops');
    dispatchBinary(context, alice.connection);
    expect(alice.socket.take().map((m) => m.code)).toEqual(['bad-message', 'bad-message']);
    dispatchText(context, alice.connection, '[]');
    dispatchText(context, alice.connection, '[]');
    expect(alice.socket.closedWith).toBe(1008);
  });
});
