/**
 * The per-address limits shared by every signal process of a scaled service,
 * in the same Redis as the rooms: without it, an address could open its
 * twenty connections on each replica.
 *
 * Keys (prefix `whisper:`): `addr-conns:<address>` process -> connections it
 * has open from that address; `addr-bucket:<kind>:<address>` tokens and when
 * they were counted, expiring once full again. Connections counted for a
 * process whose heartbeat (the room directory's `nodes`) has stopped are
 * dropped when the address next connects, so a crashed replica does not hold
 * its clients' places. Every step is one script, run atomically on Redis's clock.
 *
 * Each process also keeps the local table (address-limits.ts) and applies it
 * first, so a refusal costs Redis nothing and the limits still hold per process
 * while Redis is away (then each process counts alone: looser, never stuck).
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RedisScript } from '../rooms/redis-scripts.js';
import { LocalAddressLimits, admission, refuse, type AddressLimiter, type AddressLimitSettings, type ConnectOutcome, type Refusal } from './address-limits.js';

const PREFIX = 'whisper:';
/** An address's count of open connections outlives its last change by this much at most (a day). */
const CONNECTIONS_TTL_MS = 86_400_000;

const key = {
  connections: (address: string) => `${PREFIX}addr-conns:${address}`,
  bucket: (kind: string, address: string) => `${PREFIX}addr-bucket:${kind}:${address}`,
  nodes: `${PREFIX}nodes`,
};

const BUCKET = `
local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- Takes a token from the bucket at key: 0, or the ms until one is there.
local function take(key, capacity, perMs)
  local t = now()
  local state = redis.call('HMGET', key, 'tokens', 'at')
  local tokens = tonumber(state[1]) or capacity
  local at = tonumber(state[2]) or t
  tokens = math.min(capacity, tokens + (t - at) * perMs)
  if tokens < 1 then
    return math.ceil((1 - tokens) / perMs)
  end
  tokens = tokens - 1
  redis.call('HSET', key, 'tokens', tostring(tokens), 'at', t)
  redis.call('PEXPIRE', key, math.ceil((capacity - tokens) / perMs) + 1000)
  return 0
end
`;

/**
 * KEYS: connections, new-connections bucket, nodes. ARGV: me, limit, capacity, per ms, dead-after ms.
 * Returns {0} counted, {1} too many open, {2, wait ms} rate-limited.
 */
const CONNECT = new RedisScript(`${BUCKET}
local counts = redis.call('HGETALL', KEYS[1])
local open, alive = 0, now() - tonumber(ARGV[5])
for i = 1, #counts, 2 do
  local node, count = counts[i], tonumber(counts[i + 1])
  local beat = redis.call('ZSCORE', KEYS[3], node)
  if node == ARGV[1] or (beat and tonumber(beat) >= alive) then
    open = open + count
  else
    redis.call('HDEL', KEYS[1], node)
  end
end
if open >= tonumber(ARGV[2]) then return {1, 0} end
local wait = take(KEYS[2], tonumber(ARGV[3]), tonumber(ARGV[4]))
if wait > 0 then return {2, wait} end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('PEXPIRE', KEYS[1], ${CONNECTIONS_TTL_MS})
return {0, 0}
`);

/** KEYS: connections. ARGV: me. */
const DISCONNECT = new RedisScript(`
if redis.call('HINCRBY', KEYS[1], ARGV[1], -1) <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
return 1
`);

/** Sets this process's count for an address to what it knows (after a count down that Redis missed). KEYS: connections. ARGV: me, count. */
const SET_COUNT = new RedisScript(`
if tonumber(ARGV[2]) > 0 then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ${CONNECTIONS_TTL_MS})
else
  redis.call('HDEL', KEYS[1], ARGV[1])
end
return 1
`);

/** How often counts that Redis missed are written again. */
const REPAIR_MS = 5000;

/** KEYS: bucket. ARGV: capacity, per ms. Returns 0 or the wait in ms. */
const TAKE = new RedisScript(`${BUCKET}
return take(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))
`);

export interface RedisAddressLimitsOptions {
  url: string;
  /** This process, as the room directory's heartbeats name it. */
  node: string;
  /** A process silent for this long is dead: its connections no longer count. */
  deadAfterMs: number;
  log: Logger;
}

