/**
 * The per-address limits shared by every signal process of a scaled service,
 * in the same Redis as the rooms: without it, an address could open its
 * twenty connections on each replica.
 *
 * Keys (prefix `whisper:`): `addr-conns:<key>` process -> connections it
 * has open from that address (or IPv6 /56 or /48); `addr-bucket:<kind>:<key>`
 * tokens and when they were counted, expiring once full again. Connections counted for a
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
import {
  LocalAddressLimits,
  admission,
  keyLimits,
  mailboxRate,
  refuse,
  type AddressKeys,
  type AddressLimiter,
  type AddressLimitSettings,
  type ConnectOutcome,
  type KeyLimits,
  type MailboxRequestKind,
  type Refusal,
} from './address-limits.js';

const PREFIX = 'whisper:';
/** An address's count of open connections outlives its last change by this much at most (a day). */
const CONNECTIONS_TTL_MS = 86_400_000;

const key = {
  connections: (address: string) => `${PREFIX}addr-conns:${address}`,
  bucket: (kind: string, address: string) => `${PREFIX}addr-bucket:${kind}:${address}`,
  nodes: `${PREFIX}nodes`,
};

const BUCKETS = `
local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- The tokens in the bucket at key at time t.
local function tokensAt(key, capacity, perMs, t)
  local state = redis.call('HMGET', key, 'tokens', 'at')
  local tokens = tonumber(state[1]) or capacity
  local at = tonumber(state[2]) or t
  return math.min(capacity, tokens + (t - at) * perMs)
end
-- Stores the bucket at key, kept until it is full again (a missing bucket is a full one).
local function store(key, tokens, capacity, perMs, t)
  if tokens >= capacity then
    redis.call('DEL', key)
    return
  end
  redis.call('HSET', key, 'tokens', tostring(tokens), 'at', t)
  redis.call('PEXPIRE', key, math.ceil((capacity - tokens) / perMs) + 1000)
end
-- Takes a token from each bucket (keys[i], rates[i] = {capacity, perMs}) if every one has one, so that
-- a refusal by one of a client's keys costs the others nothing: 0, or {i, wait ms} of the first that has none.
local function takeEach(keys, rates)
  local t = now()
  local tokens = {}
  for i = 1, #keys do
    tokens[i] = tokensAt(keys[i], rates[i][1], rates[i][2], t)
    if tokens[i] < 1 then return {i, math.ceil((1 - tokens[i]) / rates[i][2])} end
  end
  for i = 1, #keys do store(keys[i], tokens[i] - 1, rates[i][1], rates[i][2], t) end
  return 0
end
`;

/** ARGV: a capacity and a rate (per ms) for each of KEYS, in their order. */
const RATES = `
local rates = {}
for i = 1, #KEYS do rates[i] = {tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])} end
`;

/**
 * KEYS: nodes, then for each of a client's keys its connections and its new-connections bucket.
 * ARGV: me, dead-after ms, then for each key its limit of connections, the bucket's capacity and rate per ms.
 * Returns {0, 0, 0} counted, {1, 0, i} too many open at the i-th key, {2, wait ms, i} rate-limited there.
 */
const CONNECT = new RedisScript(`${BUCKETS}
local levels = (#KEYS - 1) / 2
local alive = now() - tonumber(ARGV[2])
for level = 1, levels do
  local key = KEYS[2 * level]
  local counts = redis.call('HGETALL', key)
  local open = 0
  for i = 1, #counts, 2 do
    local node, count = counts[i], tonumber(counts[i + 1])
    local beat = redis.call('ZSCORE', KEYS[1], node)
    if node == ARGV[1] or (beat and tonumber(beat) >= alive) then
      open = open + count
    else
      redis.call('HDEL', key, node)
    end
  end
  if open >= tonumber(ARGV[3 * level]) then return {1, 0, level} end
end
local buckets, rates = {}, {}
for level = 1, levels do
  buckets[level] = KEYS[2 * level + 1]
  rates[level] = {tonumber(ARGV[3 * level + 1]), tonumber(ARGV[3 * level + 2])}
end
local short = takeEach(buckets, rates)
if short ~= 0 then return {2, short[2], short[1]} end
for level = 1, levels do
  redis.call('HINCRBY', KEYS[2 * level], ARGV[1], 1)
  redis.call('PEXPIRE', KEYS[2 * level], ${CONNECTIONS_TTL_MS})
end
return {0, 0, 0}
`);

