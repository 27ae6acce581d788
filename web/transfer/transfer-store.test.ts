import { describe, expect, it } from 'vitest';
import type { StoredTransfer } from '../storage/database.js';
import { applyChange, moveTransfer, type TransferStore } from './transfer-store.js';

/** A store kept in memory, as another store would plug in: it notes every write. */
function memoryStore(): TransferStore & { writes: StoredTransfer[] } {
  const transfers = new Map<string, StoredTransfer>();
  const writes: StoredTransfer[] = [];
  const save = async (transfer: StoredTransfer) => {
    transfers.set(transfer.id, transfer);
    writes.push({ ...transfer });
  };
  return {
    writes,
    get: (id) => transfers.get(id),
    all: () => [...transfers.values()],
    load: async () => undefined,
    find: async (id) => transfers.get(id),
    keep: (transfer) => void transfers.set(transfer.id, transfer),
    forget: (id) => void transfers.delete(id),
    told: () => undefined,
    save,
    update: async (transfer, change) => {
      applyChange(transfer, change);
      await save(transfer);
    },
    stored: async (transfer, progress) => void Object.assign(transfer, progress),
    acknowledged: (transfer, next) => void (transfer.next = next),
  };
}

const offer = (direction: StoredTransfer['direction']): StoredTransfer => ({
  id: 'AAAAAAAAAAAAAAAAAAAAAA',
  conversation: 'B0B',
  direction,
  name: 'a.bin',
  size: 10,
  type: '',
  chunkSize: 16 * 1024,
  chunkCount: 1,
  state: 'offered',
  next: 0,
  reason: 'Not enough space.',
  createdAt: 0,
});

describe('moving a transfer through any store', () => {
  it('a move the state machine allows is written with its change, and an undefined removes a field', async () => {
    const store = memoryStore();
    const transfer = offer('in');
    expect(await moveTransfer(store, transfer, 'accept', { reason: undefined })).toBe(true);
    expect(transfer.state).toBe('active');
    expect('reason' in transfer).toBe(false);
    expect(store.writes).toEqual([transfer]);
  });

  it('a move it refuses changes nothing and writes nothing: a late decline after Accept, a done for a declined file', async () => {
    const store = memoryStore();
    const accepted = { ...offer('in'), state: 'active' as const };
    expect(await moveTransfer(store, accepted, 'decline')).toBe(false);
    expect(accepted.state).toBe('active');
    const declined = { ...offer('out'), state: 'declined' as const };
    expect(await moveTransfer(store, declined, 'verified', { next: 1 })).toBe(false);
    expect(declined).toMatchObject({ state: 'declined', next: 0 });
    expect(store.writes).toEqual([]);
  });
});
