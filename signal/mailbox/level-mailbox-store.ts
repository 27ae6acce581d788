/**
 * Mailboxes on this machine's disk, in LevelDB (classic-level) under DATA_DIR: what a signal process that
 * runs alone keeps, so that a restart or an upgrade loses no entry. One process opens the directory;
 * LevelDB's lock refuses a second, and several processes share their mailboxes through Redis instead.
 *
 * Keys (UTF-8; ids and entry ids are base64url, so `!` only ever separates; times and sequence numbers are
 * zero-padded to 16 digits, so that they sort as numbers):
 *   m!<id>                        the mailbox: read hash, writers' hashes, when it may go if empty (idleAt),
 *                                 its last sequence number, and the count and bytes of its entries (JSON)
 *   e!<id>!<expires>!<seq>        an entry: when it came (float64), its entry id, then the ciphertext as sent;
 *                                 by expiry within the mailbox, so the live ones are one range from now on
 *   n!<id>!<entry>                "<expires>!<seq>": where an entry id's entry is, for a delete
 *   x!<expires>!<id>!<seq>        empty: every entry by expiry, for the sweep
 *   i!<idleAt>!<id>               empty: every mailbox by when it may go if empty, for the sweep
 *
 * LevelDB writes a batch atomically but has no transactions: each mailbox's read-check-write runs alone in
 * this process (a queue per mailbox), and each change is one batch. The server-wide counts are kept in
 * memory, summed from the mailbox records at open; what a change adds is counted before its batch is
 * written and what it frees only after, so two requests at once never pass MAILBOX_MAX_BYTES together.
 */
import { ClassicLevel } from 'classic-level';
import { StartupError } from '../config.js';
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
const NOTHING = new Uint8Array(0);
/** Sorts after every character of a base64url id and of a padded number. */
const END = '~';

interface MailboxRecord {
  read: SecretHash;
  /** Selector -> the writer's whole hash. */
  writers: Map<string, SecretHash>;
  idleAt: number;
  /** Entries deposited so far: orders them. */
  seq: number;
  entries: number;
  /** Bytes of its entries. */
  bytes: number;
}

type Operation = { type: 'put'; key: string; value: Uint8Array } | { type: 'del'; key: string };

interface Change {
  mailboxes: number;
  entries: number;
  bytes: number;
}

