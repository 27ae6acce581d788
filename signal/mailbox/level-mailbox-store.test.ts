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
