/**
 * Limits per client address (an IPv4 address or an IPv6 /64: client-address.ts),
 * so that one machine cannot take the whole service: connections open at once,
 * new connections and joins per minute, TURN credentials per hour.
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
  /** Addresses tracked at most. */
  maxAddresses: number;
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
  connect(key: string): ConnectOutcome;
  join(key: string): Answer<Refusal | null>;
  /** False when the address has had its TURN credentials for now. */
  turnCredential(key: string): Answer<boolean>;
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
  connections: number;
  newConnections: Bucket;
  joins: Bucket;
  turn: Bucket;
}

interface Rate {
  capacity: number;
  perMs: number;
}

const SWEEP_MS = 15_000;

/** Whole seconds, never below one, for a person reading "try again in". */
function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** The refusals, in the words the app shows (after "the server allows"). */
export const refuse = {
  tooManyConnections: (limit: number): Refusal => ({ code: 'too-many-connections', message: `at most ${limit} connections at once from one address`, retryAfterMs: 30_000 }),
  connectionRate: (perMinute: number, wait: number): Refusal => ({ code: 'rate-limited', message: `at most ${perMinute} new connections a minute from one address; try again in ${seconds(wait)} s`, retryAfterMs: wait }),
  joinRate: (perMinute: number, wait: number): Refusal => ({ code: 'rate-limited', message: `at most ${perMinute} joins a minute from one address; try again in ${seconds(wait)} s`, retryAfterMs: wait }),
};

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
  readonly #rates: { newConnections: Rate; joins: Rate; turn: Rate };
  readonly #sweeper: ReturnType<typeof setInterval>;

  constructor(settings: AddressLimitSettings, now: () => number = () => performance.now()) {
    this.#settings = settings;
    this.#now = now;
    this.#rates = {
      newConnections: { capacity: settings.connectionsPerMinute, perMs: settings.connectionsPerMinute / 60_000 },
      joins: { capacity: settings.joinsPerMinute, perMs: settings.joinsPerMinute / 60_000 },
      turn: { capacity: settings.turnCredentialsPerHour, perMs: settings.turnCredentialsPerHour / 3_600_000 },
    };
    this.#sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    this.#sweeper.unref?.();
  }

  get trackedAddresses(): number {
    return this.#entries.size;
  }

  get settings(): AddressLimitSettings {
    return this.#settings;
  }

  connect(key: string): ConnectOutcome {
    const entry = this.#use(key);
    const limit = this.#settings.connectionsPerAddress;
    if (entry.connections >= limit) {
      return { ok: false, refusal: refuse.tooManyConnections(limit) };
    }
    const wait = this.#take(entry.newConnections, this.#rates.newConnections);
    if (wait > 0) {
      return { ok: false, refusal: refuse.connectionRate(this.#settings.connectionsPerMinute, wait) };
    }
    entry.connections++;
    return {
      ok: true,
      admission: admission(() => {
        // The entry may have been evicted meanwhile (only entries with nothing open are, but a restart of
        // the count is harmless): count down the one that is there now.
        const current = this.#entries.get(key);
        if (current && current.connections > 0) current.connections--;
      }),
    };
  }

  join(key: string): Refusal | null {
    const wait = this.#take(this.#use(key).joins, this.#rates.joins);
    if (wait === 0) return null;
    return refuse.joinRate(this.#settings.joinsPerMinute, wait);
  }

  turnCredential(key: string): boolean {
    return this.#take(this.#use(key).turn, this.#rates.turn) === 0;
  }

  /** Connections this process has open from the address. */
  openConnections(key: string): number {
    return this.#entries.get(key)?.connections ?? 0;
  }

  /** Forgets every address that has nothing open and whose buckets are full again: it is as if it was never seen. */
  sweep(): void {
    const now = this.#now();
    for (const [key, entry] of this.#entries) {
      if (entry.connections === 0 && this.#full(entry.newConnections, this.#rates.newConnections, now) && this.#full(entry.joins, this.#rates.joins, now) && this.#full(entry.turn, this.#rates.turn, now)) {
        this.#entries.delete(key);
      }
    }
  }

  close(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#entries.clear();
    return Promise.resolve();
  }

  #use(key: string): Entry {
    let entry = this.#entries.get(key);
    if (entry) {
      this.#entries.delete(key);
    } else {
      if (this.#entries.size >= this.#settings.maxAddresses) this.#evict();
      const now = this.#now();
      const { newConnections, joins, turn } = this.#rates;
      entry = {
        connections: 0,
        newConnections: { tokens: newConnections.capacity, at: now },
        joins: { tokens: joins.capacity, at: now },
        turn: { tokens: turn.capacity, at: now },
      };
    }
    this.#entries.set(key, entry);
    return entry;
  }

  /** Makes room for one: the least recently used addresses with nothing open. */
  #evict(): void {
    for (const [key, entry] of this.#entries) {
      if (entry.connections === 0) {
        this.#entries.delete(key);
        return;
      }
    }
    // Every tracked address has a connection open: the table is at least MAX_CONNECTIONS (config.ts), so
    // the server refuses new sockets before this; drop the oldest anyway rather than grow.
    const oldest = this.#entries.keys().next();
    if (!oldest.done) this.#entries.delete(oldest.value);
  }

  /** Takes a token: 0, or how long until one is there. */
  #take(bucket: Bucket, rate: Rate): number {
    const now = this.#now();
    bucket.tokens = Math.min(rate.capacity, bucket.tokens + (now - bucket.at) * rate.perMs);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - bucket.tokens) / rate.perMs);
  }

  #full(bucket: Bucket, rate: Rate, now: number): boolean {
    return bucket.tokens + (now - bucket.at) * rate.perMs >= rate.capacity;
  }
}
