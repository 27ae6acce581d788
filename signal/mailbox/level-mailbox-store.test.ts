/**
 * The LevelDB mailbox store: the stores' contract on a clock the test moves, then what only a store on disk
 * promises: everything as it was after a restart (the server-wide count too), one process per directory,
 * and nothing on disk but hashes of the secrets.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { afterAll, describe, expect, it } from 'vitest';
import { CONTRACT_QUOTAS, describeMailboxStore } from '../../tests/signal/support/mailbox-store-contract.js';
import { StartupError } from '../config.js';
import { LevelMailboxStore } from './level-mailbox-store.js';
import { hashSecret, mailboxRecordBytes, type MailboxQuotas } from './mailbox-store.js';

const dirs: string[] = [];
const stores: LevelMailboxStore[] = [];
afterAll(async () => {
  for (const store of stores) await store.close().catch(() => undefined);
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'whisper-mailbox-'));
  dirs.push(dir);
  return dir;
}

/** A clock the test moves, shared by every store opened on it (a restart keeps the time). */
function testClock() {
  let now = 1_700_000_000_000;
  return { now: () => now, pass: (ms: number) => void (now += ms) };
}

async function open(dir: string, now: () => number, quotas: MailboxQuotas = CONTRACT_QUOTAS): Promise<LevelMailboxStore> {
  const store = await LevelMailboxStore.open({ dir, quotas, now });
  stores.push(store);
  return store;
}

describeMailboxStore('in LevelDB', async (quotas) => {
  const clock = testClock();
  const store = await open(await freshDir(), clock.now, quotas);
  return {
    store,
    pass: (ms) => {
      clock.pass(ms);
      return Promise.resolve();
    },
  };
});

const read = hashSecret('r'.repeat(42) + 'A');
const writer = hashSecret('w'.repeat(42) + 'A');
const id = 'm'.repeat(21) + 'A';
const bytes = (size: number, fill: number) => new Uint8Array(size).fill(fill);

describe('in LevelDB, across a restart', () => {
  it('finds the same entries, the same server-wide count and the same quotas after the store is closed and opened again', async () => {
    const dir = await freshDir();
    const clock = testClock();
    const quotas = { ...CONTRACT_QUOTAS, maxBytes: mailboxRecordBytes(1) + 3 * 4096 };
    const before = await open(dir, clock.now, quotas);
    expect(await before.put(id, read, [writer])).toBe('created');
    const deposited = [];
    for (const fill of [1, 2, 3]) deposited.push(await before.deposit(id, writer, bytes(4096, fill)));
    const gone = deposited[1]!;
    if (!gone.ok) throw new Error('refused');
    expect(await before.deleteEntry(id, read, gone.entry)).toEqual({ ok: true, value: undefined });
    const listed = await before.entries(id, read);
    const totals = await before.totals();
    expect(totals).toEqual({ mailboxes: 1, entries: 2, bytes: mailboxRecordBytes(1) + 2 * 4096 });
    await before.close();

    const after = await open(dir, clock.now, quotas);
    expect(await after.entries(id, read)).toEqual(listed);
    expect(await after.totals()).toEqual(totals);
    // The server-wide cap counts what was there before: one more 4 KiB entry fits, a second does not.
    expect(await after.deposit(id, writer, bytes(4096, 4))).toMatchObject({ ok: true });
    expect(await after.put('n'.repeat(21) + 'A', read, [])).toBe('server-full');

    // The expiry index is kept too: what expired while the store was closed is swept once it is open again.
    await after.close();
    clock.pass(CONTRACT_QUOTAS.ttlMs);
    const later = await open(dir, clock.now, quotas);
    expect(await later.sweep()).toEqual({ entries: 3, mailboxes: 0 });
    expect(await later.totals()).toEqual({ mailboxes: 1, entries: 0, bytes: mailboxRecordBytes(1) });
  });

  it('refuses a second opening of the same directory, saying why, and the first keeps working', async () => {
    const dir = await freshDir();
    const clock = testClock();
    const first = await open(dir, clock.now);
    const second = LevelMailboxStore.open({ dir, quotas: CONTRACT_QUOTAS, now: clock.now });
    await expect(second).rejects.toThrow(StartupError);
    await expect(second).rejects.toThrow(`the mailbox store ${dir} is in use by another process: one signal process per DATA_DIR`);
    expect(await first.put(id, read, [writer])).toBe('created');
    expect(await first.deposit(id, writer, bytes(1024, 1))).toMatchObject({ ok: true });
    await first.close();
    // Closed: the directory is free for the next process.
    const next = await open(dir, clock.now);
    expect((await next.totals()).entries).toBe(1);
  });

  it('keeps only hashes of the secrets on disk, the ciphertext as sent, and nothing once the mailbox is deleted', async () => {
    const dir = await freshDir();
    const clock = testClock();
    const readSecret = 'r'.repeat(42) + 'A';
    const writerSecret = 'w'.repeat(42) + 'A';
    const store = await open(dir, clock.now);
    await store.put(id, hashSecret(readSecret), [hashSecret(writerSecret)]);
    const data = Uint8Array.from({ length: 1024 }, (_, i) => i % 251);
    expect(await store.deposit(id, hashSecret(writerSecret), data)).toMatchObject({ ok: true });
    await store.close();
    const everything = async () => {
      const db = new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
      const pairs = await db.iterator().all();
      await db.close();
      return pairs;
    };
    const disk = Buffer.concat((await everything()).flatMap(([key, value]) => [Buffer.from(key), Buffer.from(value)]));
    expect(disk.includes(readSecret)).toBe(false);
    expect(disk.includes(writerSecret)).toBe(false);
    expect(disk.includes(hashSecret(readSecret))).toBe(true);
    expect(disk.includes(Buffer.from(data))).toBe(true);

    const again = await open(dir, clock.now);
    expect(await again.deleteMailbox(id, hashSecret(readSecret))).toEqual({ ok: true, value: undefined });
    await again.close();
    expect(await everything()).toEqual([]);
  });
});