const stamp = (n: number) => String(n).padStart(16, '0');
const mailboxKey = (id: string) => `m!${id}`;
const entryKey = (id: string, expires: number, seq: number) => `e!${id}!${stamp(expires)}!${stamp(seq)}`;
const entryIdKey = (id: string, entry: string) => `n!${id}!${entry}`;
const dueKey = (id: string, expires: number, seq: number) => `x!${stamp(expires)}!${id}!${stamp(seq)}`;
const idleKey = (id: string, idleAt: number) => `i!${stamp(idleAt)}!${id}`;

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
      await db.open();
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
      const record = await this.#record(id);
      if (record && !sameHash(record.read, read)) return 'forbidden';
      const map = new Map(writers.map((hash) => [writerSelector(hash), hash]));
      const before = record ? mailboxRecordBytes(record.writers.size) : 0;
      const after = mailboxRecordBytes(map.size);
      if (after > before && this.#bytes + after - before > this.#quotas.maxBytes) return 'server-full';
      const next: MailboxRecord = record
        ? { ...record, writers: map, idleAt: this.#now() + this.#quotas.idleMs }
        : { read, writers: map, idleAt: this.#now() + this.#quotas.idleMs, seq: 0, entries: 0, bytes: 0 };
      const ops: Operation[] = [];
      if (record) ops.push({ type: 'del', key: idleKey(id, record.idleAt) });
      ops.push({ type: 'put', key: idleKey(id, next.idleAt), value: NOTHING }, { type: 'put', key: mailboxKey(id), value: encodeRecord(next) });
      await this.#commit(ops, { mailboxes: record ? 0 : 1, entries: 0, bytes: after - before });
      return record ? 'updated' : 'created';
    });
  }

  deposit(id: string, writer: SecretHash, data: Uint8Array): Promise<DepositOutcome> {
    return this.#alone(id, async (): Promise<DepositOutcome> => {
      const found = await this.#record(id);
      if (!found) return { ok: false, reason: 'unknown-mailbox' };
      if (!sameHash(found.writers.get(writerSelector(writer)), writer)) return { ok: false, reason: 'forbidden' };
      const now = this.#now();
      const { record } = await this.#expire(id, found, now);
      if (record.entries >= this.#quotas.entriesPerMailbox || record.bytes + data.length > this.#quotas.bytesPerMailbox) return { ok: false, reason: 'mailbox-full' };
      if (this.#bytes + data.length > this.#quotas.maxBytes) return { ok: false, reason: 'server-full' };
      const entry = newEntryId();
      const expires = now + this.#quotas.ttlMs;
      const seq = record.seq + 1;
      await this.#commit(
        [
          { type: 'put', key: entryKey(id, expires, seq), value: encodeEntry(now, entry, data) },
          { type: 'put', key: entryIdKey(id, entry), value: Buffer.from(`${stamp(expires)}!${stamp(seq)}`) },
          { type: 'put', key: dueKey(id, expires, seq), value: NOTHING },
          { type: 'put', key: mailboxKey(id), value: encodeRecord({ ...record, seq, entries: record.entries + 1, bytes: record.bytes + data.length }) },
        ],
        { mailboxes: 0, entries: 1, bytes: data.length },
      );
      return { ok: true, entry, at: now, expires };
    });
  }

  isWriter(id: string, writer: SecretHash): Promise<WriterCheck> {
    // In the mailbox's queue: a PUT that revoked the writer before this request came is seen.
    return this.#alone(id, async (): Promise<WriterCheck> => {
      const record = await this.#record(id);
      if (!record) return 'unknown-mailbox';
      return sameHash(record.writers.get(writerSelector(writer)), writer) ? 'ok' : 'forbidden';
    });
  }

  entries(id: string, read: SecretHash): Promise<OwnerOutcome<StoredEntry[]>> {
    return this.#asOwner(id, read, async (record) => {
      // As the other stores do, the owner's fetch removes what has expired; what is left expires after now.
      const now = this.#now();
      await this.#expire(id, record, now);
      const stored = await this.#db.iterator({ gte: `e!${id}!${stamp(now + 1)}`, lt: `e!${id}!${END}` }).all();
      return stored
        .map(([key, value]) => ({ seq: Number(key.slice(key.lastIndexOf('!') + 1)), entry: decodeEntry(key, value) }))
        .sort((a, b) => a.seq - b.seq)
        .map(({ entry }) => entry);
    });
  }

  deleteEntry(id: string, read: SecretHash, entry: string): Promise<OwnerOutcome<void>> {
    return this.#asOwner(id, read, async (record) => {
      const where = await this.#db.get(entryIdKey(id, entry));
      if (where === undefined) return;
      const [expires, seq] = Buffer.from(where).toString().split('!').map(Number) as [number, number];
      const value = await this.#db.get(entryKey(id, expires, seq));
      const size = value === undefined ? 0 : entryDataLength(value);
      const ops: Operation[] = [
        { type: 'del', key: entryIdKey(id, entry) },
        { type: 'del', key: entryKey(id, expires, seq) },
        { type: 'del', key: dueKey(id, expires, seq) },
      ];
      if (value === undefined) return this.#commit(ops, { mailboxes: 0, entries: 0, bytes: 0 });
      ops.push({ type: 'put', key: mailboxKey(id), value: encodeRecord({ ...record, entries: record.entries - 1, bytes: record.bytes - size }) });
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
            const record = await this.#record(id);
            // The index keys seen go too, even one whose entry went another way: the sweep always gets further.
            const stale: Operation[] = keys.map((key) => ({ type: 'del', key }));
            if (!record) return this.#commit(stale, { mailboxes: 0, entries: 0, bytes: 0 }).then(() => 0);
            return (await this.#expire(id, record, now, stale)).removed;
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

  /** The server-wide counts, from every mailbox's record: right after any restart, whatever happened before it. */
  async #countAll(): Promise<void> {
    for await (const value of this.#db.values({ gte: 'm!', lt: `m!${END}` })) {
      const record = decodeRecord(value);
      this.#mailboxes++;
      this.#entries += record.entries;
      this.#bytes += record.bytes + mailboxRecordBytes(record.writers.size);
    }
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
      const record = await this.#record(id);
      if (!record) return { ok: false, reason: 'unknown-mailbox' };
      if (!sameHash(record.read, read)) return { ok: false, reason: 'forbidden' };
      return { ok: true, value: await act(record) };
    });
  }

  async #record(id: string): Promise<MailboxRecord | undefined> {
    const value = await this.#db.get(mailboxKey(id));
    return value === undefined ? undefined : decodeRecord(value);
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

  /** Removes the mailbox's entries expired at `now` (with `also`, in the same batch); its record as it is then. */
  async #expire(id: string, record: MailboxRecord, now: number, also: Operation[] = []): Promise<{ record: MailboxRecord; removed: number }> {
    const expired = await this.#db.iterator({ gte: `e!${id}!`, lt: `e!${id}!${stamp(now + 1)}` }).all();
    if (expired.length === 0 && also.length === 0) return { record, removed: 0 };
    const ops = [...also];
    let bytes = 0;
    for (const [key, value] of expired) {
      const [expires, seq] = key.split('!').slice(2).map(Number) as [number, number];
      bytes += entryDataLength(value);
      ops.push({ type: 'del', key }, { type: 'del', key: dueKey(id, expires, seq) }, { type: 'del', key: entryIdKey(id, decodeEntry(key, value).entry) });
    }
    const next = { ...record, entries: record.entries - expired.length, bytes: record.bytes - bytes };
    if (expired.length > 0) ops.push({ type: 'put', key: mailboxKey(id), value: encodeRecord(next) });
    await this.#commit(ops, { mailboxes: 0, entries: -expired.length, bytes: -bytes });
    return { record: next, removed: expired.length };
  }

  /** Removes an idle mailbox if it holds no entry (1), or looks at it again once its entries can have expired (0). */
  async #retire(key: string, now: number): Promise<number> {
    const id = key.split('!')[2]!;
    const record = await this.#record(id);
    if (!record || idleKey(id, record.idleAt) !== key) {
      await this.#commit([{ type: 'del', key }], { mailboxes: 0, entries: 0, bytes: 0 });
      return 0;
    }
    if (record.entries === 0) {
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
    const ops: Operation[] = [
      { type: 'del', key: mailboxKey(id) },
      { type: 'del', key: idleKey(id, record.idleAt) },
    ];
    for await (const key of this.#db.keys({ gte: `e!${id}!`, lt: `e!${id}!${END}` })) {
      const [expires, seq] = key.split('!').slice(2).map(Number) as [number, number];
      ops.push({ type: 'del', key }, { type: 'del', key: dueKey(id, expires, seq) });
    }
    for await (const key of this.#db.keys({ gte: `n!${id}!`, lt: `n!${id}!${END}` })) ops.push({ type: 'del', key });
    await this.#commit(ops, { mailboxes: -1, entries: -record.entries, bytes: -(record.bytes + mailboxRecordBytes(record.writers.size)) });
  }
}

