/**
 * What every MailboxStore promises (signal/mailbox/mailbox-store.ts), run against each store: in memory
 * on a clock the test moves, and in a real Redis on Redis's own clock with short lifetimes.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashSecret, mailboxRecordBytes, type MailboxQuotas, type MailboxStore } from '../../../signal/mailbox/mailbox-store.js';

export interface StoreUnderTest {
  store: MailboxStore;
  /** Lets `ms` pass for the store (a moved clock, or a real wait). */
  pass(ms: number): Promise<void>;
}

/** TTL and idle time long enough for a real clock to stay clear of them within one step of a test. */
export const CONTRACT_QUOTAS: MailboxQuotas = { ttlMs: 1500, entriesPerMailbox: 3, bytesPerMailbox: 3 * 4096, maxBytes: 1024 * 1024, idleMs: 4000 };

const secret = () => randomBytes(32).toString('base64url');
const mailboxId = () => randomBytes(16).toString('base64url');
const bytes = (size: number, fill: number) => new Uint8Array(size).fill(fill);

/** A mailbox made with one writer. */
async function mailbox(store: MailboxStore) {
  const id = mailboxId();
  const read = hashSecret(secret());
  const writer = hashSecret(secret());
  expect(await store.put(id, read, [writer])).toBe('created');
  return { id, read, writer };
}

