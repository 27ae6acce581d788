import { describe, expect, it } from 'vitest';
import type { ClientLink, Frame } from './client-link.js';
import { newPeerSession } from './peer-session.js';
import { RoomView } from './room-view.js';

const ROOM = 'room-aaaaaaaaaaaaaaaa';

function linkInto(sent: Frame[]): ClientLink {
  return { send: (frame) => sent.push(frame), batch: (sends) => sends(), close: () => undefined };
}

describe('RoomView', () => {
  it('is shared once a second member is here, or one is on another process', () => {
    const view = new RoomView(ROOM);
    const alice = newPeerSession(ROOM, 'key', { id: 'alice-0001', name: 'Alice' }, 'token', linkInto([]));
    view.local.set(alice.id, alice);
    expect(view.shared).toBe(false);
    view.learn([{ info: { id: 'alice-0001', name: 'Alice' }, node: 'there' }], 'here');
    expect(view.shared).toBe(false);
    view.learn([{ info: { id: 'bob-000001', name: 'Bob' }, node: 'here' }], 'here');
    expect(view.shared).toBe(false);
    view.learn([{ info: { id: 'bob-000001', name: 'Bob' }, node: 'there' }], 'here');
    expect(view.shared).toBe(true);
    expect([...(view.remote?.keys() ?? [])]).toEqual(['bob-000001']);
  });

  it('tells its connected members, not those away', () => {
    const view = new RoomView(ROOM);
    const toAlice: Frame[] = [];
    const alice = newPeerSession(ROOM, 'key', { id: 'alice-0001', name: 'Alice' }, 'token', linkInto(toAlice));
    const bob = newPeerSession(ROOM, 'key', { id: 'bob-000001', name: 'Bob' }, 'token', linkInto([]));
    bob.link = null;
    view.local.set(alice.id, alice).set(bob.id, bob);
    view.tell('{"type":"peer-left","id":"carol-0001"}');
    expect(toAlice).toEqual(['{"type":"peer-left","id":"carol-0001"}']);
  });
});
