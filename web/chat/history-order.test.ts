import { describe, expect, it } from 'vitest';
import type { StoredMessage } from '../storage/database.js';
import { inStoredOrder } from './history-order.js';

const entry = (id: string, at: number): StoredMessage => ({ id, conversation: 'c', direction: 'in', text: id, sentAt: at, at, status: 'delivered', receiptSent: 0 });

describe('inStoredOrder', () => {
  it('puts a new entry last, and one the store placed earlier before the entries stored after its time', () => {
    const history = [entry('a', 1), entry('b', 2), entry('c', 3)];
    expect(inStoredOrder(history, entry('d', 4)).map((m) => m.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(inStoredOrder(history, entry('late', 1.9999)).map((m) => m.id)).toEqual(['a', 'late', 'b', 'c']);
    expect(inStoredOrder([], entry('x', 1)).map((m) => m.id)).toEqual(['x']);
    // The history given is left as it was.
    expect(history.map((m) => m.id)).toEqual(['a', 'b', 'c']);
  });
});
