import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PendingSignals, type HeldSignals, type PendingSignalLimits } from './pending-signals.js';

const peer = (): HeldSignals => ({ pending: [], pendingBytes: 0, handover: null });

describe('PendingSignals', () => {
  let full: number;
  const held = (limits: Partial<PendingSignalLimits> = {}) =>
    new PendingSignals({ perPeer: 3, handoverTimeoutMs: 1000, onFull: () => full++, ...limits });

  beforeEach(() => {
    full = 0;
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('holds signals in order up to the count and the bytes per peer, counting UTF-8 bytes', () => {
    const signals = held({ bytesPerPeer: 10 });
    const bob = peer();
    expect(signals.hold(bob, 'éé')).toBe(true);
    expect(signals.hold(bob, new Uint8Array(4))).toBe(true);
    expect(signals.hold(bob, 'abc')).toBe(false);
    expect(signals.hold(bob, 'ab')).toBe(true);
    expect(signals.hold(bob, '')).toBe(false);
    expect(bob.pending).toEqual(['éé', new Uint8Array(4), 'ab']);
    expect(bob.pendingBytes).toBe(10);
    expect(signals.bytes).toBe(10);
    expect(full).toBe(0);
  });

  it('refuses past the bytes of the whole process, and says it is full', () => {
    const signals = held({ bytes: 5 });
    const bob = peer();
    const carol = peer();
    expect(signals.hold(bob, 'abc')).toBe(true);
    expect(signals.hold(carol, 'abc')).toBe(false);
    expect(full).toBe(1);
    expect(signals.hold(carol, 'ab')).toBe(true);
    expect(signals.bytes).toBe(5);
  });

  it('keeps a copy of a frame that is a view into a larger buffer', () => {
    const signals = held();
    const bob = peer();
    const buffer = new Uint8Array([1, 2, 3, 4]);
    signals.hold(bob, buffer.subarray(1, 3));
    buffer.fill(0);
    expect(bob.pending).toEqual([new Uint8Array([2, 3])]);
    expect((bob.pending[0] as Uint8Array).buffer.byteLength).toBe(2);
  });

  it('gives the bytes back when the signals are taken out, and when they are dropped', () => {
    const signals = held();
    const bob = peer();
    const carol = peer();
    signals.hold(bob, 'abc');
    signals.hold(carol, 'de');
    expect(signals.take(bob)).toEqual(['abc']);
    expect(bob.pending).toEqual([]);
    expect(signals.bytes).toBe(2);
    expect(signals.drop(carol)).toEqual(['de']);
    expect(carol).toEqual(peer());
    expect(signals.bytes).toBe(0);
  });

  it('holds what arrives during a handover behind it, and hands it back when the handover comes', () => {
    const signals = held();
    const bob = peer();
    const timedOut = vi.fn();
    signals.awaitHandover(bob, timedOut);
    signals.hold(bob, 'late');
    expect(bob.pending).toEqual([]);
    expect(signals.bytes).toBe(4);
    expect(signals.endHandover(bob)).toEqual(['late']);
    expect(bob.handover).toBeNull();
    expect(signals.bytes).toBe(0);
    vi.advanceTimersByTime(1000);
    expect(timedOut).not.toHaveBeenCalled();
  });

  it('ends the wait for a handover that does not come', () => {
    const signals = held();
    const bob = peer();
    const timedOut = vi.fn();
    signals.awaitHandover(bob, timedOut);
    vi.advanceTimersByTime(999);
    expect(timedOut).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(timedOut).toHaveBeenCalledOnce();
  });

  it('drops what waited and what waits behind a handover, in order, and stops the wait', () => {
    const signals = held();
    const bob = peer();
    const timedOut = vi.fn();
    signals.hold(bob, 'first');
    signals.awaitHandover(bob, timedOut);
    signals.hold(bob, 'second');
    expect(signals.drop(bob)).toEqual(['first', 'second']);
    expect(signals.bytes).toBe(0);
    vi.advanceTimersByTime(1000);
    expect(timedOut).not.toHaveBeenCalled();
  });
});