export class RedisAddressLimits implements AddressLimiter {
  readonly #local: LocalAddressLimits;
  readonly #settings: AddressLimitSettings;
  readonly #redis: Redis;
  readonly #options: RedisAddressLimitsOptions;
  #warned = false;
  /** Addresses whose count down did not reach Redis: their count there is written again from this process's own. */
  readonly #unsynced = new Set<string>();
  readonly #repair: ReturnType<typeof setInterval>;

  constructor(settings: AddressLimitSettings, options: RedisAddressLimitsOptions) {
    this.#settings = settings;
    this.#options = options;
    this.#local = new LocalAddressLimits(settings);
    // As the room directory's connection: fail at once while Redis is away, never queue.
    this.#redis = new Redis(options.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    this.#redis.on('error', () => undefined);
    this.#repair = setInterval(() => void this.#writeCountsAgain(), REPAIR_MS);
    this.#repair.unref?.();
  }

  get settings(): AddressLimitSettings {
    return this.#settings;
  }

  get trackedAddresses(): number {
    return this.#local.trackedAddresses;
  }

  connect(address: string): ConnectOutcome {
    const local = this.#local.connect(address);
    if (!local.ok) return local;
    const { connectionsPerAddress, connectionsPerMinute } = this.#settings;
    // Counted in Redis (status 0) and not yet given back: the count there must come down when the socket goes,
    // also when it went before Redis answered.
    let counted = false;
    let released = false;
    const disconnect = () =>
      void this.#run(DISCONNECT, [key.connections(address)], [this.#options.node]).then((answer) => {
        // Missed, the address would keep a place it no longer holds, perhaps for good.
        if (answer === null) this.#unsynced.add(address);
      });
    const confirmation = this.#run(CONNECT, [key.connections(address), key.bucket('conn', address), key.nodes], [this.#options.node, connectionsPerAddress, connectionsPerMinute, connectionsPerMinute / 60_000, this.#options.deadAfterMs]).then(
      (answer): Refusal | null => {
        // Redis away: this process's own count stands alone meanwhile.
        if (answer === null) return null;
        const [status, wait] = answer as [number, number];
        if (status === 0) {
          counted = true;
          if (released) disconnect();
          return null;
        }
        return status === 1 ? refuse.tooManyConnections(connectionsPerAddress) : refuse.connectionRate(connectionsPerMinute, wait);
      },
    );
    return {
      ok: true,
      confirmation,
      admission: admission(() => {
        released = true;
        local.admission.release();
        if (counted) disconnect();
      }),
    };
  }

  async join(address: string): Promise<Refusal | null> {
    const local = this.#local.join(address);
    if (local) return local;
    const perMinute = this.#settings.joinsPerMinute;
    const wait = await this.#run(TAKE, [key.bucket('join', address)], [perMinute, perMinute / 60_000]);
    if (wait === null || wait === 0) return null;
    return refuse.joinRate(perMinute, wait as number);
  }

  async turnCredential(address: string): Promise<boolean> {
    if (!this.#local.turnCredential(address)) return false;
    const perHour = this.#settings.turnCredentialsPerHour;
    const wait = await this.#run(TAKE, [key.bucket('turn', address)], [perHour, perHour / 3_600_000]);
    return wait === null || wait === 0;
  }

  async #writeCountsAgain(): Promise<void> {
    for (const address of [...this.#unsynced]) {
      const answer = await this.#run(SET_COUNT, [key.connections(address)], [this.#options.node, this.#local.openConnections(address)]);
      if (answer === null) return;
      this.#unsynced.delete(address);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#repair);
    await this.#local.close();
    this.#redis.disconnect();
  }

  /** A script's answer, or null when Redis cannot be asked now (the local limits stand alone meanwhile). */
  async #run(script: RedisScript, keys: string[], args: Array<string | number>): Promise<unknown> {
    try {
      const answer = await script.run(this.#redis, keys, args);
      this.#warned = false;
      return answer;
    } catch (error) {
      if (!this.#warned) {
        this.#warned = true;
        this.#options.log.warn({ err: error }, 'address limits: redis unavailable; each process counts alone until it is back');
      }
      return null;
    }
  }
}
