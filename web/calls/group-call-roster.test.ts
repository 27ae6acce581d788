import { describe, expect, it } from 'vitest';
import { CALL_FULL, groupCallLimit, GroupCallRoster } from './group-call-roster.js';

const SELF = 'A'.repeat(64);
const BOB = 'B'.repeat(64);
const CAROL = 'C'.repeat(64);
const DAN = 'D'.repeat(64);
const EARLIER = 'call-1111111111111';
const LATER = 'call-2222222222222';

const state = (call: string, since: number, inCall = true) => ({ t: 'gcall-state' as const, call, in: inCall, since, muted: false, camera: true, screen: false });

describe('GroupCallRoster', () => {
  it('takes the call with the smallest id as the one under way, with who is in it', () => {
    const roster = new GroupCallRoster();
    roster.said(BOB, state(LATER, 5));
    roster.said(CAROL, state(EARLIER, 9));
    expect(roster.underWay).toEqual({ call: EARLIER, devices: [CAROL] });
    expect(roster.smallest(LATER)).toBe(EARLIER);
    expect(roster.smallest(EARLIER)).toBe(undefined);
  });

  it('forgets a member who says they left that call, and only that call', () => {
    const roster = new GroupCallRoster();
    roster.said(BOB, state(LATER, 5));
    roster.said(BOB, state(EARLIER, 5, false));
    expect(roster.holds(LATER)).toBe(true);
    roster.said(BOB, state(LATER, 5, false));
    expect(roster.holds(LATER)).toBe(false);
    expect(roster.underWay).toBe(null);
  });

  it('seats the first to join first, and at the same moment the smaller key first', () => {
    const roster = new GroupCallRoster();
    roster.said(DAN, state(EARLIER, 1));
    roster.said(CAROL, state(EARLIER, 3));
    roster.said(BOB, state(EARLIER, 3));
    const { ahead, members } = roster.seats(EARLIER, SELF, 3);
    expect(members.map(([device]) => device)).toEqual([DAN, BOB, CAROL]);
    // Alice joined at 3 too, and her key is the smallest: only Dan came before her.
    expect(ahead).toBe(1);
    expect(roster.seats(EARLIER, 'E'.repeat(64), 3).ahead).toBe(3);
  });
});

describe('groupCallLimit', () => {
  it('refuses a fifth in the call, and a call with five online, in words', () => {
    expect(groupCallLimit({ devices: [BOB, CAROL, DAN] }, 9)).toBe(null);
    expect(groupCallLimit({ devices: [BOB, CAROL, DAN, 'E'.repeat(64)] }, 5)).toBe(CALL_FULL);
    expect(groupCallLimit(null, 4)).toBe(null);
    expect(groupCallLimit(null, 5)).toContain('and 5 are online');
  });
});