/** Everything in a closed store's directory, as key -> value. */
async function readDisk(dir: string): Promise<Map<string, Buffer>> {
  const db = new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
  const pairs = await db.iterator().all();
  await db.close();
  return new Map(pairs.map(([key, value]) => [key, Buffer.from(value)]));
}

/**
 * Checks that each mailbox's counters (c!) are what its entries on disk add up to, and that every index
 * agrees with the entries; the totals the disk gives.
 */
function checkCounters(disk: Map<string, Buffer>): { mailboxes: number; entries: number; bytes: number } {
  const totals = { mailboxes: 0, entries: 0, bytes: 0 };
  const keys = [...disk.keys()];
  for (const [key, value] of disk) {
    if (!key.startsWith('m!')) continue;
    const id = key.slice(2);
    const record = JSON.parse(value.toString()) as { writers: string[]; entries?: number };
    expect(record.entries, 'counters left in the record').toBeUndefined();
    const counters = JSON.parse(disk.get(`c!${id}`)!.toString()) as { seq: number; entries: number; bytes: number; soonest: number };
    const entries = keys.filter((k) => k.startsWith(`e!${id}!`));
    const sizes = entries.map((k) => disk.get(k)!.length - 9 - disk.get(k)![8]!);
    const places = entries.map((k) => k.split('!').slice(2).map(Number) as [number, number]);
    expect({ entries: counters.entries, bytes: counters.bytes }).toEqual({ entries: entries.length, bytes: sizes.reduce((a, b) => a + b, 0) });
    if (entries.length > 0) {
      expect(counters.seq).toBeGreaterThanOrEqual(Math.max(...places.map(([, seq]) => seq)));
      expect(counters.soonest).toBeLessThanOrEqual(Math.min(...places.map(([expires]) => expires)));
    }
    // Each entry is in the expiry index and under its entry id, with its size.
    const byId = keys.filter((k) => k.startsWith(`n!${id}!`)).map((k) => disk.get(k)!.toString());
    expect(byId.sort()).toEqual(places.map(([expires, seq], i) => `${String(expires).padStart(16, '0')}!${String(seq).padStart(16, '0')}!${sizes[i]}`).sort());
    expect(keys.filter((k) => k.startsWith('x!') && k.split('!')[2] === id).length).toBe(entries.length);
    totals.mailboxes++;
    totals.entries += counters.entries;
    totals.bytes += counters.bytes + mailboxRecordBytes(record.writers.length);
  }
  expect(keys.filter((k) => k.startsWith('c!')).length).toBe(totals.mailboxes);
  return totals;
}

/** A deterministic stream of numbers in [0, 1). */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