export function describeMailboxStore(name: string, make: (quotas: MailboxQuotas) => Promise<StoreUnderTest>): void {
  describe(`${name}: a MailboxStore`, () => {
    it('keeps what a writer deposits, byte for byte, for its owner only, oldest first', async () => {
      const { store } = await make(CONTRACT_QUOTAS);
      const { id, read, writer } = await mailbox(store);
      const first = await store.deposit(id, writer, bytes(1024, 1));
      const second = await store.deposit(id, writer, Uint8Array.from(randomBytes(4096)));
      expect(first).toMatchObject({ ok: true });
      if (!first.ok || !second.ok) throw new Error('refused');
      expect(first.expires - first.at).toBe(CONTRACT_QUOTAS.ttlMs);
      const listed = await store.entries(id, read);
      expect(listed.ok && listed.value.map((e) => e.entry)).toEqual([first.entry, second.entry]);
      expect(listed.ok && listed.value[0]).toEqual({ entry: first.entry, at: first.at, expires: first.expires, data: bytes(1024, 1) });
      expect(await store.entries(id, hashSecret(secret()))).toEqual({ ok: false, reason: 'forbidden' });
      expect(await store.entries(mailboxId(), read)).toEqual({ ok: false, reason: 'unknown-mailbox' });
      expect(await store.totals()).toEqual({ mailboxes: 1, entries: 2, bytes: 1024 + 4096 + mailboxRecordBytes(1) });
    });

    it('refuses a writer it does not list, one left out by a later PUT, and a PUT with another read secret', async () => {
      const { store } = await make(CONTRACT_QUOTAS);
      const { id, read, writer } = await mailbox(store);
      expect(await store.deposit(id, hashSecret(secret()), bytes(1024, 2))).toEqual({ ok: false, reason: 'forbidden' });
      // The same selector, another hash: the whole hash is compared.
      expect(await store.deposit(id, writer.slice(0, 16) + hashSecret(secret()).slice(16), bytes(1024, 2))).toEqual({ ok: false, reason: 'forbidden' });
      expect(await store.deposit(mailboxId(), writer, bytes(1024, 2))).toEqual({ ok: false, reason: 'unknown-mailbox' });
      const other = hashSecret(secret());
      expect(await store.put(id, hashSecret(secret()), [other])).toBe('forbidden');
      expect(await store.put(id, read, [other])).toBe('updated');
      expect(await store.deposit(id, writer, bytes(1024, 2))).toEqual({ ok: false, reason: 'forbidden' });
      expect(await store.deposit(id, other, bytes(1024, 2))).toMatchObject({ ok: true });
    });

    it('tells a writer from anyone else as a deposit does, and stores nothing for asking', async () => {
      const { store } = await make(CONTRACT_QUOTAS);
      const { id, read, writer } = await mailbox(store);
      expect(await store.isWriter(id, writer)).toBe('ok');
      expect(await store.isWriter(id, hashSecret(secret()))).toBe('forbidden');
      // The same selector, another hash; and the read secret's hash, which is no writer's.
      expect(await store.isWriter(id, writer.slice(0, 16) + hashSecret(secret()).slice(16))).toBe('forbidden');
      expect(await store.isWriter(id, read)).toBe('forbidden');
      expect(await store.isWriter(mailboxId(), writer)).toBe('unknown-mailbox');
      const other = hashSecret(secret());
      expect(await store.put(id, read, [other])).toBe('updated');
      expect(await store.isWriter(id, writer)).toBe('forbidden');
      expect(await store.isWriter(id, other)).toBe('ok');
      expect(await store.entries(id, read)).toEqual({ ok: true, value: [] });
      expect(await store.totals()).toEqual({ mailboxes: 1, entries: 0, bytes: mailboxRecordBytes(1) });
      expect(await store.deleteMailbox(id, read)).toEqual({ ok: true, value: undefined });
      expect(await store.isWriter(id, other)).toBe('unknown-mailbox');
    });

    it('refuses a deposit into a full mailbox, by count or by bytes, and evicts nothing', async () => {
      const { store } = await make(CONTRACT_QUOTAS);
      const { id, read, writer } = await mailbox(store);
      for (let i = 0; i < 3; i++) expect(await store.deposit(id, writer, bytes(1024, i))).toMatchObject({ ok: true });
      expect(await store.deposit(id, writer, bytes(1024, 9))).toEqual({ ok: false, reason: 'mailbox-full' });
      const listed = await store.entries(id, read);
      expect(listed.ok && listed.value.map((e) => e.data[0])).toEqual([0, 1, 2]);

      const big = await mailbox(store);
      expect(await store.deposit(big.id, big.writer, bytes(4096, 1))).toMatchObject({ ok: true });
      expect(await store.deposit(big.id, big.writer, bytes(4096, 2))).toMatchObject({ ok: true });
      // 2 x 4 KiB + 4 KiB = 12 KiB fits; a fourth entry does not (count), nor 16 KiB (bytes).
      expect(await store.deposit(big.id, big.writer, bytes(16 * 1024, 3))).toEqual({ ok: false, reason: 'mailbox-full' });
    });

    it('refuses past the server-wide cap, for entries and for mailboxes', async () => {
      const quotas = { ...CONTRACT_QUOTAS, maxBytes: mailboxRecordBytes(1) + 4096 };
      const { store } = await make(quotas);
      const { id, writer } = await mailbox(store);
      expect(await store.deposit(id, writer, bytes(4096, 1))).toMatchObject({ ok: true });
      expect(await store.deposit(id, writer, bytes(1024, 1))).toEqual({ ok: false, reason: 'server-full' });
      expect(await store.put(mailboxId(), hashSecret(secret()), [])).toBe('server-full');
    });

    it('lets only one of the requests made at once take the last place, in a mailbox or on the server', async () => {
      const { store } = await make({ ...CONTRACT_QUOTAS, maxBytes: 3 * mailboxRecordBytes(1) + 4 * 4096 });
      const { id, read, writer } = await mailbox(store);
      await store.deposit(id, writer, bytes(4096, 0));
      await store.deposit(id, writer, bytes(4096, 1));
      const atOnce = await Promise.all([2, 3, 4, 5].map((fill) => store.deposit(id, writer, bytes(4096, fill))));
      expect(atOnce.filter((outcome) => outcome.ok)).toHaveLength(1);
      expect(atOnce.filter((outcome) => !outcome.ok).map((outcome) => !outcome.ok && outcome.reason)).toEqual(['mailbox-full', 'mailbox-full', 'mailbox-full']);
      const listed = await store.entries(id, read);
      expect(listed.ok && listed.value.length).toBe(3);

      // One 4 KiB entry fits on the server: two mailboxes ask at once.
      const others = [await mailbox(store), await mailbox(store)];
      const both = await Promise.all(others.map((other) => store.deposit(other.id, other.writer, bytes(4096, 9))));
      expect(both.map((outcome) => (outcome.ok ? 'ok' : outcome.reason)).sort()).toEqual(['ok', 'server-full']);
      expect((await store.totals()).bytes).toBe(3 * mailboxRecordBytes(1) + 4 * 4096);
    });

    it('deletes an entry (again: no error), and a whole mailbox with its entries', async () => {
      const { store } = await make(CONTRACT_QUOTAS);
      const { id, read, writer } = await mailbox(store);
      const deposited = await store.deposit(id, writer, bytes(1024, 1));
      await store.deposit(id, writer, bytes(1024, 2));
      if (!deposited.ok) throw new Error('refused');
      expect(await store.deleteEntry(id, hashSecret(secret()), deposited.entry)).toEqual({ ok: false, reason: 'forbidden' });
      expect(await store.deleteEntry(id, read, deposited.entry)).toEqual({ ok: true, value: undefined });
      expect(await store.deleteEntry(id, read, deposited.entry)).toEqual({ ok: true, value: undefined });
      const listed = await store.entries(id, read);
      expect(listed.ok && listed.value.map((e) => e.data[0])).toEqual([2]);
      expect(await store.deleteMailbox(id, hashSecret(secret()))).toEqual({ ok: false, reason: 'forbidden' });
      expect(await store.deleteMailbox(id, read)).toEqual({ ok: true, value: undefined });
      expect(await store.entries(id, read)).toEqual({ ok: false, reason: 'unknown-mailbox' });
      expect(await store.totals()).toEqual({ mailboxes: 0, entries: 0, bytes: 0 });
      // The id is free again, for a new owner.
      expect(await store.put(id, hashSecret(secret()), [])).toBe('created');
    });

    it('never returns an expired entry, sweeps it away unasked, and then an idle empty mailbox', async () => {
      const { store, pass } = await make(CONTRACT_QUOTAS);
      const { id, read, writer } = await mailbox(store);
      await store.deposit(id, writer, bytes(1024, 1));
      await pass(CONTRACT_QUOTAS.ttlMs / 2);
      await store.deposit(id, writer, bytes(1024, 2));
      await pass(CONTRACT_QUOTAS.ttlMs / 2 + 100);
      const listed = await store.entries(id, read);
      expect(listed.ok && listed.value.map((e) => e.data[0])).toEqual([2]);
      await pass(CONTRACT_QUOTAS.ttlMs / 2);
      expect(await store.sweep()).toEqual({ entries: 1, mailboxes: 0 });
      expect(await store.totals()).toEqual({ mailboxes: 1, entries: 0, bytes: mailboxRecordBytes(1) });
      // Empty, and its owner's PUT was over idleMs ago: gone.
      await pass(CONTRACT_QUOTAS.idleMs - 2 * CONTRACT_QUOTAS.ttlMs + 1000);
      expect(await store.sweep()).toEqual({ entries: 0, mailboxes: 1 });
      expect(await store.entries(id, read)).toEqual({ ok: false, reason: 'unknown-mailbox' });
    });

    it('takes a deposit into a full mailbox again once its entries have expired, with no sweep', async () => {
      const { store, pass } = await make(CONTRACT_QUOTAS);
      const { id, read, writer } = await mailbox(store);
      for (let i = 0; i < 3; i++) expect(await store.deposit(id, writer, bytes(1024, i))).toMatchObject({ ok: true });
      expect(await store.deposit(id, writer, bytes(1024, 3))).toEqual({ ok: false, reason: 'mailbox-full' });
      await pass(CONTRACT_QUOTAS.ttlMs + 100);
      expect(await store.deposit(id, writer, bytes(1024, 4))).toMatchObject({ ok: true });
      const listed = await store.entries(id, read);
      expect(listed.ok && listed.value.map((e) => e.data[0])).toEqual([4]);
      expect(await store.totals()).toEqual({ mailboxes: 1, entries: 1, bytes: 1024 + mailboxRecordBytes(1) });
    });

    it('keeps an idle mailbox that still holds entries, and one whose owner PUT again', async () => {
      const { store, pass } = await make({ ...CONTRACT_QUOTAS, ttlMs: 2 * CONTRACT_QUOTAS.idleMs });
      const held = await mailbox(store);
      const renewed = await mailbox(store);
      await store.deposit(held.id, held.writer, bytes(1024, 1));
      await pass(CONTRACT_QUOTAS.idleMs * 0.6);
      expect(await store.put(renewed.id, renewed.read, [renewed.writer])).toBe('updated');
      await pass(CONTRACT_QUOTAS.idleMs * 0.6);
      expect(await store.sweep()).toEqual({ entries: 0, mailboxes: 0 });
      expect((await store.entries(held.id, held.read)).ok).toBe(true);
      expect((await store.entries(renewed.id, renewed.read)).ok).toBe(true);
    });
  });
}
