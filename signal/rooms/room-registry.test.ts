import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LocalRoomBus } from './local-room-bus.js';
import type { JoinTicket, RelayFailure, RoomBus, RoomBusListener } from './room-bus.js';
import { RoomRegistry, type ClientLink, type Frame, type JoinOutcome } from './room-registry.js';

class FakeLink implements ClientLink {
  readonly sent: unknown[] = [];
  closedWith: [number, string] | null = null;
  send(frame: Frame): void {
    this.sent.push(JSON.parse(typeof frame === 'string' ? frame : Buffer.from(frame).toString()));
  }
  batch(sends: () => void): void {
    sends();
  }
  close(code: number, reason: string): void {
    this.closedWith = [code, reason];
  }
  take(): unknown[] {
    return this.sent.splice(0);
  }
}

const ROOM = 'room-aaaaaaaaaaaaaaaa';
const OTHER_ROOM = 'room-bbbbbbbbbbbbbbbb';

/** Joins through a registry whose bus answers at once (the in-memory one, or the fake below once told what to say). */
function joinNow(registry: RoomRegistry, link: ClientLink, name: string, room = ROOM, resumeToken?: string): JoinOutcome {
  let outcome: JoinOutcome | undefined;
  registry.join(link, { roomId: room, name, resumeToken }, (answer) => (outcome = answer));
  if (!outcome) throw new Error('no answer');
  return outcome;
}

function joined(registry: RoomRegistry, link: ClientLink, name: string, room = ROOM) {
  const outcome = joinNow(registry, link, name, room);
  if (!outcome.ok) throw new Error('join failed');
  return outcome;
}

