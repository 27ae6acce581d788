/**
 * How the server tells a client what became of a push it asked for. `push-result` over /ws
 * (handlers/push.ts) and the answer of `POST /mailbox/:id/push` (mailbox/mailbox-service.ts) say it the
 * same way, so the app reads both with one schema (protocol/messages.ts, PushAnswerSchema).
 */
import type { PushAnswer } from '../protocol/messages.js';
import type { PushOutcome } from './push-sender.js';

/** What a push gets from a server with no VAPID_SUBJECT. */
export const PUSHES_OFF: PushOutcome = { outcome: 'refused', reason: 'this server does not send push notifications' };

export function pushAnswer(outcome: PushOutcome): PushAnswer {
  switch (outcome.outcome) {
    case 'rate-limited':
      return { outcome: 'rate-limited', retryAfter: outcome.retryAfter };
    case 'rejected':
      return { outcome: 'rejected', message: `the push service refused the request (${outcome.status})` };
    case 'refused':
    case 'failed':
      return { outcome: outcome.outcome, message: outcome.reason };
    case 'too-large':
      return { outcome: 'too-large', message: 'the push service refused the payload as too large' };
    default:
      return { outcome: outcome.outcome };
  }
}
