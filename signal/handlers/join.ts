import { CloseCode } from '../protocol/codes.js';
import type { JoinMessage } from '../protocol/messages.js';
import type { ClientConnection } from './client-connection.js';
import type { IssuedIceServers } from '../turn/ice-servers.js';
import { whenAnswered } from '../limits/address-limits.js';
import { reply, replyError, type HandlerContext } from './context.js';

export function handleJoin(context: HandlerContext, connection: ClientConnection, message: JoinMessage): void {
  if (connection.activeSession || connection.joining) {
    replyError(context, connection, 'already-in-room', 'this connection is already in a room; send leave first');
    return;
  }
  connection.joining = true;
  whenAnswered(context.addresses.join(connection.address), (refusal) => {
    if (refusal) {
      connection.joining = false;
      context.refused('join-rate', connection.address[0]);
      if (!connection.closed) replyError(context, connection, 'rate-limited', refusal.message, refusal.retryAfterMs);
      return;
    }
    issueIce(context, connection, (ice) => {
      if (connection.closed) connection.joining = false;
      else enterRoom(context, connection, message, ice);
    });
  });
}

type OfferedIce = IssuedIceServers & { relayRefused?: string };

/**
 * The ICE servers for this connection: TURN credentials only while its address has some left this hour,
 * since each one lets its holder relay through coturn for up to TURN_TTL_SECONDS.
 */
function issueIce(context: HandlerContext, connection: ClientConnection, next: (ice: OfferedIce) => void): void {
  const issuer = context.iceServers;
  if (!issuer.issuesTurn) {
    next(issuer.issue());
    return;
  }
  whenAnswered(context.addresses.turnCredential(connection.address), (allowed) => {
    if (allowed) {
      next(issuer.issue());
      return;
    }
    context.refused('turn-rate', connection.address[0]);
    next({ ...issuer.issueWithoutTurn(), relayRefused: `no relay (TURN) credentials for now: this address had its ${context.addresses.settings.turnCredentialsPerHour} for the hour` });
  });
}

function enterRoom(context: HandlerContext, connection: ClientConnection, message: JoinMessage, ice: OfferedIce): void {
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
      } else if (outcome.code === 'too-many-rooms') {
        // As for a server at MAX_CONNECTIONS: come back later (the app reconnects after a back-off), maybe to another process.
        context.metrics.disconnects.inc({ reason: 'too-many-rooms' });
        connection.link.close(CloseCode.tryAgainLater, 'too-many-rooms: this server has as many rooms open as it can hold; try again later');
      } else {
        context.metrics.disconnects.inc({ reason: 'directory-unavailable' });
        connection.link.close(CloseCode.tryAgainLater, 'rooms are unavailable; try again later');
      }
      return;
    }
    const { session } = outcome;
    connection.session = session;
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
        ...(ice.relayRefused ? { relayRefused: ice.relayRefused } : {}),
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
    issueIce(context, connection, (ice) => {
      if (!connection.activeSession) return;
      // Refused: the credentials held still work until they expire, and the next refresh may succeed.
      if (!ice.relayRefused) reply(connection, { type: 'ice-servers', iceServers: ice.iceServers, iceServersExpireAt: ice.expiresAt });
      scheduleIceRefresh(context, connection);
    });
  }, delay);
  connection.iceRefreshTimer.unref?.();
}
