import { encodeServerMessage, encodeSignalDelivery } from '../protocol/encode.js';
import type { PeerId } from '../protocol/messages.js';
import type { RelayFailure } from '../rooms/room-bus.js';
import type { PeerSession } from '../rooms/room-registry.js';
import type { ClientConnection } from './client-connection.js';
import { replyError, type HandlerContext } from './context.js';

const RELAY_FAILURES: Record<RelayFailure, string> = {
  'unknown-peer': 'no such peer in this room',
  'peer-unreachable': 'the peer is reconnecting and cannot take more messages now',
};

/**
 * Relays `data` to one peer of the sender's room. The server, not the client,
 * sets `from`. `data` is the JSON object as the sender wrote it (text, or its
 * bytes), already validated: it is forwarded, not encoded again.
 */
export function handleSignal(context: HandlerContext, connection: ClientConnection, to: PeerId, data: string | Uint8Array): void {
  const session = connection.activeSession;
  if (!session) {
    replyError(context, connection, 'not-in-room', 'join a room first');
    return;
  }
  const outcome = context.registry.relay(session, to, encodeSignalDelivery(session.id, data));
  switch (outcome) {
    case 'delivered':
    case 'queued':
      context.metrics.countRelayed();
      return;
    case 'unknown-peer':
    case 'peer-unreachable':
      replyError(context, connection, outcome, RELAY_FAILURES[outcome]);
      return;
  }
}

/** A signal that went on to another process failed there: the sender hears it as it would have at once on one process. */
export function reportRelayFailure(context: HandlerContext, session: PeerSession, failure: RelayFailure): void {
  context.metrics.error(failure);
  session.link?.send(encodeServerMessage({ type: 'error', code: failure, message: RELAY_FAILURES[failure] }));
}
