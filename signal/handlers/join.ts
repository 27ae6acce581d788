import type { JoinMessage } from '../protocol/messages.js';
import type { ClientConnection } from './client-connection.js';
import { reply, replyError, type HandlerContext } from './context.js';

export function handleJoin(context: HandlerContext, connection: ClientConnection, message: JoinMessage): void {
  if (connection.activeSession) {
    replyError(context, connection, 'already-in-room', 'this connection is already in a room; send leave first');
    return;
  }
  const outcome = context.registry.join(connection.link, message.room, message.name, message.resume, message.device);
  if (!outcome.ok) {
    replyError(context, connection, 'room-full', `the room is full (at most ${context.limits.maxRoomSize} people)`);
    return;
  }
  const { session } = outcome;
  connection.session = session;
  const ice = context.iceServers.issue();
  reply(connection, {
    type: 'welcome',
    id: session.id,
    room: session.roomId,
    name: session.name,
    peers: outcome.peers,
    resumeToken: session.resumeToken,
    resumed: outcome.resumed,
    iceServers: ice.iceServers,
    iceServersExpireAt: ice.expiresAt,
    limits: context.limits,
  });
  context.registry.flushPending(session);
  scheduleIceRefresh(context, connection);
  context.log.debug({ peer: session.id, resumed: outcome.resumed }, 'joined');
}

/** Pushes fresh TURN credentials before the current ones expire, for as long as the session lasts. */
function scheduleIceRefresh(context: HandlerContext, connection: ClientConnection): void {
  connection.stopIceRefresh();
  const delay = context.iceServers.refreshAfterMs;
  if (delay === null) return;
  connection.iceRefreshTimer = setTimeout(() => {
    if (!connection.activeSession) return;
    const ice = context.iceServers.issue();
    reply(connection, { type: 'ice-servers', iceServers: ice.iceServers, iceServersExpireAt: ice.expiresAt });
    scheduleIceRefresh(context, connection);
  }, delay);
  connection.iceRefreshTimer.unref?.();
}