describe('RoomRegistry in a single process', () => {
  let registry: RoomRegistry;
  const left: string[] = [];

  beforeEach(() => {
    vi.useFakeTimers();
    left.length = 0;
    registry = new RoomRegistry({ bus: new LocalRoomBus({ maxRoomSize: 3 }), resumeGraceMs: 120_000, pendingLimit: 2, onLeave: (s) => left.push(s.id) });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('tells the members of a room, and only them, who joins and who leaves', () => {
    const a = new FakeLink();
    const b = new FakeLink();
    const stranger = new FakeLink();
    const alice = joined(registry, a, 'Alice');
    joined(registry, stranger, 'Mallory', OTHER_ROOM);
    const bob = joined(registry, b, 'Bob');

    expect(alice.peers).toEqual([]);
    expect(bob.peers).toEqual([{ id: alice.session.id, name: 'Alice' }]);
    expect(a.take()).toEqual([{ type: 'peer-joined', peer: { id: bob.session.id, name: 'Bob' } }]);

    registry.leave(bob.session);
    registry.leave(bob.session);
    expect(a.take()).toEqual([{ type: 'peer-left', id: bob.session.id }]);
    expect(stranger.take()).toEqual([]);
    expect(left).toEqual([bob.session.id]);
    expect(registry.sessionCount).toBe(2);
    expect(registry.roomCount).toBe(2);
  });

  it('refuses a join when the room is full, counting peers that are away', () => {
    const sessions = ['A', 'B', 'C'].map((name) => joined(registry, new FakeLink(), name));
    registry.detach(sessions[0]!.session, sessions[0]!.session.link!);
    expect(joinNow(registry, new FakeLink(), 'D')).toEqual({ ok: false, code: 'room-full' });
  });

  it('keeps a dropped peer for the grace period and lets it resume with no leave or join seen', () => {
    const a = new FakeLink();
    const b1 = new FakeLink();
    joined(registry, a, 'Alice');
    const bob = joined(registry, b1, 'Bob');
    a.take();
    const token = bob.session.resumeToken;

    registry.detach(bob.session, b1);
    expect(registry.awayCount).toBe(1);
    vi.advanceTimersByTime(119_000);
    const b2 = new FakeLink();
    const resumed = joinNow(registry, b2, 'Bob again', ROOM, token);

    expect(resumed).toMatchObject({ ok: true, resumed: true });
    if (!resumed.ok) return;
    expect(resumed.session.id).toBe(bob.session.id);
    expect(resumed.session.name).toBe('Bob');
    expect(resumed.session.resumeToken).not.toBe(token);
    vi.advanceTimersByTime(10_000);
    expect(a.take()).toEqual([]);
    expect(registry.awayCount).toBe(0);
  });

  it('announces peer-left exactly once when the grace period ends, and forgets the token', () => {
    const a = new FakeLink();
    const b = new FakeLink();
    joined(registry, a, 'Alice');
    const bob = joined(registry, b, 'Bob');
    a.take();
    registry.detach(bob.session, b);
    vi.advanceTimersByTime(120_000);
    expect(a.take()).toEqual([{ type: 'peer-left', id: bob.session.id }]);
    vi.advanceTimersByTime(120_000);
    expect(a.take()).toEqual([]);

    const late = joinNow(registry, new FakeLink(), 'Bob', ROOM, bob.session.resumeToken);
    expect(late).toMatchObject({ ok: true, resumed: false });
    if (late.ok) expect(late.session.id).not.toBe(bob.session.id);
  });

  it('does not resume into another room', () => {
    const bob = joined(registry, new FakeLink(), 'Bob');
    registry.detach(bob.session, bob.session.link!);
    const elsewhere = joinNow(registry, new FakeLink(), 'Bob', OTHER_ROOM, bob.session.resumeToken);
    expect(elsewhere).toMatchObject({ ok: true, resumed: false });
  });

  it('closes the old connection when a live session is resumed on a new one, without a grace period', () => {
    const a = new FakeLink();
    joined(registry, a, 'Alice');
    const b1 = new FakeLink();
    const bob = joined(registry, b1, 'Bob');
    a.take();
    const b2 = new FakeLink();
    joinNow(registry, b2, 'Bob', ROOM, bob.session.resumeToken);
    expect(b1.closedWith?.[0]).toBe(4001);
    registry.detach(bob.session, b1); // the old socket's close arrives late
    expect(bob.session.link).toBe(b2);
    expect(registry.awayCount).toBe(0);
    vi.advanceTimersByTime(200_000);
    expect(a.take()).toEqual([]);
  });

  it('relays only inside the room, queues for a peer that is away, and delivers the queue on resume', () => {
    const a = new FakeLink();
    const b = new FakeLink();
    const alice = joined(registry, a, 'Alice');
    const bob = joined(registry, b, 'Bob');
    const mallory = joined(registry, new FakeLink(), 'Mallory', OTHER_ROOM);

    expect(registry.relay(mallory.session, alice.session.id, '{"n":0}')).toBe('unknown-peer');
    expect(registry.relay(alice.session, alice.session.id, '{"n":0}')).toBe('unknown-peer');
    expect(registry.relay(alice.session, bob.session.id, '{"n":1}')).toBe('delivered');
    expect(b.take()).toEqual([{ n: 1 }]);

    registry.detach(bob.session, b);
    expect(registry.relay(alice.session, bob.session.id, '{"n":2}')).toBe('queued');
    expect(registry.relay(alice.session, bob.session.id, '{"n":3}')).toBe('queued');
    expect(registry.relay(alice.session, bob.session.id, '{"n":4}')).toBe('peer-unreachable');

    const b2 = new FakeLink();
    joinNow(registry, b2, 'Bob', ROOM, bob.session.resumeToken);
    expect(b2.take()).toEqual([]);
    registry.flushPending(bob.session);
    expect(b2.take()).toEqual([{ n: 2 }, { n: 3 }]);
  });

  it('removes an empty room and leaves at once with no grace period configured', () => {
    const instant = new RoomRegistry({ bus: new LocalRoomBus({ maxRoomSize: 4 }), resumeGraceMs: 0, pendingLimit: 1 });
    const a = new FakeLink();
    const b = new FakeLink();
    const alice = joined(instant, a, 'Alice');
    const bob = joined(instant, b, 'Bob');
    a.take();
    instant.detach(bob.session, b);
    expect(a.take()).toEqual([{ type: 'peer-left', id: bob.session.id }]);
    instant.leave(alice.session);
    expect(instant.roomCount).toBe(0);
    expect(instant.sessionCount).toBe(0);
    expect(instant.awayCount).toBe(0);
  });
});

/** A directory shared with other processes, played by the test: it records what the registry asks and answers when told. */
class ScriptedBus implements RoomBus {
  readonly node = 'here';
  readonly unavailable = null;
  listener!: RoomBusListener;
  readonly tickets: JoinTicket[] = [];
  readonly calls: unknown[][] = [];
  listen(listener: RoomBusListener): void {
    this.listener = listener;
  }
  roomKey(roomId: string): string {
    return `key-${roomId}`;
  }
  join(ticket: JoinTicket): void {
    this.tickets.push(ticket);
  }
  leave(roomKey: string, id: string): void {
    this.calls.push(['leave', roomKey, id]);
  }
  relay(node: string, roomKey: string, to: string, frame: string, from: { node: string; id: string }): void {
    this.calls.push(['relay', node, to, frame, from.id]);
  }
  handOver(node: string, roomKey: string, id: string, frames: string[]): void {
    this.calls.push(['hand-over', node, id, frames]);
  }
  reportRelayFailure(node: string, roomKey: string, from: string, failure: RelayFailure): void {
    this.calls.push(['failed', node, from, failure]);
  }
  async close(): Promise<void> {}
}

describe('RoomRegistry with rooms shared between processes', () => {
  const KEY = `key-${ROOM}`;
  const carol = { info: { id: 'carol-0001', name: 'Carol' }, node: 'there' };
  let bus: ScriptedBus;
  let registry: RoomRegistry;
  const failures: string[] = [];

  beforeEach(() => {
    vi.useFakeTimers();
    failures.length = 0;
    bus = new ScriptedBus();
    registry = new RoomRegistry({ bus, resumeGraceMs: 60_000, pendingLimit: 2, onRelayFailed: (session, failure) => failures.push(`${session.name}: ${failure}`) });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A join here that the directory accepts, with `peers` already in the room. */
  function joinHere(link: ClientLink, name: string, peers = [carol]) {
    let outcome: JoinOutcome | undefined;
    registry.join(link, { roomId: ROOM, name }, (answer) => (outcome = answer));
    const ticket = bus.tickets.at(-1)!;
    registry.answer({ ticket: ticket.ticket, kind: 'joined', roomKey: KEY, id: ticket.id, peers });
    if (!outcome?.ok) throw new Error('join failed');
    return outcome;
  }

  it('waits for the directory, then welcomes with the members of every process', () => {
    let outcome: JoinOutcome | undefined;
    registry.join(new FakeLink(), { roomId: ROOM, name: 'Alice' }, (answer) => (outcome = answer));
    expect(outcome).toBeUndefined();
    expect(bus.tickets[0]).toMatchObject({ roomKey: KEY, info: { name: 'Alice' } });
    registry.answer({ ticket: bus.tickets[0]!.ticket, kind: 'joined', roomKey: KEY, id: bus.tickets[0]!.id, peers: [carol] });
    expect(outcome).toMatchObject({ ok: true, resumed: false, peers: [carol.info] });
  });

  it('tells a waiting join that rooms are unavailable when the directory does not answer, and undoes a late answer', () => {
    let outcome: JoinOutcome | undefined;
    registry.join(new FakeLink(), { roomId: ROOM, name: 'Alice' }, (answer) => (outcome = answer));
    vi.advanceTimersByTime(5000);
    expect(outcome).toEqual({ ok: false, code: 'unavailable' });
    const ticket = bus.tickets[0]!;
    registry.answer({ ticket: ticket.ticket, kind: 'joined', roomKey: KEY, id: ticket.id, peers: [] });
    expect(bus.calls).toEqual([['leave', KEY, ticket.id]]);
    expect(registry.sessionCount).toBe(0);
  });

  it('passes on presence from other processes once each, and relays to their members through the bus', () => {
    const a = new FakeLink();
    const alice = joinHere(a, 'Alice');
    const dave = { info: { id: 'dave-00001', name: 'Dave' }, node: 'elsewhere' };
    registry.peerJoined(KEY, dave);
    registry.peerJoined(KEY, dave);
    registry.peerJoined('key-of-a-room-with-nobody-here', { info: { id: 'eve-000001', name: 'Eve' }, node: 'there' });
    expect(a.take()).toEqual([{ type: 'peer-joined', peer: dave.info }]);

    expect(registry.relay(alice.session, 'dave-00001', '{"n":1}')).toBe('delivered');
    expect(registry.relay(alice.session, 'nobody-0001', '{"n":2}')).toBe('unknown-peer');
    expect(bus.calls).toEqual([['relay', 'elsewhere', 'dave-00001', '{"n":1}', alice.session.id]]);

    registry.peerLeft(KEY, 'dave-00001');
    registry.peerLeft(KEY, 'dave-00001');
    expect(a.take()).toEqual([{ type: 'peer-left', id: 'dave-00001' }]);
    expect(registry.relay(alice.session, 'dave-00001', '{"n":3}')).toBe('unknown-peer');
  });

  it('delivers signals from other processes, queues them for a peer away, and reports one it cannot keep', () => {
    const a = new FakeLink();
    const alice = joinHere(a, 'Alice');
    const from = { node: 'there', id: 'carol-0001' };
    registry.signal(KEY, alice.session.id, '{"n":1}', from);
    expect(a.take()).toEqual([{ n: 1 }]);
    registry.detach(alice.session, a);
    for (const n of [2, 3, 4]) registry.signal(KEY, alice.session.id, `{"n":${n}}`, from);
    registry.signal(KEY, 'nobody-0001', '{"n":5}', from);
    expect(bus.calls).toEqual([
      ['failed', 'there', 'carol-0001', 'peer-unreachable'],
      ['failed', 'there', 'carol-0001', 'unknown-peer'],
    ]);
    expect(alice.session.pending).toEqual(['{"n":2}', '{"n":3}']);

    registry.relayFailed(KEY, alice.session.id, 'peer-unreachable');
    expect(failures).toEqual(['Alice: peer-unreachable']);
  });

  it('hands a session over when it resumes on another process: the old connection is closed, waiting signals follow it, nobody sees it leave', () => {
    const a = new FakeLink();
    const b = new FakeLink();
    const alice = joinHere(a, 'Alice');
    const bob = joinHere(b, 'Bob');
    a.take();
    registry.detach(bob.session, b);
    registry.signal(KEY, bob.session.id, '{"n":1}', { node: 'there', id: 'carol-0001' });

    registry.peerMoved(KEY, bob.session.id, 'there');
    expect(bus.calls).toContainEqual(['hand-over', 'there', bob.session.id, ['{"n":1}']]);
    expect(a.take()).toEqual([]);
    expect(registry.sessionCount).toBe(1);
    expect(registry.awayCount).toBe(0);
    vi.advanceTimersByTime(120_000);
    expect(a.take()).toEqual([]);
    expect(bus.calls.filter(([call]) => call === 'leave')).toEqual([]);
    // Bob is now served by the other process.
    expect(registry.relay(alice.session, bob.session.id, '{"n":2}')).toBe('delivered');
    expect(bus.calls.at(-1)).toEqual(['relay', 'there', bob.session.id, '{"n":2}', alice.session.id]);

    const live = new FakeLink();
    const alive = joinHere(live, 'Live');
    registry.peerMoved(KEY, alive.session.id, 'there');
    expect(live.closedWith?.[0]).toBe(4001);
  });

  it('keeps signals for a session resumed from another process behind the ones that process hands over', () => {
    const b = new FakeLink();
    let outcome: JoinOutcome | undefined;
    registry.join(b, { roomId: ROOM, name: 'Bob', resumeToken: 't'.repeat(43) }, (answer) => (outcome = answer));
    const ticket = bus.tickets[0]!;
    const info = { id: 'bob-000001', name: 'Bob' };
    registry.answer({ ticket: ticket.ticket, kind: 'resumed', roomKey: KEY, info, previous: 'there', previousAlive: true, peers: [carol] });
    expect(outcome).toMatchObject({ ok: true, resumed: true, peers: [carol.info] });
    if (!outcome?.ok) return;
    expect(outcome.session.id).toBe('bob-000001');

    registry.signal(KEY, 'bob-000001', '{"n":3}', { node: 'there', id: 'carol-0001' });
    expect(b.take()).toEqual([]);
    registry.handover(KEY, 'bob-000001', ['{"n":1}', '{"n":2}']);
    expect(b.take()).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('does not wait long for a handover that never comes', () => {
    const b = new FakeLink();
    registry.join(b, { roomId: ROOM, name: 'Bob', resumeToken: 't'.repeat(43) }, () => undefined);
    const ticket = bus.tickets[0]!;
    registry.answer({ ticket: ticket.ticket, kind: 'resumed', roomKey: KEY, info: { id: 'bob-000001', name: 'Bob' }, previous: 'there', previousAlive: true, peers: [] });
    registry.signal(KEY, 'bob-000001', '{"n":1}', { node: 'there', id: 'carol-0001' });
    vi.advanceTimersByTime(1000);
    expect(b.take()).toEqual([{ n: 1 }]);
  });

  it('corrects what it believes from a snapshot of the room, waiting for processes that may not have written their members back', () => {
    const a = new FakeLink();
    joinHere(a, 'Alice');
    const frank = { info: { id: 'frank-0001', name: 'Frank' }, node: 'elsewhere' };
    const ghost = { info: { id: 'ghost-0001', name: 'Ghost' }, node: 'here' };
    registry.snapshot(KEY, [frank, ghost], new Set(['here', 'elsewhere']), false);
    expect(a.take()).toEqual([{ type: 'peer-joined', peer: frank.info }]);
    registry.snapshot(KEY, [frank, ghost], new Set(['here', 'elsewhere', 'there']), false);
    expect(a.take()).toEqual([{ type: 'peer-left', id: 'carol-0001' }]);

    registry.peerJoined(KEY, carol);
    a.take();
    registry.snapshot(KEY, [frank], new Set(['here', 'elsewhere']), true);
    expect(a.take()).toEqual([{ type: 'peer-left', id: 'carol-0001' }]);
  });
});

describe('RoomRegistry: what a process holds', () => {
  const refused: string[] = [];
  beforeEach(() => {
    vi.useFakeTimers();
    refused.length = 0;
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const capped = (caps: { pendingBytesPerPeer?: number; maxPendingBytes?: number; maxAwaySessions?: number; maxRooms?: number }, bus: RoomBus = new LocalRoomBus({ maxRoomSize: 8 })) =>
    new RoomRegistry({ bus, resumeGraceMs: 120_000, pendingLimit: 64, ...caps, onCapacityRefused: (reason) => refused.push(reason) });
  /** A frame of `bytes` UTF-8 bytes (as a string, or as bytes: both are counted the same). */
  const frameOf = (bytes: number, text = true) => {
    const json = `{"b":"${'é'.repeat((bytes - 8) / 2)}"}`;
    return text ? json : new Uint8Array(Buffer.from(json));
  };

  it('counts the bytes kept for a peer away, per peer and for the process, and refuses past either cap', () => {
    const registry = capped({ pendingBytesPerPeer: 100, maxPendingBytes: 250 });
    const alice = joined(registry, new FakeLink(), 'Alice');
    const away = ['Bob', 'Carol', 'Dan'].map((name) => {
      const link = new FakeLink();
      const { session } = joined(registry, link, name);
      registry.detach(session, link);
      return session;
    });
    expect(registry.relay(alice.session, away[0]!.id, frameOf(60))).toBe('queued');
    expect(registry.relay(alice.session, away[0]!.id, frameOf(40, false))).toBe('queued');
    expect(registry.relay(alice.session, away[0]!.id, frameOf(10))).toBe('peer-unreachable');
    expect(registry.pendingBytes).toBe(100);
    expect(refused).toEqual([]);
    expect(registry.relay(alice.session, away[1]!.id, frameOf(100))).toBe('queued');
    expect(registry.relay(alice.session, away[2]!.id, frameOf(60))).toBe('peer-unreachable');
    expect(registry.relay(alice.session, away[2]!.id, frameOf(50))).toBe('queued');
    expect(registry.pendingBytes).toBe(250);
    expect(refused).toEqual(['pending-signal-bytes']);
  });

  it('gives the bytes back when the queue is delivered on resume, and when the peer leaves', () => {
    const registry = capped({ pendingBytesPerPeer: 100 });
    const alice = joined(registry, new FakeLink(), 'Alice');
    const b = new FakeLink();
    const bob = joined(registry, b, 'Bob');
    const c = new FakeLink();
    const carol = joined(registry, c, 'Carol');
    registry.detach(bob.session, b);
    registry.detach(carol.session, c);
    registry.relay(alice.session, bob.session.id, frameOf(40));
    registry.relay(alice.session, carol.session.id, frameOf(30));
    expect(registry.pendingBytes).toBe(70);

    const b2 = new FakeLink();
    joinNow(registry, b2, 'Bob', ROOM, bob.session.resumeToken);
    registry.flushPending(bob.session);
    expect(b2.take()).toHaveLength(1);
    expect(registry.pendingBytes).toBe(30);
    vi.advanceTimersByTime(120_000);
    expect(registry.pendingBytes).toBe(0);
  });

  it('lets a peer that drops past maxAwaySessions leave at once, and takes one away again once another is back', () => {
    const registry = capped({ maxAwaySessions: 1 });
    const a = new FakeLink();
    joined(registry, a, 'Alice');
    const b = new FakeLink();
    const bob = joined(registry, b, 'Bob');
    const c = new FakeLink();
    const carol = joined(registry, c, 'Carol');
    a.take();
    registry.detach(bob.session, b);
    registry.detach(carol.session, c);
    expect(a.take()).toEqual([{ type: 'peer-left', id: carol.session.id }]);
    expect(registry.awayCount).toBe(1);
    expect(refused).toEqual(['away-sessions']);

    joinNow(registry, new FakeLink(), 'Bob', ROOM, bob.session.resumeToken);
    expect(registry.awayCount).toBe(0);
    const d = new FakeLink();
    const dan = joined(registry, d, 'Dan');
    registry.detach(dan.session, d);
    expect(registry.awayCount).toBe(1);
    expect(refused).toEqual(['away-sessions']);
  });

  it('refuses a join that would open a room past maxRooms, before asking the directory, and not one into a room it has', () => {
    const bus = new ScriptedBus();
    const registry = capped({ maxRooms: 1 }, bus);
    registry.join(new FakeLink(), { roomId: ROOM, name: 'Alice' }, () => undefined);
    registry.answer({ ticket: bus.tickets[0]!.ticket, kind: 'joined', roomKey: `key-${ROOM}`, id: bus.tickets[0]!.id, peers: [] });
    let outcome: JoinOutcome | undefined;
    registry.join(new FakeLink(), { roomId: OTHER_ROOM, name: 'Bob' }, (answer) => (outcome = answer));
    expect(outcome).toEqual({ ok: false, code: 'too-many-rooms' });
    expect(bus.tickets).toHaveLength(1);
    expect(refused).toEqual(['rooms']);
    registry.join(new FakeLink(), { roomId: ROOM, name: 'Carol' }, () => undefined);
    expect(bus.tickets).toHaveLength(2);
  });

  it('counts what waits for a handover, and gives back what a session moving away takes with it', () => {
    const bus = new ScriptedBus();
    const registry = capped({ pendingBytesPerPeer: 100 }, bus);
    const from = { node: 'there', id: 'carol-0001' };
    const b = new FakeLink();
    let outcome: JoinOutcome | undefined;
    registry.join(b, { roomId: ROOM, name: 'Bob', resumeToken: 't'.repeat(43) }, (answer) => (outcome = answer));
    registry.answer({ ticket: bus.tickets[0]!.ticket, kind: 'resumed', roomKey: `key-${ROOM}`, info: { id: 'bob-000001', name: 'Bob' }, previous: 'there', previousAlive: true, peers: [] });
    if (!outcome?.ok) throw new Error('not resumed');
    registry.signal(`key-${ROOM}`, 'bob-000001', frameOf(60), from);
    expect(registry.pendingBytes).toBe(60);
    registry.signal(`key-${ROOM}`, 'bob-000001', frameOf(60), from);
    expect(bus.calls).toEqual([['failed', 'there', 'carol-0001', 'peer-unreachable']]);
    registry.handover(`key-${ROOM}`, 'bob-000001', [frameOf(20) as string]);
    expect(b.take()).toHaveLength(2);
    expect(registry.pendingBytes).toBe(0);

    // Bob drops again, a signal waits for him, and he resumes on another process: it goes with him.
    registry.detach(outcome.session, b);
    registry.signal(`key-${ROOM}`, 'bob-000001', frameOf(30), from);
    expect(registry.pendingBytes).toBe(30);
    registry.peerMoved(`key-${ROOM}`, 'bob-000001', 'elsewhere');
    expect(bus.calls.at(-1)).toEqual(['hand-over', 'elsewhere', 'bob-000001', [frameOf(30)]]);
    expect(registry.pendingBytes).toBe(0);
  });
});
