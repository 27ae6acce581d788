/**
 * Settings of the signal process, read from the environment and validated, so
 * that a typo stops the server at boot with a clear message instead of later.
 */
import * as v from 'valibot';
import { DEFAULT_PUSH_HOSTS, parseAllowedHost } from './push/push-target.js';
import { isAddressOrCidr } from './transport/client-address.js';
import { MAILBOX_ENTRY_MAX_BYTES } from './protocol/limits.js';

/** A whole number, or null when unset (its default then depends on other settings). */
const optionalInteger = (min: number, max: number) =>
  v.pipe(
    v.optional(v.string(), ''),
    v.transform((text) => (text.trim() === '' ? null : Number(text))),
    v.nullable(v.pipe(v.number('must be a number'), v.integer('must be a whole number'), v.minValue(min, `must be at least ${min}`), v.maxValue(max, `must be at most ${max}`))),
  );

const integer = (fallback: number, min: number, max: number) => v.pipe(optionalInteger(min, max), v.transform((value) => value ?? fallback));

const list = v.pipe(
  v.optional(v.string(), ''),
  v.transform((text) =>
    text
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  ),
);

const iceUrls = (scheme: string) =>
  v.pipe(list, v.check((urls) => urls.every((url) => url.startsWith(`${scheme}:`) || url.startsWith(`${scheme}s:`)), `every URL must start with ${scheme}: or ${scheme}s:`));

const addresses = v.pipe(list, v.check((entries) => entries.every(isAddressOrCidr), 'each entry must be an IP address or a CIDR such as 172.16.0.0/12 or fd00::/8'));

const flag = v.pipe(
  v.optional(v.string(), 'false'),
  v.transform((text) => text.trim().toLowerCase()),
  v.picklist(['true', 'false', '1', '0', ''], 'must be true or false'),
  v.transform((text) => text === 'true' || text === '1'),
);

const base64url = (bytes: number, what: string) =>
  v.pipe(
    v.optional(v.string(), ''),
    v.transform((text) => text.trim()),
    v.check((text) => text === '' || (/^[A-Za-z0-9_-]+$/.test(text) && Buffer.from(text, 'base64url').length === bytes), `must be ${what} (${bytes} bytes) in base64url`),
  );

