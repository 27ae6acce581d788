import { CloseCode } from '../protocol/codes.js';
import type { JoinMessage } from '../protocol/messages.js';
import type { PeerSession } from '../rooms/room-registry.js';
import type { ClientConnection } from './client-connection.js';
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
    reserveTurn(context, connection, (turn) => {
      if (!connection.closed) {
        enterRoom(context, connection, message, turn);
        return;
      }
      connection.joining = false;
      giveBack(context, connection, turn);
    });
  });
}

/**
 * A TURN credential for the welcome: none when the server has no TURN; set aside before the join, so that
 * the welcome carries it at once when the room has someone, and given back when it turns out empty.
 */
type Reservation = { kind: 'none' } | { kind: 'taken' } | { kind: 'refused'; why: string };

function reserveTurn(context: HandlerContext, connection: ClientConnection, next: (turn: Reservation) => void): void {
  if (!context.iceServers.issuesTurn) {
    next({ kind: 'none' });
    return;
  }
  whenAnswered(context.addresses.turnCredential(connection.address), (refused) => {
    next(refused ? { kind: 'refused', why: `no relay (TURN) credentials for now: this ${refused.kind} had its ${refused.turnCredentialsPerHour} for the hour` } : { kind: 'taken' });
  });
}

function giveBack(context: HandlerContext, connection: ClientConnection, turn: Reservation): void {
  if (turn.kind === 'taken') context.addresses.returnTurnCredential(connection.address);
}

function enterRoom(context: HandlerContext, connection: ClientConnection, message: JoinMessage, turn: Reservation): void {
  const request = { roomId: message.room, name: message.name, resumeToken: message.resume, device: message.device };
  // In a single process the answer comes at once; with Redis, when the room directory has decided.
  context.registry.join(connection.link, request, (outcome) => {
    connection.joining = false;
    // Each credential lets its holder take coturn relays for up to TURN_TTL_SECONDS: only members with someone to reach get one.
    const company = outcome.ok && outcome.peers.length > 0;
    if (!company || connection.closed) giveBack(context, connection, turn);
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
    context.connections.set(session, connection);
    const withTurn = company && turn.kind === 'taken';
    const ice = withTurn ? context.iceServers.issue() : context.iceServers.issueWithoutTurn();
    // Alone, the member is not refused anything: it gets credentials when someone comes (offerTurn).
    const relayRefused = company && turn.kind === 'refused' ? turn.why : undefined;
    if (relayRefused) context.refused('turn-rate', connection.address[0]);
    connection.turn = withTurn ? 'held' : 'none';
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
        ...(relayRefused ? { relayRefused } : {}),
        limits: context.limits,
        ...(context.push ? { vapidPublicKey: context.push.vapidPublicKey } : {}),
      });
      context.registry.flushPending(session);
    });
    connection.stopIceRefresh();
    if (company) scheduleIceRefresh(context, connection);
    context.log.debug({ peer: session.id, resumed: outcome.resumed }, 'joined');
  });
}

/** Someone joined the room of `session`: its connection gets TURN credentials now if it holds none. */
export function offerTurn(context: HandlerContext, session: PeerSession): void {
  const connection = context.connections.get(session);
  if (!connection || connection.activeSession !== session || connection.turn !== 'none' || !context.iceServers.issuesTurn) return;
  pushTurn(context, connection, session);
}

/** Sends fresh TURN credentials in `ice-servers`, counted against the connection's address like those of a welcome. */
function pushTurn(context: HandlerContext, connection: ClientConnection, session: PeerSession): void {
  connection.turn = 'asking';
  whenAnswered(context.addresses.turnCredential(connection.address), (refused) => {
    // The session ended (or this connection lost it) while Redis answered: nothing was handed out.
    if (connection.activeSession !== session) {
      if (!refused) context.addresses.returnTurnCredential(connection.address);
      return;
    }
    if (refused) {
      // The credentials held, if any, work until they expire; the next refresh, or the next arrival, may succeed.
      connection.turn = 'none';
      context.refused('turn-rate', connection.address[0]);
    } else {
      const ice = context.iceServers.issue();
      reply(connection, { type: 'ice-servers', iceServers: ice.iceServers, iceServersExpireAt: ice.expiresAt });
      connection.turn = 'held';
    }
    scheduleIceRefresh(context, connection);
  });
}

/** Pushes fresh TURN credentials before the current ones expire, for as long as the member has someone in its room. */
function scheduleIceRefresh(context: HandlerContext, connection: ClientConnection): void {
  connection.stopIceRefresh();
  const delay = context.iceServers.refreshAfterMs;
  if (delay === null) return;
  connection.iceRefreshTimer = setTimeout(() => {
    connection.iceRefreshTimer = null;
    // Credentials asked for on someone's arrival are on their way: they replace these.
    if (connection.turn === 'asking') return;
    // The credentials held are due for replacing: alone, the member lets them lapse, and gets new ones when someone comes.
    connection.turn = 'none';
    const session = connection.activeSession;
    if (session && context.registry.hasCompany(session)) pushTurn(context, connection, session);
  }, delay);
  connection.iceRefreshTimer.unref?.();
}
