/**
 * `push`: a member of a room asks the server to deliver a Web Push its device
 * encrypted for someone's subscription (a call or a message for a person whose
 * app is closed). The answer, `push-result`, carries the request's id.
 */
import { PUSH_CIPHERTEXT_MAX_BYTES } from '../protocol/limits.js';
import type { PushMessage } from '../protocol/messages.js';
import { pushAnswer, PUSHES_OFF } from '../push/push-answer.js';
import type { PushOutcome } from '../push/push-sender.js';
import type { ClientConnection } from './client-connection.js';
import { reply, replyError, type HandlerContext } from './context.js';

export function handlePush(context: HandlerContext, connection: ClientConnection, message: PushMessage): void {
  if (!connection.activeSession) {
    replyError(context, connection, 'not-in-room', 'join a room before sending a push');
    return;
  }
  const answer = (outcome: PushOutcome) => {
    context.metrics.pushes.inc({ outcome: outcome.outcome });
    context.log.debug({ outcome: outcome.outcome }, 'push');
    if (!connection.closed) reply(connection, { type: 'push-result', id: message.id, ...pushAnswer(outcome) });
  };
  const push = context.push;
  if (!push) return answer(PUSHES_OFF);
  if (!connection.allowPush(push.perMinute)) return answer({ outcome: 'rate-limited', retryAfter: Math.ceil(60 / push.perMinute) });
  const ciphertext = Buffer.from(message.ciphertext, 'base64url');
  if (ciphertext.length > PUSH_CIPHERTEXT_MAX_BYTES) return answer({ outcome: 'refused', reason: `ciphertext is larger than ${PUSH_CIPHERTEXT_MAX_BYTES} bytes` });
  const request = { endpoint: message.endpoint, ciphertext, ttl: message.ttl, urgency: message.urgency, ...(message.topic === undefined ? {} : { topic: message.topic }) };
  // Counted by the address (an IPv4 address, or the IPv6 /64) as the other per-address limits are.
  push.send(request, connection.address[0]).then(answer, (error: unknown) => {
    context.log.error({ err: error }, 'push failed');
    answer({ outcome: 'failed', reason: 'internal error' });
  });
}
