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

/**
 * Error codes of the mailbox's HTTP API, in `{"error": <code>, "message": <words>}`, each with its status.
 * Documented in docs/protocol.md, "Mailbox (server API)".
 */
export const MAILBOX_ERRORS = {
  /** A malformed id, secret, header or JSON body. */
  'bad-request': 400,
  /** The entry's length is not one of MAILBOX_ENTRY_BUCKETS. */
  'not-a-bucket': 400,
  /** No `Authorization: Bearer <secret>`. */
  'no-credential': 401,
  /** The read secret is not this mailbox's, or the write capability is not one of its writers. */
  forbidden: 403,
  'unknown-mailbox': 404,
  'unknown-entry': 404,
  /** No such route. */
  'not-found': 404,
  /** A method the route does not take (the Allow header lists those it does). */
  'method-not-allowed': 405,
  /** The mailbox holds as many entries or bytes as it may: refused, nothing evicted. */
  'mailbox-full': 409,
  /** Larger than the largest bucket. */
  'entry-too-large': 413,
  /** The Content-Type is not the route's. */
  'unsupported-media-type': 415,
  /** Too many deposits or fetches from this address: Retry-After says when to try again. */
  'rate-limited': 429,
  /** The store cannot be reached (Redis away): try again later. */
  unavailable: 503,
  /** The server holds MAILBOX_MAX_BYTES in all mailboxes. */
  'server-full': 507,
} as const;

export type MailboxErrorCode = keyof typeof MAILBOX_ERRORS;
