/**
 * The protocol layer's entry: a text frame from a client goes through the rate
 * limit, then validation, then to the handler of its type.
 */
import { CloseCode } from '../protocol/codes.js';
import { decodeClientMessage } from '../protocol/decode.js';
import type { ClientConnection } from './client-connection.js';
import { reply, replyError, type HandlerContext } from './context.js';
import { handleJoin } from './join.js';
import { handleLeave } from './leave.js';
import { handleSignal } from './signal.js';

export function dispatchText(context: HandlerContext, connection: ClientConnection, text: string): void {
  if (!connection.allowMessage()) {
    context.metrics.rateLimited.inc();
    if (!strike(context, connection)) return;
    if (!connection.toldRateLimited) {
      connection.toldRateLimited = true;
      replyError(context, connection, 'rate-limited', `slow down: at most ${context.limits.messagesPerSecond} messages per second`);
    }
    return;
  }
  connection.toldRateLimited = false;

  const decoded = decodeClientMessage(text);
  if (!decoded.ok) {
    if (strike(context, connection)) replyError(context, connection, 'bad-message', decoded.reason);
    return;
  }
  const message = decoded.message;
  switch (message.type) {
    case 'join':
      handleJoin(context, connection, message);
      return;
    case 'leave':
      handleLeave(context, connection);
      return;
    case 'signal':
      handleSignal(context, connection, message, text);
      return;
    case 'ping':
      reply(connection, message.t === undefined ? { type: 'pong' } : { type: 'pong', t: message.t });
      return;
  }
}

/** Binary frames are not part of the protocol. */
export function dispatchBinary(context: HandlerContext, connection: ClientConnection): void {
  if (strike(context, connection)) replyError(context, connection, 'bad-message', 'binary frames are not accepted; send JSON text');
}

/** The socket is gone: the session waits out its grace period for a resume. */
export function connectionClosed(context: HandlerContext, connection: ClientConnection): void {
  connection.closed = true;
  connection.stopIceRefresh();
  const session = connection.session;
  connection.session = null;
  if (session) context.registry.detach(session, connection.link);
}

/** Counts a misbehaviour; closes the socket (and returns false) when the client keeps at it. */
function strike(context: HandlerContext, connection: ClientConnection): boolean {
  if (connection.strike()) return true;
  context.metrics.disconnects.inc({ reason: 'abuse' });
  connection.link.close(CloseCode.policyViolation, 'too many rejected messages');
  return false;
}