const EnvSchema = v.object({
  PORT: integer(8080, 0, 65535),
  HOST: v.optional(v.pipe(v.string(), v.nonEmpty()), '0.0.0.0'),
  STATIC_DIR: v.optional(v.string(), 'dist'),
  ALLOWED_ORIGINS: v.pipe(list, v.check((origins) => origins.every((o) => URL.canParse(o) && new URL(o).origin === o), 'each entry must be an origin such as https://chat.example.org')),
  STUN_URLS: iceUrls('stun'),
  TURN_URLS: iceUrls('turn'),
  TURN_SECRET: v.optional(v.string(), ''),
  TURN_TTL_SECONDS: integer(3600, 10, 3600),
  MAX_ROOM_SIZE: integer(16, 2, 256),
  MAX_CONNECTIONS: integer(10_000, 1, 1_000_000),
  RESUME_GRACE_MS: integer(120_000, 0, 3_600_000),
  // Away sessions hold no connection, so MAX_CONNECTIONS does not bound them: as many again by default.
  MAX_AWAY_SESSIONS: integer(10_000, 0, 1_000_000),
  MAX_ROOMS: integer(10_000, 1, 1_000_000),
  // 64 MiB: a full process (10,000 connections, as many away) stays far from a container's memory limit.
  MAX_PENDING_SIGNAL_BYTES: integer(64 * 1024 * 1024, 0, 16 * 1024 * 1024 * 1024),
  IDLE_TIMEOUT_SECONDS: integer(24, 8, 960),
  TRUSTED_PROXIES: addresses,
  CONNECTIONS_PER_ADDRESS: integer(20, 1, 1_000_000),
  NEW_CONNECTIONS_PER_MINUTE: integer(30, 1, 1_000_000),
  JOINS_PER_MINUTE: integer(30, 1, 1_000_000),
  // 10: only members with someone in their room get credentials, one per (re)join and one per refresh (every
  // 45 min with TURN_TTL_SECONDS 3600). Four devices of a household behind one address, all in company all day
  // and each reloading once an hour, take 4 x 4/3 + 4 = 9.3 an hour (six that do not reload, 8), and the bucket
  // of 10 lets all of them reload together twice. coturn keeps a relay alive past its credential while it is
  // refreshed, so this is the pace one address takes relays at: 10 x user-quota 32 = 320 an hour (turnserver.conf).
  TURN_CREDENTIALS_PER_HOUR: integer(10, 1, 1_000_000),
  // IPv6: the /56 and the /48 holding a client's /64; by default 4 and 16 times the connections of one address,
  // and 2 and 4 times its TURN credentials (below).
  CONNECTIONS_PER_56: optionalInteger(1, 1_000_000),
  CONNECTIONS_PER_48: optionalInteger(1, 1_000_000),
  NEW_CONNECTIONS_PER_MINUTE_PER_56: optionalInteger(1, 1_000_000),
  NEW_CONNECTIONS_PER_MINUTE_PER_48: optionalInteger(1, 1_000_000),
  TURN_CREDENTIALS_PER_HOUR_PER_56: optionalInteger(1, 1_000_000),
  TURN_CREDENTIALS_PER_HOUR_PER_48: optionalInteger(1, 1_000_000),
  MAX_TRACKED_ADDRESSES: integer(100_000, 1, 10_000_000),
  METRICS_ALLOW: addresses,
  METRICS_PORT: integer(0, 0, 65535),
  MESSAGES_PER_SECOND: integer(50, 1, 100_000),
  MESSAGE_BURST: integer(200, 1, 100_000),
  MAX_BACKPRESSURE_BYTES: integer(1024 * 1024, 64 * 1024, 64 * 1024 * 1024),
  SHUTDOWN_TIMEOUT_MS: integer(5000, 0, 60_000),
  LOG_LEVEL: v.optional(v.picklist(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), 'info'),
  DATA_DIR: v.optional(v.pipe(v.string(), v.nonEmpty()), 'data'),
  VAPID_SUBJECT: v.pipe(
    v.optional(v.string(), ''),
    v.transform((text) => text.trim()),
    v.check((text) => text === '' || /^mailto:[^@\s]+@[^@\s]+$/.test(text) || (URL.canParse(text) && new URL(text).protocol === 'https:'), 'must be a mailto: or https: address, such as mailto:admin@example.org'),
    v.check((text) => !URL.canParse(text) || !/^(localhost|127\.|\[::1\])/.test(new URL(text).hostname) && !/@localhost$/.test(text), 'must not be localhost (Apple\'s push service refuses it): use an address people can reach you at'),
  ),
  VAPID_PUBLIC_KEY: base64url(65, 'an uncompressed P-256 point'),
  VAPID_PRIVATE_KEY: base64url(32, 'a P-256 private key'),
  PUSH_ALLOWED_HOSTS: v.pipe(
    v.optional(v.string(), DEFAULT_PUSH_HOSTS.join(',')),
    v.transform((text) => text.split(',').map((item) => item.trim()).filter((item) => item.length > 0)),
    v.check((hosts) => hosts.every((host) => parseAllowedHost(host) !== null), 'each entry must be a host name, or *.domain, optionally with :port'),
  ),
  PUSH_ALLOW_PRIVATE_ADDRESSES: flag,
  PUSH_TIMEOUT_MS: integer(10_000, 500, 60_000),
  PUSHES_PER_MINUTE: integer(6, 1, 10_000),
  PUSHES_PER_ADDRESS_PER_MINUTE: integer(30, 1, 1_000_000),
  // The mailbox (docs/protocol.md, "Mailbox (server API)"). An entry lives 7 days (at most 14) unless its owner deletes it.
  MAILBOX_TTL_SECONDS: integer(7 * 86_400, 1, 14 * 86_400),
  MAILBOX_ENTRIES_PER_MAILBOX: integer(500, 1, 100_000),
  // 4 MiB: 64 of the largest entries, or a few hundred messages padded to 4 or 16 KiB.
  MAILBOX_BYTES_PER_MAILBOX: integer(4 * 1024 * 1024, MAILBOX_ENTRY_MAX_BYTES, 1024 * 1024 * 1024),
  // Everything every mailbox holds, entries and writer lists: 1 GiB.
  MAILBOX_MAX_BYTES: integer(1024 * 1024 * 1024, MAILBOX_ENTRY_MAX_BYTES, 1024 * 1024 * 1024 * 1024),
  // A mailbox with no entry whose owner has not said a word (PUT) for this long goes.
  MAILBOX_IDLE_DAYS: integer(30, 1, 3650),
  // 120: a household writing to people who are away, each message and each receipt one deposit.
  MAILBOX_DEPOSITS_PER_MINUTE: integer(120, 1, 1_000_000),
  // 600: an owner fetches once, then deletes each entry it stored, one request each (a full mailbox is 500).
  MAILBOX_FETCHES_PER_MINUTE: integer(600, 1, 1_000_000),
  REDIS_URL: v.pipe(
    v.optional(v.string(), ''),
    v.transform((text) => text.trim()),
    v.check(
      (url) => url === '' || (URL.canParse(url) && ['redis:', 'rediss:'].includes(new URL(url).protocol) && new URL(url).hostname !== ''),
      'must be a redis:// or rediss:// URL, such as redis://redis:6379',
    ),
  ),
});

