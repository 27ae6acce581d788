import { CloseCode } from '../protocol/codes.js';
import type { JoinMessage } from '../protocol/messages.js';
import type { ClientConnection } from './client-connection.js';
import { reply, replyError, type HandlerContext } from './context.js';

export function handleJoin(context: HandlerContext, connection: ClientConnection, message: JoinMessage): void {
  if (connection.activeSession || connection.joining) {
    replyError(context, connection, 'already-in-room', 'this connection is already in a room; send leave first');
    return;
  }
  connection.joining = true;
  const request = { roomId: message.room, name: message.name, resumeToken: message.resume, device: message.device };
  // In a single process the answer comes at once; with Redis, when the room directory has decided.
  context.registry.join(connection.link, request, (outcome) => {
    connection.joining = false;
    if (connection.closed) {
      // The client went while its join was decided: the session starts its grace period like any dropped one.
      if (outcome.ok) context.registry.detach(outcome.session, connection.link);
      return;
    }
    if (!outcome.ok) {
      if (outcome.code === 'room-full') {
        replyError(context, connection, 'room-full', `the room is full (at most ${context.limits.maxRoomSize} people)`);
      } else {
        context.metrics.disconnects.inc({ reason: 'directory-unavailable' });
        connection.link.close(CloseCode.tryAgainLater, 'rooms are unavailable; try again later');
      }
      return;
    }
    const { session } = outcome;
    connection.session = session;
    const ice = context.iceServers.issue();
    connection.link.batch(() => {
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
        ...(context.push ? { vapidPublicKey: context.push.vapidPublicKey } : {}),
      });
      context.registry.flushPending(session);
    });
    scheduleIceRefresh(context, connection);
    context.log.debug({ peer: session.id, resumed: outcome.resumed }, 'joined');
  });
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
