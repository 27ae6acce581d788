/**
 * Limits per client address (an IPv4 address or an IPv6 /64: client-address.ts),
 * so that one machine cannot take the whole service: connections open at once,
 * new connections and joins per minute, TURN credentials per hour. An IPv6
 * client is counted again in the /56 and the /48 holding its /64, each with
 * larger limits of its own (connections, new connections, TURN credentials):
 * whoever has a /48 has 65,536 /64s.
 *
 * The state per address is a few numbers, kept only while it says something:
 * an address with no connection open whose buckets have filled up again is
 * forgotten at the next sweep, and the table never holds more than
 * `maxAddresses` (the addresses unused the longest, with nothing open, go first).
 * A flood of distinct addresses therefore costs a bounded table, not memory
 * without end; what it can win is that its own oldest entries are forgotten.
 */

export interface AddressLimitSettings {
  /** Connections open at once from one address. */
  connectionsPerAddress: number;
  /** New connections a minute from one address (a bucket of as many, refilled over a minute). */
  connectionsPerMinute: number;
  /** Joins a minute from one address. */
  joinsPerMinute: number;
  /** TURN credentials an hour to one address. */
  turnCredentialsPerHour: number;
  /** Deposits into mailboxes a minute from one address. */
  mailboxDepositsPerMinute: number;
  /** Requests with a mailbox's read secret (fetch, delete, writers) a minute from one address. */
  mailboxFetchesPerMinute: number;
  /** Addresses (and IPv6 networks) tracked at most. */
  maxAddresses: number;
  /** The /56 holding an IPv6 client's /64. */
  per56: NetworkLimitSettings;
  /** The /48 holding it. */
  per48: NetworkLimitSettings;
}

/** What a network holding many client addresses may do, all its addresses together. */
export interface NetworkLimitSettings {
  connections: number;
  connectionsPerMinute: number;
  turnCredentialsPerHour: number;
}

/** A client as the limits count it, narrowest first: its address (IPv4, or the IPv6 /64), then for IPv6 the /56 and the /48 holding it. */
export type AddressKeys = readonly [address: string, ...networks: string[]];

/** The limits on one of a client's keys, and what a refusal calls what they count. */
export interface KeyLimits extends NetworkLimitSettings {
  kind: string;
}

/** The limits on each of a client's keys, in the order of its AddressKeys. */
export function keyLimits(settings: AddressLimitSettings): readonly KeyLimits[] {
  return [
    { connections: settings.connectionsPerAddress, connectionsPerMinute: settings.connectionsPerMinute, turnCredentialsPerHour: settings.turnCredentialsPerHour, kind: 'address' },
    { ...settings.per56, kind: 'network (an IPv6 /56)' },
    { ...settings.per48, kind: 'network (an IPv6 /48)' },
  ];
}

export type RefusalCode = 'too-many-connections' | 'rate-limited';

export interface Refusal {
  code: RefusalCode;
  /** For people: what was refused and when to try again. */
  message: string;
  /** When a new attempt can succeed, as far as the limit knows. */
  retryAfterMs: number;
}

/** A counted connection: release it when the socket closes. */
export interface Admission {
  release(): void;
}

/**
 * Admitted or refused at once, from this process's own table. With Redis, an admitted connection also has
 * a `confirmation`: the shared count's verdict, a little later (null: admitted there too, or Redis away).
 */
export type ConnectOutcome = { ok: true; admission: Admission; confirmation?: Promise<Refusal | null> } | { ok: false; refusal: Refusal };

/** An answer now (the local table), or later (asked of Redis). */
export type Answer<T> = T | Promise<T>;

/** Runs `next` with the answer: at once when it is there, so that a process alone stays synchronous. */
export function whenAnswered<T>(answer: Answer<T>, next: (value: T) => void): void {
  if (answer instanceof Promise) void answer.then(next);
  else next(answer);
}

/** What the server asks; the local table, or the same shared through Redis (redis-address-limits.ts). */
export interface AddressLimiter {
  /**
   * Synchronous, so that the socket is upgraded inside uWS's own handler: uWebSockets 20.51's cork() can
   * close a socket upgraded later, from a promise (uNetworking/uWebSockets#1928, fixed by #1929).
   */
  connect(keys: AddressKeys): ConnectOutcome;
  /** Joins are counted per address only. */
  join(keys: AddressKeys): Answer<Refusal | null>;
  /** A mailbox request, counted per address only (like joins). */
  mailbox(keys: AddressKeys, kind: MailboxRequestKind): Answer<Refusal | null>;
  /** Takes a TURN credential: null, or the limits of the address (or network holding it) that has had its credentials for now. */
  turnCredential(keys: AddressKeys): Answer<KeyLimits | null>;
  /** Gives back a credential taken and not handed out after all. */
  returnTurnCredential(keys: AddressKeys): void;
  readonly trackedAddresses: number;
  readonly settings: AddressLimitSettings;
  close(): Promise<void>;
}

