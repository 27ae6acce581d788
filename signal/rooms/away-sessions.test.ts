import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AwaySessions, type GracePeriod } from './away-sessions.js';

const session = (): GracePeriod => ({ graceTimer: null });

describe('AwaySessions', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('ends the grace period of a session when it runs out, not before', () => {
    const away = new AwaySessions({ graceMs: 1000 });
    const ended = vi.fn();
    expect(away.start(session(), ended)).toBe(true);
    expect(away.count).toBe(1);
    vi.advanceTimersByTime(999);
    expect(ended).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(ended).toHaveBeenCalledOnce();
  });

  it('stops counting a session that is back, and its grace period never ends', () => {
    const away = new AwaySessions({ graceMs: 1000 });
    const bob = session();
    const ended = vi.fn();
    away.start(bob, ended);
    away.end(bob);
    expect(away.count).toBe(0);
    expect(bob.graceTimer).toBeNull();
    vi.advanceTimersByTime(1000);
    expect(ended).not.toHaveBeenCalled();
  });

  it('lets no session be away without a grace period', () => {
    const away = new AwaySessions({ graceMs: 0, onFull: () => expect.fail('not full') });
    expect(away.start(session(), () => undefined)).toBe(false);
    expect(away.count).toBe(0);
  });

  it('refuses a session past the cap, says it is full, and takes one again once another is back', () => {
    const full = vi.fn();
    const away = new AwaySessions({ graceMs: 1000, max: 1, onFull: full });
    const bob = session();
    expect(away.start(bob, () => undefined)).toBe(true);
    const carol = session();
    expect(away.start(carol, () => undefined)).toBe(false);
    expect(carol.graceTimer).toBeNull();
    expect(full).toHaveBeenCalledOnce();
    away.end(bob);
    expect(away.start(carol, () => undefined)).toBe(true);
    expect(away.count).toBe(1);
  });

  it('stops the timers at shutdown, still counting the sessions away', () => {
    const away = new AwaySessions({ graceMs: 1000 });
    const bob = session();
    const ended = vi.fn();
    away.start(bob, ended);
    away.stop(bob);
    vi.advanceTimersByTime(1000);
    expect(ended).not.toHaveBeenCalled();
    expect(away.count).toBe(1);
  });
});
