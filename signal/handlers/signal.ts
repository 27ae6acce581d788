import { encodeServerMessage } from '../protocol/encode.js';
import type { SignalRequest } from '../protocol/messages.js';
import type { ClientConnection } from './client-connection.js';
import { replyError, type HandlerContext } from './context.js';

/** Relays `data` to one peer of the sender's room. The server, not the client, sets `from`. */
export function handleSignal(context: HandlerContext, connection: ClientConnection, message: SignalRequest): void {
  const session = connection.activeSession;
  if (!session) {
    replyError(context, connection, 'not-in-room', 'join a room first');
    return;
  }
  const text = encodeServerMessage({ type: 'signal', from: session.id, data: message.data });
  switch (context.registry.relay(session, message.to, text)) {
    case 'delivered':
    case 'queued':
      context.metrics.relayed.inc();
      return;
    case 'unknown-peer':
      replyError(context, connection, 'unknown-peer', 'no such peer in this room');
      return;
    case 'peer-unreachable':
      replyError(context, connection, 'peer-unreachable', 'the peer is reconnecting and cannot take more messages now');
      return;
  }
}
