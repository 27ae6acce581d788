/**
 * Mailboxes in this process's memory, for the unit tests: the server keeps them in LevelDB under DATA_DIR
 * (level-mailbox-store.ts) or in Redis. Nothing here survives a restart.
 */
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

interface Mailbox {
  read: SecretHash;
  /** Selector -> the writer's whole hash. */
  writers: Map<string, SecretHash>;
  /** The owner's last PUT. */
  touched: number;
  /** Bytes of its entries. */
  bytes: number;
  /** In the order they came, which is the order they expire in. */
  entries: StoredEntry[];
}

export class MemoryMailboxStore implements MailboxStore {
  readonly #mailboxes = new Map<string, Mailbox>();
  readonly #quotas: MailboxQuotas;
  readonly #now: () => number;
  #bytes = 0;
  #entries = 0;

  constructor(quotas: MailboxQuotas, now: () => number = Date.now) {
    this.#quotas = quotas;
    this.#now = now;
  }

  put(id: string, read: SecretHash, writers: readonly SecretHash[]): Promise<PutOutcome> {
    const mailbox = this.#mailboxes.get(id);
    if (mailbox && !sameHash(mailbox.read, read)) return Promise.resolve('forbidden');
    const before = mailbox ? mailboxRecordBytes(mailbox.writers.size) : 0;
    const map = new Map(writers.map((hash) => [writerSelector(hash), hash]));
    const after = mailboxRecordBytes(map.size);
    if (after > before && this.#bytes + after - before > this.#quotas.maxBytes) return Promise.resolve('server-full');
    this.#bytes += after - before;
    if (mailbox) {
      mailbox.writers = map;
      mailbox.touched = this.#now();
      return Promise.resolve('updated');
    }
    this.#mailboxes.set(id, { read, writers: map, touched: this.#now(), bytes: 0, entries: [] });
    return Promise.resolve('created');
  }

  deposit(id: string, writer: SecretHash, data: Uint8Array): Promise<DepositOutcome> {
    const mailbox = this.#mailboxes.get(id);
    if (!mailbox) return Promise.resolve({ ok: false, reason: 'unknown-mailbox' });
    if (!sameHash(mailbox.writers.get(writerSelector(writer)), writer)) return Promise.resolve({ ok: false, reason: 'forbidden' });
    const now = this.#now();
    this.#expire(mailbox, now);
    if (mailbox.entries.length >= this.#quotas.entriesPerMailbox || mailbox.bytes + data.length > this.#quotas.bytesPerMailbox) {
      return Promise.resolve({ ok: false, reason: 'mailbox-full' });
    }
    if (this.#bytes + data.length > this.#quotas.maxBytes) return Promise.resolve({ ok: false, reason: 'server-full' });
    const entry: StoredEntry = { entry: newEntryId(), at: now, expires: now + this.#quotas.ttlMs, data: Uint8Array.from(data) };
    mailbox.entries.push(entry);
    mailbox.bytes += data.length;
    this.#bytes += data.length;
    this.#entries++;
    return Promise.resolve({ ok: true, entry: entry.entry, at: entry.at, expires: entry.expires });
  }

  isWriter(id: string, writer: SecretHash): Promise<WriterCheck> {
    const mailbox = this.#mailboxes.get(id);
    if (!mailbox) return Promise.resolve('unknown-mailbox');
    return Promise.resolve(sameHash(mailbox.writers.get(writerSelector(writer)), writer) ? 'ok' : 'forbidden');
  }

  entries(id: string, read: SecretHash): Promise<OwnerOutcome<StoredEntry[]>> {
    return this.#asOwner(id, read, (mailbox) => {
      this.#expire(mailbox, this.#now());
      return mailbox.entries.map((entry) => ({ ...entry, data: Uint8Array.from(entry.data) }));
    });
  }

  deleteEntry(id: string, read: SecretHash, entry: string): Promise<OwnerOutcome<void>> {
    return this.#asOwner(id, read, (mailbox) => {
      const index = mailbox.entries.findIndex((e) => e.entry === entry);
      if (index !== -1) this.#remove(mailbox, index, 1);
    });
  }

  deleteMailbox(id: string, read: SecretHash): Promise<OwnerOutcome<void>> {
    return this.#asOwner(id, read, (mailbox) => this.#drop(id, mailbox));
  }

  sweep(): Promise<{ entries: number; mailboxes: number }> {
    const now = this.#now();
    let entries = 0;
    let mailboxes = 0;
    for (const [id, mailbox] of this.#mailboxes) {
      entries += this.#expire(mailbox, now);
      if (mailbox.entries.length === 0 && mailbox.touched + this.#quotas.idleMs <= now) {
        this.#drop(id, mailbox);
        mailboxes++;
      }
    }
    return Promise.resolve({ entries, mailboxes });
  }

  totals(): Promise<MailboxTotals> {
    return Promise.resolve({ mailboxes: this.#mailboxes.size, entries: this.#entries, bytes: this.#bytes });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  #asOwner<T>(id: string, read: SecretHash, act: (mailbox: Mailbox) => T): Promise<OwnerOutcome<T>> {
    const mailbox = this.#mailboxes.get(id);
    if (!mailbox) return Promise.resolve({ ok: false, reason: 'unknown-mailbox' });
    if (!sameHash(mailbox.read, read)) return Promise.resolve({ ok: false, reason: 'forbidden' });
    return Promise.resolve({ ok: true, value: act(mailbox) });
  }

  /** Removes the expired entries at the head; how many. */
  #expire(mailbox: Mailbox, now: number): number {
    let count = 0;
    while (count < mailbox.entries.length && mailbox.entries[count]!.expires <= now) count++;
    if (count > 0) this.#remove(mailbox, 0, count);
    return count;
  }

  #remove(mailbox: Mailbox, index: number, count: number): void {
    for (const entry of mailbox.entries.splice(index, count)) {
      mailbox.bytes -= entry.data.length;
      this.#bytes -= entry.data.length;
      this.#entries--;
    }
  }

  #drop(id: string, mailbox: Mailbox): void {
    this.#remove(mailbox, 0, mailbox.entries.length);
    this.#bytes -= mailboxRecordBytes(mailbox.writers.size);
    this.#mailboxes.delete(id);
  }
}