describe('in LevelDB, the counters of each mailbox', () => {
  it('stay what the entries on disk add up to, through deposits, deletes, fetches, expiry, sweeps and restarts', async () => {
    const dir = await freshDir();
    const clock = testClock();
    // No mailbox goes idle: the test is about entries.
    const quotas = { ...CONTRACT_QUOTAS, entriesPerMailbox: 6, bytesPerMailbox: 6 * 4096, idleMs: 1e9 };
    const random = seeded(30);
    const boxes = ['a', 'b', 'c'].map((c) => ({ id: c.repeat(21) + 'A', read: hashSecret(c.repeat(42) + 'A'), writer: hashSecret(c.repeat(42) + 'B') }));
    let store = await open(dir, clock.now, quotas);
    for (const box of boxes) expect(await store.put(box.id, box.read, [box.writer, writer])).toBe('created');
    const held = new Map(boxes.map((box) => [box.id, [] as string[]]));
    let outcomes = 0;
    for (let round = 0; round < 4; round++) {
      for (let step = 0; step < 60; step++) {
        const box = boxes[Math.floor(random() * boxes.length)]!;
        const roll = random();
        if (roll < 0.55) {
          const deposited = await store.deposit(box.id, box.writer, bytes(random() < 0.5 ? 1024 : 4096, step));
          if (deposited.ok) held.get(box.id)!.push(deposited.entry);
          outcomes += deposited.ok ? 1 : 0;
        } else if (roll < 0.75) {
          const entries = held.get(box.id)!;
          const gone = entries.splice(Math.floor(random() * entries.length), 1)[0] ?? 'z'.repeat(22);
          expect(await store.deleteEntry(box.id, box.read, gone)).toEqual({ ok: true, value: undefined });
        } else if (roll < 0.85) {
          expect((await store.entries(box.id, box.read)).ok).toBe(true);
        } else if (roll < 0.95) {
          clock.pass(Math.floor(random() * quotas.ttlMs * 0.6));
        } else {
          await store.sweep();
        }
      }
      const totals = await store.totals();
      await store.close();
      expect(checkCounters(await readDisk(dir))).toEqual(totals);
      store = await open(dir, clock.now, quotas);
      expect(await store.totals()).toEqual(totals);
    }
    // The scenario did what it is for: deposits taken and refused, entries expired and swept.
    expect(outcomes).toBeGreaterThan(30);
    clock.pass(quotas.ttlMs);
    await store.sweep();
    expect(await store.totals()).toEqual({ mailboxes: 3, entries: 0, bytes: 3 * mailboxRecordBytes(2) });
  });

  it('finds an expired entry that is not the oldest (a shorter MAILBOX_TTL after a restart), and one left once the oldest was deleted', async () => {
    const dir = await freshDir();
    const clock = testClock();
    const long = { ...CONTRACT_QUOTAS, ttlMs: 10_000 };
    const first = await open(dir, clock.now, long);
    await first.put(id, read, [writer]);
    const oldest = await first.deposit(id, writer, bytes(1024, 1));
    expect(await first.deposit(id, writer, bytes(1024, 2))).toMatchObject({ ok: true });
    await first.close();

    const short = await open(dir, clock.now, { ...long, ttlMs: 1000 });
    expect(await short.deposit(id, writer, bytes(1024, 3))).toMatchObject({ ok: true });
    expect(await short.deposit(id, writer, bytes(1024, 4))).toEqual({ ok: false, reason: 'mailbox-full' });
    clock.pass(1001);
    // The newest entry has expired, the two before it not: its place is free again.
    expect(await short.deposit(id, writer, bytes(1024, 5))).toMatchObject({ ok: true });
    const listed = await short.entries(id, read);
    expect(listed.ok && listed.value.map((e) => e.data[0])).toEqual([1, 2, 5]);

    // The oldest goes by a delete; once the next has expired too, a deposit sees it with no sweep.
    if (!oldest.ok) throw new Error('refused');
    expect(await short.deleteEntry(id, read, oldest.entry)).toEqual({ ok: true, value: undefined });
    expect(await short.deposit(id, writer, bytes(1024, 6))).toMatchObject({ ok: true });
    clock.pass(9000);
    expect(await short.deposit(id, writer, bytes(1024, 7))).toMatchObject({ ok: true });
    const left = await short.entries(id, read);
    expect(left.ok && left.value.map((e) => e.data[0])).toEqual([7]);
    const totals = await short.totals();
    expect(totals).toEqual({ mailboxes: 1, entries: 1, bytes: 1024 + mailboxRecordBytes(1) });
    await short.close();
    expect(checkCounters(await readDisk(dir))).toEqual(totals);
  });
});

