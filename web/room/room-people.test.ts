import { describe, expect, it } from 'vitest';
import { RoomPeople } from './room-people.js';

describe('the people of a room', () => {
  it('lists those online first, then by name, and tells the page of each change', () => {
    let changes = 0;
    const people = new RoomPeople(() => changes++);
    people.set('k-carol', { name: 'Carol', online: true });
    people.set('k-alice', { name: 'Alice' });
    people.set('k-bob', { name: 'Bob', online: true });
    expect(people.sorted().map((p) => p.name)).toEqual(['Bob', 'Carol', 'Alice']);
    expect(changes).toBe(3);
    people.put({ device: 'k-dan', name: 'Dan', online: false, link: 'none', pushable: false, verified: false });
    expect(changes).toBe(3);
  });

  it('keeps what a change does not name, and calls someone without a name "They"', () => {
    const people = new RoomPeople(() => undefined);
    people.set('k-bob', { name: 'Bob', verified: true });
    people.set('k-bob', { online: true });
    expect(people.get('k-bob')).toMatchObject({ name: 'Bob', verified: true, online: true, link: 'none' });
    people.set('k-x', {});
    expect(people.nameOf('k-x')).toBe('They');
  });

  it('calls only people online whose connection can carry a call, and messages only keys that can take them', () => {
    const people = new RoomPeople(() => undefined);
    people.set('ok', { online: true, link: 'connected' });
    people.set('away', { online: false });
    people.set('no-webrtc', { online: true, link: 'unsupported' });
    people.set('mismatch', { online: true, link: 'mismatch' });
    people.set('held', { online: true, link: 'held' });
    people.set('new-key', { online: true, keyChangeFrom: 'old' });
    expect(people.callable().sort()).toEqual(['new-key', 'ok']);
    expect(people.all().filter((p) => people.canTakeMessages(p)).map((p) => p.device).sort()).toEqual(['away', 'held', 'ok']);
  });
});
