import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSignal, type RunningSignal } from './support/signal-harness.js';
import { TestClient, randomRoom } from './support/test-client.js';

const IDLE_TIMEOUT_SECONDS = 8;
let signal: RunningSignal;
beforeAll(async () => {
  signal = await startTestSignal({ IDLE_TIMEOUT_SECONDS: String(IDLE_TIMEOUT_SECONDS), RESUME_GRACE_MS: '0' });
});
afterAll(() => signal.stop());

describe('heartbeats', () => {
  it('detects a client that stopped answering, and keeps an idle one that answers pings', { timeout: 40_000 }, async () => {
    const room = randomRoom();
    const [watcher] = await TestClient.join(signal.wsUrl, room, 'Watcher');
    const [idle] = await TestClient.join(signal.wsUrl, room, 'Idle but alive');
    const [dead, d] = await TestClient.join(signal.wsUrl, room, 'Dead', { deaf: true });
    const started = Date.now();

    expect(await watcher.next('peer-left', 3 * IDLE_TIMEOUT_SECONDS * 1000)).toEqual({ type: 'peer-left', id: d.id });
    // Never before the client has been idle for half the timeout (a bound a slow machine only makes looser).
    expect((Date.now() - started) / 1000).toBeGreaterThan(IDLE_TIMEOUT_SECONDS / 2);
    expect((await dead.closed).code).not.toBe(1000);

    // The idle one that answers is pinged again after Dead was dropped (both went quiet together): the server went
    // past the point where it drops a client that does not answer, and kept this one.
    await Promise.race([
      once(idle.socket, 'ping'),
      idle.closed.then(({ code }) => {
        throw new Error(`the idle client that answers pings was dropped (${code})`);
      }),
    ]);
    expect(idle.socket.readyState).toBe(idle.socket.OPEN);
    expect((await watcher.drain(0)).filter((m) => m.type === 'peer-left')).toEqual([]);
    for (const c of [watcher, idle]) c.close();
  });
});