/** A bucket as two numbers in an entry: tokens, and when they were counted. */
interface Bucket {
  tokens: number;
  at: number;
}

interface Entry {
  /** Which of a client's keys this is (0: an address; 1, 2: a /56, a /48), and so which limits apply. */
  level: number;
  connections: number;
  newConnections: Bucket;
  /** Full and unused on a network's entry. */
  joins: Bucket;
  /** The mailbox's, made when an address first uses it (most never do: a flood of connections pays nothing for them). */
  deposit?: Bucket;
  fetch?: Bucket;
  turn: Bucket;
}

interface Rate {
  capacity: number;
  perMs: number;
}

/** The limits on one level of keys, as the table applies them. */
interface Level {
  limits: KeyLimits;
  newConnections: Rate;
  turn: Rate;
}

const SWEEP_MS = 15_000;

/** Whole seconds, never below one, for a person reading "try again in". */
function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** The refusals, in the words the app shows (after "the server allows"). */
export const refuse = {
  tooManyConnections: ({ connections, kind }: KeyLimits): Refusal => ({ code: 'too-many-connections', message: `at most ${connections} connections at once from one ${kind}`, retryAfterMs: 30_000 }),
  connectionRate: ({ connectionsPerMinute, kind }: KeyLimits, wait: number): Refusal => ({
    code: 'rate-limited',
    message: `at most ${connectionsPerMinute} new connections a minute from one ${kind}; try again in ${seconds(wait)} s`,
    retryAfterMs: wait,
  }),
  joinRate: (perMinute: number, wait: number): Refusal => ({ code: 'rate-limited', message: `at most ${perMinute} joins a minute from one address; try again in ${seconds(wait)} s`, retryAfterMs: wait }),
  mailboxRate: (kind: MailboxRequestKind, perMinute: number, wait: number): Refusal => ({
    code: 'rate-limited',
    message: `at most ${perMinute} mailbox ${kind === 'deposit' ? 'deposits' : 'requests'} a minute from one address; try again in ${seconds(wait)} s`,
    retryAfterMs: wait,
  }),
};

/** A deposit (with a write capability), or a request of the mailbox's owner (with its read secret). */
export type MailboxRequestKind = 'deposit' | 'fetch';

/** The per-address rate of each kind of mailbox request. */
export function mailboxRate(settings: AddressLimitSettings, kind: MailboxRequestKind): number {
  return kind === 'deposit' ? settings.mailboxDepositsPerMinute : settings.mailboxFetchesPerMinute;
}

/** A place that is given back once, however many times `release` is called. */
export function admission(giveBack: () => void): Admission {
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      giveBack();
    },
  };
}

export class LocalAddressLimits implements AddressLimiter {
  readonly #settings: AddressLimitSettings;
  readonly #now: () => number;
  /** In order of last use: a Map iterates in insertion order, and each use moves the entry to the end. */
  readonly #entries = new Map<string, Entry>();
  readonly #levels: Level[];
  readonly #joins: Rate;
  readonly #mailbox: Record<MailboxRequestKind, Rate>;
  readonly #sweeper: ReturnType<typeof setInterval>;

