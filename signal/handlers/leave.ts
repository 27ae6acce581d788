import type { ClientConnection } from './client-connection.js';
import { replyError, type HandlerContext } from './context.js';

export function handleLeave(context: HandlerContext, connection: ClientConnection): void {
  const session = connection.activeSession;
  if (!session) {
    replyError(context, connection, 'not-in-room', 'join a room first');
    return;
  }
  context.registry.leave(session);
  connection.session = null;
  connection.turn = 'none';
  connection.stopIceRefresh();
}
