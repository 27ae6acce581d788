/**
 * The transfers' records (`StoredTransfer`): the one way the sender and the receiver read and change them.
 * `IndexedDbTransferStore` keeps them in IndexedDB (`transfers`); another store plugs in by implementing
 * `TransferStore` and being given to both sides (`TransferContext.store`). A transfer's state changes only
 * through `moveTransfer`, which asks the state machine (`transfer-state.ts`) first, whatever the store.
 */
import type { StoredTransfer, WhisperDatabase } from '../storage/database.js';
import { nextState, type TransferEvent } from './transfer-state.js';

export interface TransferStore {
  get(id: string): StoredTransfer | undefined;
  /** Every transfer known on this page. */
  all(): StoredTransfer[];
  /** Reads the transfers with a device (a conversation's), keeping the copy this page has of any it knows. */
  load(conversation: string): Promise<void>;
  /** The transfer, read from the store when it is not loaded yet (a history entry may be shown first). */
  find(id: string): Promise<StoredTransfer | undefined>;
  /**
   * Known on this page before another writer stores it (the entry that shows it, in one transaction with it),
   * and not told yet: `forget` drops it when that write fails, `told` tells of it once it succeeded.
   */
  keep(transfer: StoredTransfer): void;
  forget(id: string): void;
  told(transfer: StoredTransfer): void;
  /** Stores the transfer, then tells of it. */
  save(transfer: StoredTransfer): Promise<void>;
  /** Applies `change` (an `undefined` removes the field) and stores the transfer. */
  update(transfer: StoredTransfer, change: Partial<StoredTransfer>): Promise<void>;
  /** Receiver: chunks stored, written before this page shows them, so that no record runs ahead of the data; throws when it cannot write. */
  stored(transfer: StoredTransfer, progress: Pick<StoredTransfer, 'next' | 'hashState'>): Promise<void>;
  /** Sender: chunks the receiver stored, shown at once; the write is not waited for (the next acknowledgement writes again). */
  acknowledged(transfer: StoredTransfer, next: number): void;
}

/** Applies `change` to the transfer in memory: an `undefined` removes the field (so that it is not stored). */
export function applyChange(transfer: StoredTransfer, change: Partial<StoredTransfer>): void {
  Object.assign(transfer, change);
  for (const key of Object.keys(change) as Array<keyof StoredTransfer>) if (change[key] === undefined) delete transfer[key];
}

/** Moves the transfer as `event` says, with `change`; false, and nothing changed, when the state machine refuses it. */
export async function moveTransfer(store: TransferStore, transfer: StoredTransfer, event: TransferEvent, change: Partial<StoredTransfer> = {}): Promise<boolean> {
  const state = nextState(transfer, event);
  if (!state) return false;
  await store.update(transfer, { ...change, state });
  return true;
}

/** The records in IndexedDB: read once, then kept in memory and written through on every change, each change told (`changed`). */
export class IndexedDbTransferStore implements TransferStore {
  readonly #db: WhisperDatabase;
  readonly #changed: (transfer: StoredTransfer) => void;
  readonly #transfers = new Map<string, StoredTransfer>();

  /** `changed` is told of every transfer read, added or changed (the service's `wh-transfer`). */
  constructor(db: WhisperDatabase, changed: (transfer: StoredTransfer) => void) {
    this.#db = db;
    this.#changed = changed;
  }

  get(id: string): StoredTransfer | undefined {
    return this.#transfers.get(id);
  }

  all(): StoredTransfer[] {
    return [...this.#transfers.values()];
  }

  async load(conversation: string): Promise<void> {
    const stored = await this.#db.getAllFromIndex('transfers', 'by-conversation', conversation);
    for (const transfer of stored) this.#adopt(transfer);
  }

  async find(id: string): Promise<StoredTransfer | undefined> {
    const loaded = this.#transfers.get(id);
    if (loaded) return loaded;
    const stored = await this.#db.get('transfers', id);
    return stored ? this.#adopt(stored) : undefined;
  }

  /** Keeps a transfer read from the database, unless this page has it already (its copy is the newer one). */
  #adopt(stored: StoredTransfer): StoredTransfer {
    const known = this.#transfers.get(stored.id);
    if (known) return known;
    this.#transfers.set(stored.id, stored);
    this.#changed(stored);
    return stored;
  }

  keep(transfer: StoredTransfer): void {
    this.#transfers.set(transfer.id, transfer);
  }

  forget(id: string): void {
    this.#transfers.delete(id);
  }

  told(transfer: StoredTransfer): void {
    this.#changed(transfer);
  }

  async save(transfer: StoredTransfer): Promise<void> {
    this.#transfers.set(transfer.id, transfer);
    await this.#db.put('transfers', transfer);
    this.#changed(transfer);
  }

  async update(transfer: StoredTransfer, change: Partial<StoredTransfer>): Promise<void> {
    applyChange(transfer, change);
    await this.save(transfer);
  }

  async stored(transfer: StoredTransfer, progress: Pick<StoredTransfer, 'next' | 'hashState'>): Promise<void> {
    await this.#db.put('transfers', { ...transfer, ...progress });
    Object.assign(transfer, progress);
  }

  acknowledged(transfer: StoredTransfer, next: number): void {
    transfer.next = next;
    void this.#db.put('transfers', transfer);
    this.#changed(transfer);
  }
}
