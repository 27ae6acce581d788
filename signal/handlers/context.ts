import type { Logger } from 'pino';
import type { ErrorCode } from '../protocol/codes.js';
import { encodeServerMessage } from '../protocol/encode.js';
import type { Limits, ServerMessage } from '../protocol/messages.js';
import type { SignalMetrics } from '../ops/metrics.js';
import type { PeerSession, RoomRegistry } from '../rooms/room-registry.js';
import type { IceServerIssuer } from '../turn/ice-servers.js';
import type { PushSender } from '../push/push-sender.js';
import type { AddressLimiter } from '../limits/address-limits.js';
import type { ReportRefusal } from '../limits/refusal-report.js';
import type { ClientConnection } from './client-connection.js';

/** What every handler may use. Transport-free, so handlers run in unit tests with fake links. */
export interface HandlerContext {
  registry: RoomRegistry;
  iceServers: IceServerIssuer;
  limits: Limits;
  metrics: SignalMetrics;
  log: Logger;
  /** Connections, joins and TURN credentials per client address. */
  addresses: AddressLimiter;
  refused: ReportRefusal;
  /** Null when the server sends no pushes (no VAPID_SUBJECT). */
  push: PushSender | null;
  /** The connection each session was last welcomed on, to reach it when someone joins its room (a resume replaces it). */
  connections: WeakMap<PeerSession, ClientConnection>;
}

export function reply(connection: ClientConnection, message: ServerMessage): void {
  connection.link.send(encodeServerMessage(message));
}

export function replyError(context: HandlerContext, connection: ClientConnection, code: ErrorCode, message: string, retryAfterMs?: number): void {
  context.metrics.error(code);
  reply(connection, retryAfterMs === undefined ? { type: 'error', code, message } : { type: 'error', code, message, retryAfterMs });
}