export type SignalConfig = ReturnType<typeof readConfig>;

/** A reason the server cannot start, stated for the person who runs it (no stack trace needed). */
export class StartupError extends Error {}

export function readConfig(env: Record<string, string | undefined> = process.env) {
  const result = v.safeParse(EnvSchema, env);
  if (!result.success) {
    const problems = result.issues.map((issue) => `${v.getDotPath(issue) ?? 'environment'}: ${issue.message}`);
    throw new StartupError(`invalid configuration: ${problems.join('; ')}`);
  }
  const e = result.output;
  if ((e.TURN_SECRET === '') !== (e.TURN_URLS.length === 0)) {
    throw new StartupError('invalid configuration: TURN_SECRET and TURN_URLS must be set together');
  }
  const per56 = {
    connections: e.CONNECTIONS_PER_56 ?? 4 * e.CONNECTIONS_PER_ADDRESS,
    connectionsPerMinute: e.NEW_CONNECTIONS_PER_MINUTE_PER_56 ?? 4 * e.NEW_CONNECTIONS_PER_MINUTE,
    turnCredentialsPerHour: e.TURN_CREDENTIALS_PER_HOUR_PER_56 ?? 2 * e.TURN_CREDENTIALS_PER_HOUR,
  };
  const per48 = {
    connections: e.CONNECTIONS_PER_48 ?? 16 * e.CONNECTIONS_PER_ADDRESS,
    connectionsPerMinute: e.NEW_CONNECTIONS_PER_MINUTE_PER_48 ?? 16 * e.NEW_CONNECTIONS_PER_MINUTE,
    // Relays outlive their credential while refreshed (tests/deploy/coturn-quota.test.ts), so credentials an
    // hour are the pace at which relays are taken: a /48 at 4 x 10 fills 1280 of coturn's 4000 an hour, not 5120.
    turnCredentialsPerHour: e.TURN_CREDENTIALS_PER_HOUR_PER_48 ?? 4 * e.TURN_CREDENTIALS_PER_HOUR,
  };
  // A network holds the narrower ones: a smaller limit there would quietly replace theirs.
  for (const [wide, narrow, value, than] of [
    ['CONNECTIONS_PER_56', 'CONNECTIONS_PER_ADDRESS', per56.connections, e.CONNECTIONS_PER_ADDRESS],
    ['CONNECTIONS_PER_48', 'CONNECTIONS_PER_56', per48.connections, per56.connections],
    ['NEW_CONNECTIONS_PER_MINUTE_PER_56', 'NEW_CONNECTIONS_PER_MINUTE', per56.connectionsPerMinute, e.NEW_CONNECTIONS_PER_MINUTE],
    ['NEW_CONNECTIONS_PER_MINUTE_PER_48', 'NEW_CONNECTIONS_PER_MINUTE_PER_56', per48.connectionsPerMinute, per56.connectionsPerMinute],
    ['TURN_CREDENTIALS_PER_HOUR_PER_56', 'TURN_CREDENTIALS_PER_HOUR', per56.turnCredentialsPerHour, e.TURN_CREDENTIALS_PER_HOUR],
    ['TURN_CREDENTIALS_PER_HOUR_PER_48', 'TURN_CREDENTIALS_PER_HOUR_PER_56', per48.turnCredentialsPerHour, per56.turnCredentialsPerHour],
  ] as const) {
    if (value < than) throw new StartupError(`invalid configuration: ${wide} (${value}) must be at least ${narrow} (${than}): an IPv6 network holds the narrower ones`);
  }
  if (e.MAX_TRACKED_ADDRESSES < e.MAX_CONNECTIONS) {
    throw new StartupError('invalid configuration: MAX_TRACKED_ADDRESSES must be at least MAX_CONNECTIONS (each open connection has an address)');
  }
  if (e.METRICS_PORT !== 0 && e.METRICS_PORT === e.PORT) {
    throw new StartupError('invalid configuration: METRICS_PORT must differ from PORT');
  }
  if (e.MAILBOX_MAX_BYTES < e.MAILBOX_BYTES_PER_MAILBOX) {
    throw new StartupError('invalid configuration: MAILBOX_MAX_BYTES must be at least MAILBOX_BYTES_PER_MAILBOX (one full mailbox)');
  }
  if ((e.VAPID_PUBLIC_KEY === '') !== (e.VAPID_PRIVATE_KEY === '')) {
    throw new StartupError('invalid configuration: VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY must be set together');
  }
  return {
    port: e.PORT,
    host: e.HOST,
    staticDir: e.STATIC_DIR,
    allowedOrigins: e.ALLOWED_ORIGINS,
    ice: {
      stunUrls: e.STUN_URLS,
      turnUrls: e.TURN_URLS,
      turnSecret: e.TURN_SECRET === '' ? null : e.TURN_SECRET,
      turnTtlSeconds: e.TURN_TTL_SECONDS,
    },
    maxRoomSize: e.MAX_ROOM_SIZE,
    maxConnections: e.MAX_CONNECTIONS,
    /** Peers whose X-Forwarded-For names the client (Caddy); everyone else is the client itself. */
    trustedProxies: e.TRUSTED_PROXIES,
    addressLimits: {
      connectionsPerAddress: e.CONNECTIONS_PER_ADDRESS,
      connectionsPerMinute: e.NEW_CONNECTIONS_PER_MINUTE,
      joinsPerMinute: e.JOINS_PER_MINUTE,
      turnCredentialsPerHour: e.TURN_CREDENTIALS_PER_HOUR,
      mailboxDepositsPerMinute: e.MAILBOX_DEPOSITS_PER_MINUTE,
      mailboxFetchesPerMinute: e.MAILBOX_FETCHES_PER_MINUTE,
      maxAddresses: e.MAX_TRACKED_ADDRESSES,
      per56,
      per48,
    },
    /** Who may read /metrics and /readyz's reasons besides loopback and the trusted proxies; or a port of their own (0: none). */
    metrics: { allow: e.METRICS_ALLOW, port: e.METRICS_PORT === 0 ? null : e.METRICS_PORT },
    resumeGraceMs: e.RESUME_GRACE_MS,
    /** What one process holds for peers that are away, and the rooms it serves. */
    capacity: { maxAwaySessions: e.MAX_AWAY_SESSIONS, maxRooms: e.MAX_ROOMS, maxPendingBytes: e.MAX_PENDING_SIGNAL_BYTES },
    idleTimeoutSeconds: e.IDLE_TIMEOUT_SECONDS,
    messagesPerSecond: e.MESSAGES_PER_SECOND,
    messageBurst: e.MESSAGE_BURST,
    maxBackpressureBytes: e.MAX_BACKPRESSURE_BYTES,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    logLevel: e.LOG_LEVEL,
    /** Web Push: off (null) unless VAPID_SUBJECT says who runs the server. */
    push:
      e.VAPID_SUBJECT === ''
        ? null
        : {
            subject: e.VAPID_SUBJECT,
            publicKey: e.VAPID_PUBLIC_KEY === '' ? null : e.VAPID_PUBLIC_KEY,
            privateKey: e.VAPID_PRIVATE_KEY === '' ? null : e.VAPID_PRIVATE_KEY,
            dataDir: e.DATA_DIR,
            allowedHosts: e.PUSH_ALLOWED_HOSTS.map((host) => parseAllowedHost(host)!),
            allowPrivateAddresses: e.PUSH_ALLOW_PRIVATE_ADDRESSES,
            timeoutMs: e.PUSH_TIMEOUT_MS,
            perMinute: e.PUSHES_PER_MINUTE,
            perAddressPerMinute: e.PUSHES_PER_ADDRESS_PER_MINUTE,
          },
    /** What the mailboxes may hold (their rates are with the per-address limits). */
    mailbox: {
      ttlMs: e.MAILBOX_TTL_SECONDS * 1000,
      entriesPerMailbox: e.MAILBOX_ENTRIES_PER_MAILBOX,
      bytesPerMailbox: e.MAILBOX_BYTES_PER_MAILBOX,
      maxBytes: e.MAILBOX_MAX_BYTES,
      idleMs: e.MAILBOX_IDLE_DAYS * 86_400_000,
    },
    /** What the process keeps on disk: its VAPID keys, and its mailboxes when it runs alone (<DATA_DIR>/mailbox). */
    dataDir: e.DATA_DIR,
    /** Rooms and mailboxes shared with other signal processes through this Redis; null for a process that runs alone. */
    redisUrl: e.REDIS_URL === '' ? null : e.REDIS_URL,
  };
}
