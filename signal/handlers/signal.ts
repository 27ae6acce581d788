import { encodeSignalDelivery } from '../protocol/encode.js';
import type { SignalRequest } from '../protocol/messages.js';
import { memberText } from '../protocol/raw-json.js';
import type { ClientConnection } from './client-connection.js';
import { replyError, type HandlerContext } from './context.js';

/**
 * Relays `data` to one peer of the sender's room. The server, not the client,
 * sets `from`. `frame` is the text the message was decoded from: its `data`,
 * already parsed and validated, is forwarded as written rather than encoded again.
 */
export function handleSignal(context: HandlerContext, connection: ClientConnection, message: SignalRequest, frame: string): void {
  const session = connection.activeSession;
  if (!session) {
    replyError(context, connection, 'not-in-room', 'join a room first');
    return;
  }
  // The schema made sure that `data` is there and is an object.
  const text = encodeSignalDelivery(session.id, memberText(frame, 'data')!);
  switch (context.registry.relay(session, message.to, text)) {
    case 'delivered':
    case 'queued':
      context.metrics.countRelayed();
      return;
    case 'unknown-peer':
      replyError(context, connection, 'unknown-peer', 'no such peer in this room');
      return;
    case 'peer-unreachable':
      replyError(context, connection, 'peer-unreachable', 'the peer is reconnecting and cannot take more messages now');
      return;
  }
}
