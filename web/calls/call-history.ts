/** How a call is written in a conversation's history: one to one, or the room's call. */
import type { CallOutcome, StoredMessage } from '../storage/database.js';

/** The words of a call's history entry. */
export function callText(outcome: CallOutcome, incoming: boolean, video: boolean): string {
  const kind = video ? 'Video call' : 'Audio call';
  switch (outcome) {
    case 'answered':
      return kind;
    case 'missed':
      return 'Missed call';
    case 'declined':
      return incoming ? 'Declined call' : 'Call declined';
    case 'cancelled':
      return 'Cancelled call';
    case 'busy':
      return 'No answer (busy)';
    case 'failed':
      return 'Call failed';
  }
}

/**
 * A call's entry in the history, in `text`; `answeredAt`: when it was answered, for its length (null:
 * never). A missed call is news (unread) to the one it rang for; no receipts go out for call entries.
 */
export function callEntry(
  id: string,
  direction: 'in' | 'out',
  text: string,
  call: { video: boolean; outcome: CallOutcome },
  answeredAt: number | null,
): Omit<StoredMessage, 'conversation'> {
  const duration = answeredAt !== null ? Date.now() - answeredAt : undefined;
  return {
    id: `${id}-${direction}`,
    direction,
    text,
    sentAt: Date.now(),
    at: 0,
    status: direction === 'in' && call.outcome === 'missed' ? 'delivered' : 'read',
    receiptSent: 1,
    call: { ...call, ...(duration !== undefined ? { duration } : {}) },
  };
}