describe('in LevelDB, a store written before issue 30', () => {
  const pad = (n: number) => String(n).padStart(16, '0');
  /**
   * What the store wrote then (read off a directory it made) for a mailbox with one writer and two entries
   * of 1 KiB: the counters in the mailbox's record, rewritten by each deposit, and no size in n!.
   */
  async function writeLegacy(dir: string, at: number): Promise<Array<{ entry: string; at: number; expires: number }>> {
    const entries = [1, 2].map((seq) => ({ seq, entry: String(seq).repeat(22), at: at + seq, expires: at + seq + CONTRACT_QUOTAS.ttlMs }));
    const value = (entry: string, when: number, data: Uint8Array) => {
      const head = Buffer.alloc(9);
      head.writeDoubleBE(when, 0);
      head[8] = entry.length;
      return Buffer.concat([head, Buffer.from(entry), data]);
    };
    const db = new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
    await db.batch([
      { type: 'put', key: `m!${id}`, value: Buffer.from(JSON.stringify({ read, writers: [writer], idleAt: at + CONTRACT_QUOTAS.idleMs, seq: 2, entries: 2, bytes: 2048 })) },
      { type: 'put', key: `i!${pad(at + CONTRACT_QUOTAS.idleMs)}!${id}`, value: new Uint8Array(0) },
      ...entries.flatMap(({ seq, entry, at: when, expires }) => [
        { type: 'put' as const, key: `e!${id}!${pad(expires)}!${pad(seq)}`, value: value(entry, when, bytes(1024, seq)) },
        { type: 'put' as const, key: `n!${id}!${entry}`, value: Buffer.from(`${pad(expires)}!${pad(seq)}`) },
        { type: 'put' as const, key: `x!${pad(expires)}!${id}!${pad(seq)}`, value: new Uint8Array(0) },
      ]),
    ]);
    await db.close();
    return entries.map(({ entry, at: when, expires }) => ({ entry, at: when, expires }));
  }

  it('opens as it was, its counters moved out of the record; deposits, deletes and the sweep go on counting right', async () => {
    const dir = await freshDir();
    const clock = testClock();
    const legacy = await writeLegacy(dir, clock.now());
    clock.pass(10);

    let store = await open(dir, clock.now);
    expect(await store.totals()).toEqual({ mailboxes: 1, entries: 2, bytes: 2048 + mailboxRecordBytes(1) });
    expect(await store.entries(id, read)).toEqual({ ok: true, value: legacy.map((entry, i) => ({ ...entry, data: bytes(1024, i + 1) })) });
    await store.close();
    const disk = await readDisk(dir);
    expect(JSON.parse(disk.get(`m!${id}`)!.toString())).toEqual({ read, writers: [writer], idleAt: clock.now() - 10 + CONTRACT_QUOTAS.idleMs });
    expect(JSON.parse(disk.get(`c!${id}`)!.toString())).toMatchObject({ seq: 2, entries: 2, bytes: 2048 });

    store = await open(dir, clock.now);
    // The third place in the mailbox is the last (CONTRACT_QUOTAS: 3 entries): counted from the old record.
    const third = await store.deposit(id, writer, bytes(1024, 3));
    expect(third).toMatchObject({ ok: true });
    expect(await store.deposit(id, writer, bytes(1024, 4))).toEqual({ ok: false, reason: 'mailbox-full' });
    // An entry of then (n! with no size) and one of now go by a delete.
    if (!third.ok) throw new Error('refused');
    expect(await store.deleteEntry(id, read, legacy[0]!.entry)).toEqual({ ok: true, value: undefined });
    expect(await store.deleteEntry(id, read, third.entry)).toEqual({ ok: true, value: undefined });
    expect(await store.totals()).toEqual({ mailboxes: 1, entries: 1, bytes: 1024 + mailboxRecordBytes(1) });
    clock.pass(CONTRACT_QUOTAS.ttlMs);
    expect(await store.sweep()).toEqual({ entries: 1, mailboxes: 0 });
    const totals = await store.totals();
    expect(totals).toEqual({ mailboxes: 1, entries: 0, bytes: mailboxRecordBytes(1) });
    await store.close();
    expect(checkCounters(await readDisk(dir))).toEqual(totals);
  });
});
