/**
 * The file transfer state machine of docs/architecture.md ("File transfers: the state machine"), written
 * once for both sides: which event moves a transfer, in which state, to which state. The sender and the
 * receiver ask it before they change a transfer's state; an event it refuses (a frame that came late, a
 * click on a transfer that moved meanwhile) changes nothing.
 */
import type { StoredTransfer, TransferState } from '../storage/database.js';

export type TransferDirection = StoredTransfer['direction'];

/** What can happen to a transfer, named after the frames and the buttons of the diagram. */
export type TransferEvent =
  /**
   * Receiver: the person presses Accept, or Resume. Sender: the receiver's `accept {from}`, with the file on
   * this page (or, without it, with every chunk stored there and the file's hash known here).
   */
  | 'accept'
  /** Sender: the receiver's `accept`, but this page has no file and chunks are left ("Pick the file again"). */
  | 'accept-without-file'
  /** Sender: the person picked the file again. */
  | 'file-picked'
  /** Receiver: the person declines; sender: the receiver's `decline`. */
  | 'decline'
  /** Receiver: what came could not be stored (storage full): it waits for Resume. */
  | 'storage-full'
  /** Receiver: every chunk stored, and the file's hash is the one `end` said. Sender: `done {ok: true}`. */
  | 'verified'
  /**
   * Receiver: the file's hash is not the one `end` said (nothing is kept). Sender: `done {ok: false}`, or a
   * resume over a connection that takes smaller messages than the transfer's chunks.
   */
  | 'fail'
  /** Either side, from either side: `cancel`. */
  | 'cancel';

type From = { readonly [S in TransferState]?: TransferState };
type Moves = { readonly [E in TransferEvent]?: From };

/** Offered, active or paused: the states a transfer can still move from (and be cancelled in). */
const UNFINISHED: readonly TransferState[] = ['offered', 'active', 'paused'];
const fromUnfinished = (to: TransferState): From => ({ offered: to, active: to, paused: to });

const MOVES: { readonly [D in TransferDirection]: Moves } = {
  out: {
    // Accepted again (a resume, a new channel) while it moves or waits for the file: it goes back to `from`.
    accept: fromUnfinished('active'),
    'accept-without-file': fromUnfinished('paused'),
    'file-picked': { paused: 'active' },
    decline: { offered: 'declined' },
    // `done` settles any unfinished transfer, also one that waits for the file (a lost `done` said again).
    verified: fromUnfinished('complete'),
    fail: fromUnfinished('failed'),
    cancel: fromUnfinished('cancelled'),
  },
  in: {
    accept: { offered: 'active', paused: 'active' },
    decline: { offered: 'declined' },
    'storage-full': { active: 'paused' },
    verified: { active: 'complete' },
    fail: { active: 'failed' },
    cancel: fromUnfinished('cancelled'),
  },
};

/** Where `event` takes the transfer, or null when the state machine refuses it there. */
export function nextState(transfer: Pick<StoredTransfer, 'direction' | 'state'>, event: TransferEvent): TransferState | null {
  return MOVES[transfer.direction][event]?.[transfer.state] ?? null;
}

/** A transfer that can still move: not yet complete, failed, declined or cancelled. */
export function isUnfinished(transfer: Pick<StoredTransfer, 'state'>): boolean {
  return UNFINISHED.includes(transfer.state);
}