/** KEYS: connections of each of a client's keys. ARGV: me. */
const DISCONNECT = new RedisScript(`
for i = 1, #KEYS do
  if redis.call('HINCRBY', KEYS[i], ARGV[1], -1) <= 0 then redis.call('HDEL', KEYS[i], ARGV[1]) end
end
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

/** KEYS: buckets. ARGV: capacity and rate per ms of each. Returns 0, or {i, wait ms} of the first bucket that had no token. */
const TAKE_EACH = new RedisScript(`${BUCKETS}${RATES}
return takeEach(KEYS, rates)
`);

/** Puts a token back into each bucket, never past its capacity. KEYS: buckets. ARGV: capacity and rate per ms of each. */
const GIVE_BACK = new RedisScript(`${BUCKETS}${RATES}
local t = now()
for i = 1, #KEYS do
  store(KEYS[i], math.min(rates[i][1], tokensAt(KEYS[i], rates[i][1], rates[i][2], t) + 1), rates[i][1], rates[i][2], t)
end
return 1
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
  readonly #limits: readonly KeyLimits[];
  #warned = false;
  /** Addresses whose count down did not reach Redis: their count there is written again from this process's own. */
  readonly #unsynced = new Set<string>();
  readonly #repair: ReturnType<typeof setInterval>;

  constructor(settings: AddressLimitSettings, options: RedisAddressLimitsOptions) {
    this.#settings = settings;
    this.#options = options;
    this.#local = new LocalAddressLimits(settings);
    this.#limits = keyLimits(settings);
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

  connect(keys: AddressKeys): ConnectOutcome {
    const local = this.#local.connect(keys);
    if (!local.ok) return local;
    // Counted in Redis (status 0) and not yet given back: the count there must come down when the socket goes,
    // also when it went before Redis answered.
    let counted = false;
    let released = false;
    const connections = keys.map((address) => key.connections(address));
    const disconnect = () =>
      void this.#run(DISCONNECT, connections, [this.#options.node]).then((answer) => {
        // Missed, the address would keep a place it no longer holds, perhaps for good.
        if (answer === null) for (const address of keys) this.#unsynced.add(address);
      });
    const limits = keys.map((_, level) => this.#limits[level]!);
    const confirmation = this.#run(
      CONNECT,
      [key.nodes, ...keys.flatMap((address) => [key.connections(address), key.bucket('conn', address)])],
      [this.#options.node, this.#options.deadAfterMs, ...limits.flatMap((l) => [l.connections, l.connectionsPerMinute, l.connectionsPerMinute / 60_000])],
    ).then((answer): Refusal | null => {
      // Redis away: this process's own count stands alone meanwhile.
      if (answer === null) return null;
      const [status, wait, level] = answer as [number, number, number];
      if (status === 0) {
        counted = true;
        if (released) disconnect();
        return null;
      }
      // Lua counts from 1.
      const refused = limits[level - 1]!;
      return status === 1 ? refuse.tooManyConnections(refused) : refuse.connectionRate(refused, wait);
    });
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

  async join(keys: AddressKeys): Promise<Refusal | null> {
    const local = this.#local.join(keys);
    if (local) return local;
    const perMinute = this.#settings.joinsPerMinute;
    const answer = await this.#run(TAKE_EACH, [key.bucket('join', keys[0])], [perMinute, perMinute / 60_000]);
    if (answer === null || answer === 0) return null;
    return refuse.joinRate(perMinute, (answer as [number, number])[1]);
  }

  async mailbox(keys: AddressKeys, kind: MailboxRequestKind): Promise<Refusal | null> {
    const local = this.#local.mailbox(keys, kind);
    if (local) return local;
    const perMinute = mailboxRate(this.#settings, kind);
    const answer = await this.#run(TAKE_EACH, [key.bucket(`mailbox-${kind}`, keys[0])], [perMinute, perMinute / 60_000]);
    if (answer === null || answer === 0) return null;
    return refuse.mailboxRate(kind, perMinute, (answer as [number, number])[1]);
  }

  async turnCredential(keys: AddressKeys): Promise<KeyLimits | null> {
    const local = this.#local.turnCredential(keys);
    if (local) return local;
    const answer = await this.#run(TAKE_EACH, ...this.#turnBuckets(keys));
    // Lua counts from 1.
    return answer === null || answer === 0 ? null : this.#limits[(answer as [number, number])[0] - 1]!;
  }

  returnTurnCredential(keys: AddressKeys): void {
    this.#local.returnTurnCredential(keys);
    void this.#run(GIVE_BACK, ...this.#turnBuckets(keys));
  }

  /** The keys and arguments of a script over the TURN buckets of a client's keys. */
  #turnBuckets(keys: AddressKeys): [string[], number[]] {
    return [keys.map((address) => key.bucket('turn', address)), keys.flatMap((_, level) => [this.#limits[level]!.turnCredentialsPerHour, this.#limits[level]!.turnCredentialsPerHour / 3_600_000])];
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
