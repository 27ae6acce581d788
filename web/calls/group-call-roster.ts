/**
 * Who is in the room's call, as each member last said (`gcall-state`). Nobody holds the call, so every
 * device works it out the same way from the same words: the call under way is the one with the smallest
 * id (two calls rung at the same moment merge into it), and when it is full the first to join keep it.
 */
import type { MemberState } from './group-call-state.js';
import type { GroupCallFrame } from './group-call-wire.js';

/** A mesh beyond four people costs each phone more uplink and encoding than it has. */
export const MAX_GROUP_CALL = 4;
export const CALL_FULL = `The call is full: a group call connects each person directly to each other, which works for up to ${MAX_GROUP_CALL} people.`;

/** Why the room's call cannot take one more, in words: the call under way is full, or too many are online (`everyone`, this device too) to start one; null when it can. */
export function groupCallLimit(underWay: { devices: string[] } | null, everyone: number): string | null {
  if (underWay) return underWay.devices.length >= MAX_GROUP_CALL ? CALL_FULL : null;
  return everyone > MAX_GROUP_CALL
    ? `Calling the room works for up to ${MAX_GROUP_CALL} people, and ${everyone} are online: a group call connects each person directly to each other, which is more than phones can send. Call people one to one instead.`
    : null;
}

export class GroupCallRoster {
  /** What each member last said of a call they are in (members in none are absent). */
  readonly #members = new Map<string, MemberState>();

  /** A member says where they stand in a call: in it (with their media), or no longer. */
  said(device: string, frame: Extract<GroupCallFrame, { t: 'gcall-state' }>): void {
    if (frame.in) this.#members.set(device, { call: frame.call, since: frame.since, muted: frame.muted, camera: frame.camera, screen: frame.screen, away: frame.away === true });
    else if (this.#members.get(device)?.call === frame.call) this.#members.delete(device);
  }

  /** The member is in no call (they said so, left, or did not come back in time); returns whether they were in one. */
  forget(device: string): boolean {
    return this.#members.delete(device);
  }

  /** The call with the smallest id a member is in, and who is in it. */
  get underWay(): { call: string; devices: string[] } | null {
    const call = this.smallest();
    return call ? { call, devices: [...this.#members].filter(([, state]) => state.call === call).map(([device]) => device) } : null;
  }

  /** The smallest id of a call a member is in, if smaller than `than`. */
  smallest(than?: string): string | undefined {
    return [...this.#members.values()].map((state) => state.call).filter((id) => than === undefined || id < than).sort()[0];
  }

  /** Whether any member is in the call. */
  holds(call: string): boolean {
    return [...this.#members.values()].some((state) => state.call === call);
  }

  /**
   * Who is in the call, first come first (at the same moment, the smaller key first), and how many of them
   * came before this device (`self`, which joined at `since`).
   */
  seats(call: string, self: string, since: number): { ahead: number; members: Array<[string, MemberState]> } {
    const members = [...this.#members].filter(([, state]) => state.call === call).sort(([a, sa], [b, sb]) => sa.since - sb.since || a.localeCompare(b));
    const ahead = members.filter(([device, state]) => state.since < since || (state.since === since && device < self)).length;
    return { ahead, members };
  }
}
