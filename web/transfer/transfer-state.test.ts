import { describe, expect, it } from 'vitest';
import type { TransferState } from '../storage/database.js';
import { isUnfinished, nextState, type TransferDirection, type TransferEvent } from './transfer-state.js';

const STATES: TransferState[] = ['offered', 'active', 'paused', 'complete', 'declined', 'cancelled', 'failed'];
const EVENTS: TransferEvent[] = ['accept', 'accept-without-file', 'file-picked', 'decline', 'storage-full', 'verified', 'fail', 'cancel'];
const FINISHED: TransferState[] = ['complete', 'declined', 'cancelled', 'failed'];

/** The arrows of docs/architecture.md's diagram, one side's, as "from event to": every other move is refused. */
const ARROWS: Record<TransferDirection, string[]> = {
  out: [
    'offered accept active',
    'active accept active',
    'paused accept active',
    'offered accept-without-file paused',
    'active accept-without-file paused',
    'paused accept-without-file paused',
    'paused file-picked active',
    'offered decline declined',
    'offered verified complete',
    'active verified complete',
    'paused verified complete',
    'offered fail failed',
    'active fail failed',
    'paused fail failed',
    'offered cancel cancelled',
    'active cancel cancelled',
    'paused cancel cancelled',
  ],
  in: [
    'offered accept active',
    'paused accept active',
    'offered decline declined',
    'active storage-full paused',
    'active verified complete',
    'active fail failed',
    'offered cancel cancelled',
    'active cancel cancelled',
    'paused cancel cancelled',
  ],
};

const move = (direction: TransferDirection, state: TransferState, event: TransferEvent) => nextState({ direction, state }, event);

describe('the transfer state machine', () => {
  for (const direction of ['out', 'in'] as const) {
    it(`${direction === 'out' ? 'the sender' : 'the receiver'} moves only along the diagram's arrows, and refuses every other event`, () => {
      const allowed = new Map(ARROWS[direction].map((arrow) => {
        const [from, event, to] = arrow.split(' ');
        return [`${from} ${event}`, to];
      }));
      for (const state of STATES) {
        for (const event of EVENTS) expect(move(direction, state, event), `${direction}: ${state} ${event}`).toBe(allowed.get(`${state} ${event}`) ?? null);
      }
    });
  }

  it('the receiver: Accept and Resume start it, the person declines only an offer, storage full pauses it, its own check settles it', () => {
    expect(move('in', 'offered', 'accept')).toBe('active');
    expect(move('in', 'paused', 'accept')).toBe('active');
    expect(move('in', 'active', 'accept')).toBe(null);
    expect(move('in', 'offered', 'decline')).toBe('declined');
    expect(move('in', 'active', 'decline')).toBe(null);
    expect(move('in', 'active', 'storage-full')).toBe('paused');
    expect(move('in', 'offered', 'storage-full')).toBe(null);
    expect(move('in', 'active', 'verified')).toBe('complete');
    expect(move('in', 'paused', 'verified')).toBe(null);
    expect(move('in', 'active', 'fail')).toBe('failed');
    // Waiting for the file is the sender's: a receiver never asks for it.
    expect(move('in', 'paused', 'file-picked')).toBe(null);
    expect(move('in', 'active', 'accept-without-file')).toBe(null);
  });

  it('the sender: the receiver\'s accept goes on (or waits for the file), a picked file resumes it, only the receiver\'s done settles it', () => {
    expect(move('out', 'offered', 'accept')).toBe('active');
    expect(move('out', 'active', 'accept')).toBe('active');
    expect(move('out', 'active', 'accept-without-file')).toBe('paused');
    expect(move('out', 'paused', 'file-picked')).toBe('active');
    expect(move('out', 'active', 'file-picked')).toBe(null);
    expect(move('out', 'offered', 'decline')).toBe('declined');
    expect(move('out', 'active', 'decline')).toBe(null);
    expect(move('out', 'paused', 'verified')).toBe('complete');
    expect(move('out', 'active', 'fail')).toBe('failed');
    // Storage is the receiver's: a sender never pauses for it.
    expect(move('out', 'active', 'storage-full')).toBe(null);
  });

  it('cancel, from either side, only from offered, active or paused; a finished transfer never moves again', () => {
    for (const direction of ['out', 'in'] as const) {
      for (const state of ['offered', 'active', 'paused'] as const) expect(move(direction, state, 'cancel')).toBe('cancelled');
      for (const state of FINISHED) for (const event of EVENTS) expect(move(direction, state, event), `${direction}: ${state} ${event}`).toBe(null);
    }
  });

  it('unfinished: offered, active and paused, the states a transfer can still be cancelled in', () => {
    for (const state of STATES) expect(isUnfinished({ state })).toBe(!FINISHED.includes(state));
    for (const state of STATES) expect(isUnfinished({ state })).toBe(move('in', state, 'cancel') === 'cancelled');
  });
});
