import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSignal, type RunningSignal } from './support/signal-harness.js';
import { TestClient, randomRoom } from './support/test-client.js';

const SECRET = 'correct horse battery staple';
const TTL_SECONDS = 12;

interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

function checkTurnServer(server: IceServer | undefined, expiresAt: number) {
  expect(server?.urls).toEqual(['turn:127.0.0.1:3478?transport=udp', 'turn:127.0.0.1:3478?transport=tcp']);
  const [expiry, id] = server!.username!.split(':');
  expect(Number(expiry) * 1000).toBe(expiresAt);
  expect(id).toMatch(/^[A-Za-z0-9_-]{16}$/);
  // What coturn computes with use-auth-secret / static-auth-secret:
  expect(server!.credential).toBe(createHmac('sha1', SECRET).update(server!.username!).digest('base64'));
}

describe('TURN credentials', () => {
  let signal: RunningSignal;
  beforeAll(async () => {
    signal = await startTestSignal({
      STUN_URLS: 'stun:127.0.0.1:3478',
      TURN_URLS: 'turn:127.0.0.1:3478?transport=udp, turn:127.0.0.1:3478?transport=tcp',
      TURN_SECRET: SECRET,
      TURN_TTL_SECONDS: String(TTL_SECONDS),
    });
  });
  afterAll(() => signal.stop());

  it('hands out time-limited TURN credentials that the HMAC scheme verifies, and refreshes them before expiry', { timeout: 20_000 }, async () => {
    const before = Date.now();
    const [client, welcome] = await TestClient.join(signal.wsUrl, randomRoom(), 'Alice');
    const iceServers = welcome.iceServers as IceServer[];
    const expiresAt = welcome.iceServersExpireAt as number;
    expect(iceServers[0]).toEqual({ urls: ['stun:127.0.0.1:3478'] });
    checkTurnServer(iceServers[1], expiresAt);
    // Whole seconds, counted from the moment the server issued them (between `before` and now).
    expect(expiresAt - before).toBeGreaterThan((TTL_SECONDS - 1) * 1000);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(TTL_SECONDS * 1000);

    const refresh = await client.next('ice-servers', TTL_SECONDS * 1000);
    const refreshedAt = Date.now();
    expect(refreshedAt).toBeLessThan(expiresAt);
    const fresh = refresh.iceServers as IceServer[];
    checkTurnServer(fresh[1], refresh.iceServersExpireAt as number);
    expect(refresh.iceServersExpireAt as number).toBeGreaterThan(expiresAt);
    expect(fresh[1]!.username).not.toBe(iceServers[1]!.username);
    client.close();
  });

  it('gives two clients different usernames', async () => {
    const room = randomRoom();
    const [a, wa] = await TestClient.join(signal.wsUrl, room, 'A');
    const [b, wb] = await TestClient.join(signal.wsUrl, room, 'B');
    expect((wa.iceServers as IceServer[])[1]!.username).not.toBe((wb.iceServers as IceServer[])[1]!.username);
    a.close();
    b.close();
  });
});

describe('without TURN', () => {
  let signal: RunningSignal;
  beforeAll(async () => {
    signal = await startTestSignal();
  });
  afterAll(() => signal.stop());

  it('hands out no ICE servers at all by default: no third party is contacted', async () => {
    const [client, welcome] = await TestClient.join(signal.wsUrl, randomRoom(), 'Alice');
    expect(welcome.iceServers).toEqual([]);
    expect(welcome.iceServersExpireAt).toBeNull();
    client.close();
  });
});
