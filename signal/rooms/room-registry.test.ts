import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RoomRegistry, type ClientLink } from './room-registry.js';

class FakeLink implements ClientLink {
  readonly sent: unknown[] = [];
  closedWith: [number, string] | null = null;
  send(text: string): void {
    this.sent.push(JSON.parse(text));
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

function joined(registry: RoomRegistry, link: ClientLink, name: string, room = ROOM) {
  const outcome = registry.join(link, room, name);
  if (!outcome.ok) throw new Error('join failed');
  return outcome;
}

describe('RoomRegistry', () => {
  let registry: RoomRegistry;
  const left: string[] = [];

  beforeEach(() => {
    vi.useFakeTimers();
    left.length = 0;
    registry = new RoomRegistry({ maxRoomSize: 3, resumeGraceMs: 120_000, pendingLimit: 2, onLeave: (s) => left.push(s.id) });
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
    expect(registry.join(new FakeLink(), ROOM, 'D')).toEqual({ ok: false, code: 'room-full' });
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
    const resumed = registry.join(b2, ROOM, 'Bob again', token);

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

    const late = registry.join(new FakeLink(), ROOM, 'Bob', bob.session.resumeToken);
    expect(late).toMatchObject({ ok: true, resumed: false });
    if (late.ok) expect(late.session.id).not.toBe(bob.session.id);
  });

  it('does not resume into another room', () => {
    const bob = joined(registry, new FakeLink(), 'Bob');
    registry.detach(bob.session, bob.session.link!);
    const elsewhere = registry.join(new FakeLink(), OTHER_ROOM, 'Bob', bob.session.resumeToken);
    expect(elsewhere).toMatchObject({ ok: true, resumed: false });
  });

  it('closes the old connection when a live session is resumed on a new one, without a grace period', () => {
    const a = new FakeLink();
    joined(registry, a, 'Alice');
    const b1 = new FakeLink();
    const bob = joined(registry, b1, 'Bob');
    a.take();
    const b2 = new FakeLink();
    registry.join(b2, ROOM, 'Bob', bob.session.resumeToken);
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
    registry.join(b2, ROOM, 'Bob', bob.session.resumeToken);
    expect(b2.take()).toEqual([]);
    registry.flushPending(bob.session);
    expect(b2.take()).toEqual([{ n: 2 }, { n: 3 }]);
  });

  it('removes an empty room and leaves at once with no grace period configured', () => {
    const instant = new RoomRegistry({ maxRoomSize: 4, resumeGraceMs: 0, pendingLimit: 1 });
    const a = new FakeLink();
    const b = new FakeLink();
    const alice = instant.join(a, ROOM, 'Alice');
    const bob = instant.join(b, ROOM, 'Bob');
    if (!alice.ok || !bob.ok) throw new Error('join failed');
    a.take();
    instant.detach(bob.session, b);
    expect(a.take()).toEqual([{ type: 'peer-left', id: bob.session.id }]);
    instant.leave(alice.session);
    expect(instant.roomCount).toBe(0);
    expect(instant.sessionCount).toBe(0);
  });
});
