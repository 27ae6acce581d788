/**
 * Settings of the signal process, read from the environment and validated, so
 * that a typo stops the server at boot with a clear message instead of later.
 */
import * as v from 'valibot';

const integer = (fallback: number, min: number, max: number) =>
  v.pipe(
    v.optional(v.string(), String(fallback)),
    v.transform((text) => (text.trim() === '' ? fallback : Number(text))),
    v.number('must be a number'),
    v.integer('must be a whole number'),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  );

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
  IDLE_TIMEOUT_SECONDS: integer(24, 8, 960),
  MESSAGES_PER_SECOND: integer(50, 1, 100_000),
  MESSAGE_BURST: integer(200, 1, 100_000),
  MAX_BACKPRESSURE_BYTES: integer(1024 * 1024, 64 * 1024, 64 * 1024 * 1024),
  SHUTDOWN_TIMEOUT_MS: integer(5000, 0, 60_000),
  LOG_LEVEL: v.optional(v.picklist(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), 'info'),
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
    resumeGraceMs: e.RESUME_GRACE_MS,
    idleTimeoutSeconds: e.IDLE_TIMEOUT_SECONDS,
    messagesPerSecond: e.MESSAGES_PER_SECOND,
    messageBurst: e.MESSAGE_BURST,
    maxBackpressureBytes: e.MAX_BACKPRESSURE_BYTES,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    logLevel: e.LOG_LEVEL,
    /** Rooms shared with other signal processes through this Redis; null for a process that runs alone. */
    redisUrl: e.REDIS_URL === '' ? null : e.REDIS_URL,
  };
}