  constructor(settings: AddressLimitSettings, now: () => number = () => performance.now()) {
    this.#settings = settings;
    this.#now = now;
    this.#levels = keyLimits(settings).map((limits) => ({
      limits,
      newConnections: { capacity: limits.connectionsPerMinute, perMs: limits.connectionsPerMinute / 60_000 },
      turn: { capacity: limits.turnCredentialsPerHour, perMs: limits.turnCredentialsPerHour / 3_600_000 },
    }));
    this.#joins = { capacity: settings.joinsPerMinute, perMs: settings.joinsPerMinute / 60_000 };
    const perMinute = (capacity: number): Rate => ({ capacity, perMs: capacity / 60_000 });
    this.#mailbox = { deposit: perMinute(settings.mailboxDepositsPerMinute), fetch: perMinute(settings.mailboxFetchesPerMinute) };
    this.#sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    this.#sweeper.unref?.();
  }

  get trackedAddresses(): number {
    return this.#entries.size;
  }

  get settings(): AddressLimitSettings {
    return this.#settings;
  }

  connect(keys: AddressKeys): ConnectOutcome {
    const entries = this.#useAll(keys);
    const full = entries.findIndex((entry) => entry.connections >= this.#levels[entry.level]!.limits.connections);
    if (full !== -1) return { ok: false, refusal: refuse.tooManyConnections(this.#levels[full]!.limits) };
    const short = this.#takeEach(entries.map((entry) => [entry.newConnections, this.#levels[entry.level]!.newConnections]));
    if (short) return { ok: false, refusal: refuse.connectionRate(this.#levels[short.index]!.limits, short.wait) };
    for (const entry of entries) entry.connections++;
    return {
      ok: true,
      admission: admission(() => {
        for (const key of keys) {
          // The entry may have been evicted meanwhile (only entries with nothing open are, but a restart of
          // the count is harmless): count down the one that is there now.
          const current = this.#entries.get(key);
          if (current && current.connections > 0) current.connections--;
        }
      }),
    };
  }

  join(keys: AddressKeys): Refusal | null {
    const short = this.#takeEach([[this.#use(keys[0], 0).joins, this.#joins]]);
    return short && refuse.joinRate(this.#settings.joinsPerMinute, short.wait);
  }

  mailbox(keys: AddressKeys, kind: MailboxRequestKind): Refusal | null {
    const entry = this.#use(keys[0], 0);
    const rate = this.#mailbox[kind];
    const short = this.#takeEach([[(entry[kind] ??= { tokens: rate.capacity, at: this.#now() }), rate]]);
    return short && refuse.mailboxRate(kind, mailboxRate(this.#settings, kind), short.wait);
  }

  turnCredential(keys: AddressKeys): KeyLimits | null {
    const short = this.#takeEach(this.#useAll(keys).map((entry) => [entry.turn, this.#levels[entry.level]!.turn]));
    return short && this.#levels[short.index]!.limits;
  }

  returnTurnCredential(keys: AddressKeys): void {
    const now = this.#now();
    for (const key of keys) {
      const entry = this.#entries.get(key);
      if (!entry) continue;
      const rate = this.#levels[entry.level]!.turn;
      this.#refill(entry.turn, rate, now);
      entry.turn.tokens = Math.min(rate.capacity, entry.turn.tokens + 1);
    }
  }

  /** Connections this process has open from the address (or network). */
  openConnections(key: string): number {
    return this.#entries.get(key)?.connections ?? 0;
  }

  /** Forgets every key that has nothing open and whose buckets are full again: it is as if it was never seen. */
  sweep(): void {
    const now = this.#now();
    for (const [key, entry] of this.#entries) {
      const level = this.#levels[entry.level]!;
      if (entry.connections === 0 && this.#full(entry.newConnections, level.newConnections, now) && this.#full(entry.joins, this.#joins, now) && this.#full(entry.turn, level.turn, now) &&
        (!entry.deposit || this.#full(entry.deposit, this.#mailbox.deposit, now)) && (!entry.fetch || this.#full(entry.fetch, this.#mailbox.fetch, now))) {
        this.#entries.delete(key);
      }
    }
  }

  close(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#entries.clear();
    return Promise.resolve();
  }

  #useAll(keys: AddressKeys): Entry[] {
    return keys.map((key, level) => this.#use(key, level));
  }

  #use(key: string, level: number): Entry {
    let entry = this.#entries.get(key);
    if (entry) {
      this.#entries.delete(key);
    } else {
      if (this.#entries.size >= this.#settings.maxAddresses) this.#evict();
      const now = this.#now();
      const { newConnections, turn } = this.#levels[level]!;
      entry = {
        level,
        connections: 0,
        newConnections: { tokens: newConnections.capacity, at: now },
        joins: { tokens: this.#joins.capacity, at: now },
        turn: { tokens: turn.capacity, at: now },
      };
    }
    this.#entries.set(key, entry);
    return entry;
  }

  /** Makes room for one: the least recently used key with nothing open. */
  #evict(): void {
    for (const [key, entry] of this.#entries) {
      if (entry.connections === 0) {
        this.#entries.delete(key);
        return;
      }
    }
    // Every tracked key has a connection open: the table is at least MAX_CONNECTIONS (config.ts), so the
    // server refuses new sockets before this, unless IPv6 clients' networks fill it; drop the oldest anyway
    // rather than grow (its count starts again from nothing).
    const oldest = this.#entries.keys().next();
    if (!oldest.done) this.#entries.delete(oldest.value);
  }

  /**
   * Takes a token from each bucket if every one has one, so that a refusal by one of a client's keys costs its
   * others nothing: null, or the first that has none and how long until it has.
   */
  #takeEach(buckets: Array<[Bucket, Rate]>): { index: number; wait: number } | null {
    const now = this.#now();
    for (const [bucket, rate] of buckets) this.#refill(bucket, rate, now);
    const index = buckets.findIndex(([bucket]) => bucket.tokens < 1);
    if (index !== -1) {
      const [bucket, rate] = buckets[index]!;
      return { index, wait: Math.ceil((1 - bucket.tokens) / rate.perMs) };
    }
    for (const [bucket] of buckets) bucket.tokens -= 1;
    return null;
  }

  #refill(bucket: Bucket, rate: Rate, now: number): void {
    bucket.tokens = Math.min(rate.capacity, bucket.tokens + (now - bucket.at) * rate.perMs);
    bucket.at = now;
  }

  #full(bucket: Bucket, rate: Rate, now: number): boolean {
    return bucket.tokens + (now - bucket.at) * rate.perMs >= rate.capacity;
  }
}
