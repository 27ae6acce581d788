/**
 * Mailboxes on this machine's disk, in LevelDB (classic-level) under DATA_DIR: what a signal process that
 * runs alone keeps, so that a restart or an upgrade loses no entry. One process opens the directory;
 * LevelDB's lock refuses a second, and several processes share their mailboxes through Redis instead.
 * The keys and their values are in level-mailbox-format.ts.
 *
 * LevelDB writes a batch atomically but has no transactions: each mailbox's read-check-write runs alone in
 * this process (a queue per mailbox), and each change is one batch. The server-wide counts are kept in
 * memory, summed from the mailboxes' counters at open; what a change adds is counted before its batch is
 * written and what it frees only after, so two requests at once never pass MAILBOX_MAX_BYTES together.
 *
 * Point reads (a mailbox's record and counters, an entry's place) use getSync: small and read by almost
 * every request, they are nearly always in LevelDB's memory, where a synchronous read blocks the event loop
 * for microseconds and costs a fifth of the CPU of a read handed to libuv's threads and back.
 */
import { ClassicLevel } from 'classic-level';
import { StartupError } from '../config.js';
import {
  countersKey,
  decodeCounters,
  decodeEntry,
  decodeEntryPlace,
  decodeRecord,
  dueKey,
  encodeCounters,
  encodeEntry,
  encodeEntryPlace,
  encodeRecord,
  END,
  entriesEnd,
  entriesFrom,
  entryDataLength,
  entryIdKey,
  entryKey,
  entryPlace,
  idleKey,
  legacyCounters,
  mailboxKey,
  NO_COUNTERS,
  NOTHING,
  stamp,
  type Counters,
  type MailboxRecord,
} from './level-mailbox-format.js';
import {
  mailboxRecordBytes,
  newEntryId,
  sameHash,
  writerSelector,
  type DepositOutcome,
  type MailboxQuotas,
  type MailboxStore,
  type MailboxTotals,
  type OwnerOutcome,
  type PutOutcome,
  type SecretHash,
  type StoredEntry,
  type WriterCheck,
} from './mailbox-store.js';

/** Due entries and idle mailboxes read from an index at once; the sweep goes on while there are more. */
const SWEEP_BATCH = 500;
/** Mailboxes of a store written before issue 30 whose counters open() moves in one go. */
const MIGRATION_BATCH = 500;

type Operation = { type: 'put'; key: string; value: Uint8Array } | { type: 'del'; key: string };

interface Change {
  mailboxes: number;
  entries: number;
  bytes: number;
}

export interface LevelMailboxStoreOptions {
  /** A directory of its own (the server uses <DATA_DIR>/mailbox); made if missing. */
  dir: string;
  quotas: MailboxQuotas;
  now?: () => number;
}

export class LevelMailboxStore implements MailboxStore {
  readonly #db: ClassicLevel<string, Uint8Array>;
  readonly #quotas: MailboxQuotas;
  readonly #now: () => number;
  /** The last operation queued on each mailbox. */
  readonly #queues = new Map<string, Promise<unknown>>();
  /** Every operation under way: close() waits for them. */
  readonly #pending = new Set<Promise<unknown>>();
  #mailboxes = 0;
  #entries = 0;
  #bytes = 0;

  private constructor(db: ClassicLevel<string, Uint8Array>, quotas: MailboxQuotas, now: () => number) {
    this.#db = db;
    this.#quotas = quotas;
    this.#now = now;
  }

  /** Opens (or makes) the store; a StartupError that says why not, such as another process holding it. */
  static async open({ dir, quotas, now = Date.now }: LevelMailboxStoreOptions): Promise<LevelMailboxStore> {
    const db = new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
    try {
      // No Snappy: the entries, nearly all of what is stored, are ciphertext, which does not compress, and
      // every table LevelDB writes and compacts would be tried in vain (tables written before still read).
      await db.open({ compression: false });
    } catch (error) {
      const cause = (error as Error & { cause?: Error & { code?: string } }).cause;
      if (cause?.code === 'LEVEL_LOCKED') {
        throw new StartupError(`the mailbox store ${dir} is in use by another process: one signal process per DATA_DIR (processes that share their mailboxes use REDIS_URL)`);
      }
      throw new StartupError(`cannot open the mailbox store ${dir} (${cause?.message ?? (error as Error).message}): make DATA_DIR writable`);
    }
    const store = new LevelMailboxStore(db, quotas, now);
    try {
      await store.#countAll();
    } catch (error) {
      await db.close();
      throw error;
    }
    return store;
  }