interface StoredRecord {
  read: SecretHash;
  writers: SecretHash[];
  idleAt: number;
  seq: number;
  entries: number;
  bytes: number;
}

function encodeRecord(record: MailboxRecord): Uint8Array {
  const stored: StoredRecord = { ...record, writers: [...record.writers.values()] };
  return Buffer.from(JSON.stringify(stored));
}

function decodeRecord(value: Uint8Array): MailboxRecord {
  const stored = JSON.parse(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString()) as StoredRecord;
  return { ...stored, writers: new Map(stored.writers.map((hash) => [writerSelector(hash), hash])) };
}

/** An entry's value: when it came (float64, big-endian), its entry id's length and the id, then the ciphertext. */
function encodeEntry(at: number, entry: string, data: Uint8Array): Uint8Array {
  const id = Buffer.from(entry);
  const value = Buffer.alloc(9 + id.length + data.length);
  value.writeDoubleBE(at, 0);
  value[8] = id.length;
  id.copy(value, 9);
  value.set(data, 9 + id.length);
  return value;
}

function entryDataLength(value: Uint8Array): number {
  return value.length - 9 - value[8]!;
}

/** The entry under `key` (e!<id>!<expires>!<seq>), its bytes copied out of LevelDB's buffer. */
function decodeEntry(key: string, value: Uint8Array): StoredEntry {
  const view = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  const start = 9 + view[8]!;
  return {
    entry: view.subarray(9, start).toString(),
    at: view.readDoubleBE(0),
    expires: Number(key.split('!')[2]),
    data: Uint8Array.from(view.subarray(start)),
  };
}
