/**
 * The protocol layer's entry: a text frame from a client goes through the rate
 * limit, then validation, then to the handler of its type. A `signal` frame
 * is read straight from its bytes when it can be (signal-frame.ts); every other
 * frame, and every error, goes through the general decoder.
 */
import { CloseCode } from '../protocol/codes.js';
import { decodeClientMessage } from '../protocol/decode.js';
import { readSignalFrame } from '../protocol/signal-frame.js';
import type { ClientConnection } from './client-connection.js';
import { reply, replyError, type HandlerContext } from './context.js';
import { handleJoin } from './join.js';
import { handleLeave } from './leave.js';
import { handleDeclineCall } from './decline-call.js';
import { handlePush } from './push.js';
import { handleSignal } from './signal.js';

/** A text frame as the WebSocket delivered it: UTF-8 bytes, valid as UTF-8. */
export function dispatchFrame(context: HandlerContext, connection: ClientConnection, frame: Uint8Array): void {
  if (!admit(context, connection)) return;
  const signal = readSignalFrame(frame);
  if (signal) handleSignal(context, connection, signal.to, signal.data);
  else route(context, connection, Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).toString('utf8'));
}

export function dispatchText(context: HandlerContext, connection: ClientConnection, text: string): void {
  dispatchFrame(context, connection, Buffer.from(text));
}

/** The rate limit: false when the frame is dropped. */
function admit(context: HandlerContext, connection: ClientConnection): boolean {
  if (!connection.allowMessage()) {
    context.metrics.rateLimited.inc();
    if (!strike(context, connection)) return false;
    if (!connection.toldRateLimited) {
      connection.toldRateLimited = true;
      replyError(context, connection, 'rate-limited', `slow down: at most ${context.limits.messagesPerSecond} messages per second`);
    }
    return false;
  }
  connection.toldRateLimited = false;
  return true;
}

function route(context: HandlerContext, connection: ClientConnection, text: string): void {
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
      // A valid signal the fast path left alone (a key written with escapes, say), which apps do not
      // send: rare enough to encode its validated data again.
      handleSignal(context, connection, message.to, JSON.stringify(message.data));
      return;
    case 'ping':
      reply(connection, message.t === undefined ? { type: 'pong' } : { type: 'pong', t: message.t });
      return;
    case 'push':
      handlePush(context, connection, message);
      return;
    case 'decline-call':
      handleDeclineCall(context, connection, message);
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
  connection.admission?.release();
  connection.admission = null;
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