  put(id: string, read: SecretHash, writers: readonly SecretHash[]): Promise<PutOutcome> {
    return this.#alone(id, async () => {
      const record = this.#record(id);
      if (record && !sameHash(record.read, read)) return 'forbidden';
      const map = new Map(writers.map((hash) => [writerSelector(hash), hash]));
      const before = record ? mailboxRecordBytes(record.writers.size) : 0;
      const after = mailboxRecordBytes(map.size);
      if (after > before && this.#bytes + after - before > this.#quotas.maxBytes) return 'server-full';
      const next: MailboxRecord = { read: record?.read ?? read, writers: map, idleAt: this.#now() + this.#quotas.idleMs };
      const ops: Operation[] = [];
      if (record) ops.push({ type: 'del', key: idleKey(id, record.idleAt) });
      else ops.push({ type: 'put', key: countersKey(id), value: encodeCounters(NO_COUNTERS) });
      ops.push({ type: 'put', key: idleKey(id, next.idleAt), value: NOTHING }, { type: 'put', key: mailboxKey(id), value: encodeRecord(next) });
      await this.#commit(ops, { mailboxes: record ? 0 : 1, entries: 0, bytes: after - before });
      return record ? 'updated' : 'created';
    });
  }

  deposit(id: string, writer: SecretHash, data: Uint8Array): Promise<DepositOutcome> {
    return this.#alone(id, async (): Promise<DepositOutcome> => {
      const record = this.#record(id);
      if (!record) return { ok: false, reason: 'unknown-mailbox' };
      if (!sameHash(record.writers.get(writerSelector(writer)), writer)) return { ok: false, reason: 'forbidden' };
      const now = this.#now();
      const { counters } = await this.#expire(id, this.#counters(id), now);
      if (counters.entries >= this.#quotas.entriesPerMailbox || counters.bytes + data.length > this.#quotas.bytesPerMailbox) return { ok: false, reason: 'mailbox-full' };
      if (this.#bytes + data.length > this.#quotas.maxBytes) return { ok: false, reason: 'server-full' };
      const entry = newEntryId();
      const expires = now + this.#quotas.ttlMs;
      const seq = counters.seq + 1;
      const next: Counters = { seq, entries: counters.entries + 1, bytes: counters.bytes + data.length, soonest: counters.entries === 0 ? expires : Math.min(counters.soonest, expires) };
      // The entry, its indexes and the counters: the mailbox's record, with its writers, is left as it is.
      await this.#commit(
        [
          { type: 'put', key: entryKey(id, expires, seq), value: encodeEntry(now, entry, data) },
          { type: 'put', key: entryIdKey(id, entry), value: encodeEntryPlace(expires, seq, data.length) },
          { type: 'put', key: dueKey(id, expires, seq), value: NOTHING },
          { type: 'put', key: countersKey(id), value: encodeCounters(next) },
        ],
        { mailboxes: 0, entries: 1, bytes: data.length },
      );
      return { ok: true, entry, at: now, expires };
    });
  }

  isWriter(id: string, writer: SecretHash): Promise<WriterCheck> {
    // In the mailbox's queue: a PUT that revoked the writer before this request came is seen.
    return this.#alone(id, async (): Promise<WriterCheck> => {
      const record = this.#record(id);
      if (!record) return 'unknown-mailbox';
      return sameHash(record.writers.get(writerSelector(writer)), writer) ? 'ok' : 'forbidden';
    });
  }

  entries(id: string, read: SecretHash): Promise<OwnerOutcome<StoredEntry[]>> {
    return this.#asOwner(id, read, async () => {
      // As the other stores do, the owner's fetch removes what has expired; what is left expires after now.
      // One read of the whole mailbox: the expired entries come first (the keys go by expiry).
      const now = this.#now();
      const stored = await this.#db.iterator({ gte: entriesFrom(id), lt: entriesEnd(id) }).all();
      const live = stored.findIndex(([key]) => entryPlace(key).expires > now);
      const first = live === -1 ? stored.length : live;
      await this.#settle(id, this.#counters(id), stored.slice(0, first), stored[first]?.[0]);
      return stored
        .slice(first)
        .map(([key, value]) => ({ seq: entryPlace(key).seq, entry: decodeEntry(key, value) }))
        .sort((a, b) => a.seq - b.seq)
        .map(({ entry }) => entry);
    });
  }

  deleteEntry(id: string, read: SecretHash, entry: string): Promise<OwnerOutcome<void>> {
    return this.#asOwner(id, read, async () => {
      const where = this.#db.getSync(entryIdKey(id, entry));
      if (where === undefined) return;
      const { expires, seq, bytes } = decodeEntryPlace(where);
      const ops: Operation[] = [
        { type: 'del', key: entryIdKey(id, entry) },
        { type: 'del', key: entryKey(id, expires, seq) },
        { type: 'del', key: dueKey(id, expires, seq) },
      ];
      // An n! written before issue 30 has no size: the entry has it.
      const value = bytes === undefined ? await this.#db.get(entryKey(id, expires, seq)) : undefined;
      const size = bytes ?? (value === undefined ? undefined : entryDataLength(value));
      if (size === undefined) return this.#commit(ops, { mailboxes: 0, entries: 0, bytes: 0 });
      const counters = this.#counters(id);
      ops.push({ type: 'put', key: countersKey(id), value: encodeCounters({ ...counters, entries: counters.entries - 1, bytes: counters.bytes - size }) });
      return this.#commit(ops, { mailboxes: 0, entries: -1, bytes: -size });
    });
  }

  deleteMailbox(id: string, read: SecretHash): Promise<OwnerOutcome<void>> {
    return this.#asOwner(id, read, async (record) => this.#drop(id, record));
  }

  sweep(): Promise<{ entries: number; mailboxes: number }> {
    return this.#track(async () => {
      const now = this.#now();
      const removed = { entries: 0, mailboxes: 0 };
      for (;;) {
        const due = await this.#db.keys({ gte: 'x!', lt: `x!${stamp(now + 1)}`, limit: SWEEP_BATCH }).all();
        const byMailbox = new Map<string, string[]>();
        for (const key of due) {
          const id = key.split('!')[2]!;
          byMailbox.set(id, [...(byMailbox.get(id) ?? []), key]);
        }
        for (const [id, keys] of byMailbox) {
          removed.entries += await this.#alone(id, async () => {
            // The index keys seen go too, even one whose entry went another way: the sweep always gets further.
            const stale: Operation[] = keys.map((key) => ({ type: 'del', key }));
            if (!this.#record(id)) return this.#commit(stale, { mailboxes: 0, entries: 0, bytes: 0 }).then(() => 0);
            return (await this.#expire(id, this.#counters(id), now, stale)).removed;
          });
        }
        if (due.length < SWEEP_BATCH) break;
      }
      for (;;) {
        const idle = await this.#db.keys({ gte: 'i!', lt: `i!${stamp(now + 1)}`, limit: SWEEP_BATCH }).all();
        for (const key of idle) removed.mailboxes += await this.#alone(key.split('!')[2]!, () => this.#retire(key, now));
        if (idle.length < SWEEP_BATCH) break;
      }
      return removed;
    });
  }

  totals(): Promise<MailboxTotals> {
    return Promise.resolve({ mailboxes: this.#mailboxes, entries: this.#entries, bytes: this.#bytes });
  }

  /** Lets the operations under way finish, then closes the database (and frees its lock for the next process). */
  async close(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
    await this.#db.close();
  }

  /**
   * The server-wide counts, from every mailbox's record and counters: right after any restart, whatever
   * happened before it. The counters of a record written before issue 30 move to c! on the way, each
   * mailbox's in one batch (a crash halfway leaves each mailbox either way, and the next open goes on).
   */
  async #countAll(): Promise<void> {
    for await (const value of this.#db.values({ gte: 'c!', lt: `c!${END}` })) {
      const counters = decodeCounters(value);
      this.#entries += counters.entries;
      this.#bytes += counters.bytes;
    }
    let migration: Operation[] = [];
    for await (const [key, value] of this.#db.iterator({ gte: 'm!', lt: `m!${END}` })) {
      const record = decodeRecord(value);
      this.#mailboxes++;
      this.#bytes += mailboxRecordBytes(record.writers.size);
      const legacy = legacyCounters(value);
      if (legacy === null) continue;
      this.#entries += legacy.entries;
      this.#bytes += legacy.bytes;
      migration.push({ type: 'put', key: countersKey(key.slice(2)), value: encodeCounters(legacy) }, { type: 'put', key, value: encodeRecord(record) });
      if (migration.length >= 2 * MIGRATION_BATCH) {
        await this.#db.batch(migration);
        migration = [];
      }
    }
    if (migration.length > 0) await this.#db.batch(migration);
  }

  /** Runs `act` once every earlier operation on this mailbox has finished. */
  #alone<T>(id: string, act: () => Promise<T>): Promise<T> {
    const run = (this.#queues.get(id) ?? Promise.resolve()).then(act);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.#queues.set(id, tail);
    void tail.then(() => {
      if (this.#queues.get(id) === tail) this.#queues.delete(id);
    });
    return this.#track(() => run);
  }

  #track<T>(act: () => Promise<T>): Promise<T> {
    const running = act();
    this.#pending.add(running);
    const done = () => this.#pending.delete(running);
    running.then(done, done);
    return running;
  }

  #asOwner<T>(id: string, read: SecretHash, act: (record: MailboxRecord) => Promise<T>): Promise<OwnerOutcome<T>> {
    return this.#alone(id, async (): Promise<OwnerOutcome<T>> => {
      const record = this.#record(id);
      if (!record) return { ok: false, reason: 'unknown-mailbox' };
      if (!sameHash(record.read, read)) return { ok: false, reason: 'forbidden' };
      return { ok: true, value: await act(record) };
    });
  }

  #record(id: string): MailboxRecord | undefined {
    const value = this.#db.getSync(mailboxKey(id));
    return value === undefined ? undefined : decodeRecord(value);
  }

  #counters(id: string): Counters {
    return decodeCounters(this.#db.getSync(countersKey(id)));
  }

  /**
   * Writes one batch and counts it. Call it in the same tick as the check of the server-wide cap: what the
   * change adds is counted at once, what it frees once it is written.
   */
  async #commit(ops: Operation[], change: Change): Promise<void> {
    const grows = Math.max(0, change.bytes);
    this.#bytes += grows;
    try {
      await this.#db.batch(ops);
    } catch (error) {
      this.#bytes -= grows;
      throw error;
    }
    this.#bytes += change.bytes - grows;
    this.#entries += change.entries;
    this.#mailboxes += change.mailboxes;
  }

  /**
   * Removes the mailbox's entries expired at `now` (with `also`, in the same batch); its counters then. Looks
   * only once one can have expired (Counters.soonest), or when the sweep has index keys to remove.
   */
  async #expire(id: string, counters: Counters, now: number, also: Operation[] = []): Promise<{ counters: Counters; removed: number }> {
    if (also.length === 0 && (counters.entries === 0 || counters.soonest > now)) return { counters, removed: 0 };
    const expired = await this.#db.iterator({ gte: entriesFrom(id), lt: entriesFrom(id, now + 1) }).all();
    const [next] = await this.#db.keys({ gte: entriesFrom(id, now + 1), lt: entriesEnd(id), limit: 1 }).all();
    return this.#settle(id, counters, expired, next, also);
  }

  /** Removes `expired` (with `also`) and writes the counters, `next` the first entry key left; the counters then. */
  async #settle(id: string, counters: Counters, expired: Array<[string, Uint8Array]>, next: string | undefined, also: Operation[] = []): Promise<{ counters: Counters; removed: number }> {
    const ops = [...also];
    let bytes = 0;
    for (const [key, value] of expired) {
      const { expires, seq } = entryPlace(key);
      bytes += entryDataLength(value);
      ops.push({ type: 'del', key }, { type: 'del', key: dueKey(id, expires, seq) }, { type: 'del', key: entryIdKey(id, decodeEntry(key, value).entry) });
    }
    const after: Counters = { ...counters, entries: counters.entries - expired.length, bytes: counters.bytes - bytes, soonest: next === undefined ? 0 : entryPlace(next).expires };
    if (expired.length > 0 || after.soonest !== counters.soonest) ops.push({ type: 'put', key: countersKey(id), value: encodeCounters(after) });
    if (ops.length > 0) await this.#commit(ops, { mailboxes: 0, entries: -expired.length, bytes: -bytes });
    return { counters: after, removed: expired.length };
  }

  /** Removes an idle mailbox if it holds no entry (1), or looks at it again once its entries can have expired (0). */
  async #retire(key: string, now: number): Promise<number> {
    const id = key.split('!')[2]!;
    const record = this.#record(id);
    if (!record || idleKey(id, record.idleAt) !== key) {
      await this.#commit([{ type: 'del', key }], { mailboxes: 0, entries: 0, bytes: 0 });
      return 0;
    }
    if (this.#counters(id).entries === 0) {
      await this.#drop(id, record);
      return 1;
    }
    const next = { ...record, idleAt: now + this.#quotas.ttlMs };
    await this.#commit(
      [
        { type: 'del', key },
        { type: 'put', key: idleKey(id, next.idleAt), value: NOTHING },
        { type: 'put', key: mailboxKey(id), value: encodeRecord(next) },
      ],
      { mailboxes: 0, entries: 0, bytes: 0 },
    );
    return 0;
  }

  /** Removes the mailbox and everything it holds, in one batch. */
  async #drop(id: string, record: MailboxRecord): Promise<void> {
    const counters = this.#counters(id);
    const ops: Operation[] = [
      { type: 'del', key: mailboxKey(id) },
      { type: 'del', key: countersKey(id) },
      { type: 'del', key: idleKey(id, record.idleAt) },
    ];
    for await (const key of this.#db.keys({ gte: entriesFrom(id), lt: entriesEnd(id) })) {
      const { expires, seq } = entryPlace(key);
      ops.push({ type: 'del', key }, { type: 'del', key: dueKey(id, expires, seq) });
    }
    for await (const key of this.#db.keys({ gte: `n!${id}!`, lt: `n!${id}!${END}` })) ops.push({ type: 'del', key });
    await this.#commit(ops, { mailboxes: -1, entries: -counters.entries, bytes: -(counters.bytes + mailboxRecordBytes(record.writers.size)) });
  }
}
