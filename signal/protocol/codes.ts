/** Stable error codes carried by `{"type":"error","code":...}`. */
export const ERROR_CODES = [
  'bad-message',
  'not-in-room',
  'already-in-room',
  'unknown-peer',
  'peer-unreachable',
  'rate-limited',
  'room-full',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** WebSocket close codes the server uses. Documented in docs/protocol.md. */
export const CloseCode = {
  /** The client said goodbye (or the server closed an idle socket after `leave`). */
  normal: 1000,
  /** Sustained abuse: too many rate-limited or malformed messages. */
  policyViolation: 1008,
  /** A frame larger than MAX_MESSAGE_BYTES (sent by uWebSockets.js itself). */
  messageTooBig: 1009,
  /** The server hit an unexpected error while handling this connection's message. Reconnect. */
  internalError: 1011,
  /** The server is shutting down or restarting: reconnect and resume. */
  serviceRestart: 1012,
  /** Too many connections on this server: try again later. */
  tryAgainLater: 1013,
  /** The same session was resumed on another connection. Do not reconnect. */
  replaced: 4001,
  /** `too-many-connections`: this address has CONNECTIONS_PER_ADDRESS open already. Reconnect after a while. */
  tooManyConnections: 4008,
  /** `rate-limited`: too many new connections from this address in the last minute. The reason says when to try again. */
  rateLimited: 4029,
} as const;

export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];
