import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchSignal, type SignalProcess } from '../support/signal-process.js';
import { RedisServer } from './support/redis-server.js';
import { startTestSignal, type RunningSignal } from './support/signal-harness.js';
import { TestClient, randomRoom, type Message } from './support/test-client.js';
import { until } from './support/metrics.js';

const SECRET = 'correct horse battery staple';
const TTL_SECONDS = 12;
const TURN = {
  STUN_URLS: 'stun:127.0.0.1:3478',
  TURN_URLS: 'turn:127.0.0.1:3478?transport=udp, turn:127.0.0.1:3478?transport=tcp',
  TURN_SECRET: SECRET,
  TURN_TTL_SECONDS: String(TTL_SECONDS),
};

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

/** A welcome or ice-servers message with TURN: its TURN server checked, and that server returned. */
function turnIn(message: Message): IceServer {
  const servers = message.iceServers as IceServer[];
  expect(servers[0]).toEqual({ urls: ['stun:127.0.0.1:3478'] });
  checkTurnServer(servers[1], message.iceServersExpireAt as number);
  return servers[1]!;
}

/** A welcome to a member alone in its room: STUN only, and nothing said of a refusal (there was none). */
function expectNoTurn(welcome: Message) {
  expect(welcome.iceServers).toEqual([{ urls: ['stun:127.0.0.1:3478'] }]);
  expect(welcome.iceServersExpireAt).toBeNull();
  expect(welcome).not.toHaveProperty('relayRefused');
}

describe('TURN credentials', () => {
  let signal: RunningSignal;
  beforeAll(async () => {
    signal = await startTestSignal(TURN);
  });
  afterAll(() => signal.stop());

  it('gives a member alone in its room no TURN credentials, then each member theirs once someone else is there, before hearing who', async () => {
    const room = randomRoom();
    const [alice, a] = await TestClient.join(signal.wsUrl, room, 'Alice');
    expectNoTurn(a);
    const [bob, b] = await TestClient.join(signal.wsUrl, room, 'Bob');
    const bobs = turnIn(b);
    // Alice's app makes its connection to Bob when it hears of him: by then it has the relay.
    await until('Alice to hear of Bob', async () => alice.received.length === 2);
    expect(alice.received.map((m) => m.type)).toEqual(['ice-servers', 'peer-joined']);
    const alices = turnIn(await alice.next('ice-servers'));
    expect(alices.username).not.toBe(bobs.username);
    expect(await alice.next('peer-joined')).toMatchObject({ peer: { id: b.id } });

    // A third member gets credentials in its welcome; those who hold some get none again.
    const [carol, c] = await TestClient.join(signal.wsUrl, room, 'Carol');
    turnIn(c);
    await alice.next('peer-joined');
    await bob.next('peer-joined');
    expect([...(await alice.drain(300)), ...(await bob.drain(0))].filter((m) => m.type === 'ice-servers')).toEqual([]);
    for (const client of [alice, bob, carol]) client.close();
  });

  it('hands out time-limited TURN credentials that the HMAC scheme verifies, and refreshes them before expiry while someone else is there', { timeout: 20_000 }, async () => {
    const room = randomRoom();
    const [bob] = await TestClient.join(signal.wsUrl, room, 'Bob');
    const before = Date.now();
    const [alice, welcome] = await TestClient.join(signal.wsUrl, room, 'Alice');
    const expiresAt = welcome.iceServersExpireAt as number;
    const first = turnIn(welcome);
    // Whole seconds, counted from the moment the server issued them (between `before` and now).
    expect(expiresAt - before).toBeGreaterThan((TTL_SECONDS - 1) * 1000);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(TTL_SECONDS * 1000);

    const refresh = await alice.next('ice-servers', TTL_SECONDS * 1000);
    expect(Date.now()).toBeLessThan(expiresAt);
    const fresh = turnIn(refresh);
    expect(refresh.iceServersExpireAt as number).toBeGreaterThan(expiresAt);
    expect(fresh.username).not.toBe(first.username);
    alice.close();
    bob.close();
  });
});

describe('TURN credentials of members alone', () => {
  let signal: RunningSignal;
  beforeAll(async () => {
    signal = await startTestSignal({ ...TURN, TURN_CREDENTIALS_PER_HOUR: '2' });
  });
  afterAll(() => signal.stop());

  it("do not use up the address's credentials: joins into empty rooms take none, and the address still has its two when company comes", async () => {
    const alice = await TestClient.connect(signal.wsUrl);
    for (let i = 0; i < 5; i++) {
      alice.send({ type: 'join', room: randomRoom(), name: 'Alice' });
      expectNoTurn(await alice.next('welcome'));
      alice.send({ type: 'leave' });
    }
    const room = randomRoom();
    alice.send({ type: 'join', room, name: 'Alice' });
    expectNoTurn(await alice.next('welcome'));
    const [bob, b] = await TestClient.join(signal.wsUrl, room, 'Bob', { localAddress: '127.0.0.3' });
    turnIn(b);
    turnIn(await alice.next('ice-servers'));

    // The second of the address's two goes to a member who joins someone; the third join in company is refused, and says so.
    const [carol, c] = await TestClient.join(signal.wsUrl, room, 'Carol');
    turnIn(c);
    const [dan, d] = await TestClient.join(signal.wsUrl, room, 'Dan');
    expect(d.iceServers).toEqual([{ urls: ['stun:127.0.0.1:3478'] }]);
    expect(d.relayRefused).toBe('no relay (TURN) credentials for now: this address had its 2 for the hour');
    for (const client of [alice, bob, carol, dan]) client.close();
  });
});

describe('TURN credentials with rooms shared through Redis', () => {
  let redis: RedisServer;
  const processes: SignalProcess[] = [];
  const wsUrls: string[] = [];
  beforeAll(async () => {
    redis = await RedisServer.start();
    for (let i = 0; i < 2; i++) {
      const process = launchSignal({ ...TURN, REDIS_URL: redis.url });
      processes.push(process);
      const port = await process.listening;
      wsUrls.push(`ws://127.0.0.1:${port}/ws`);
      await until('the process to be ready', async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, 15_000);
    }
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await redis.stop();
  });

  it('gives a member alone on one process its credentials when someone joins it on another', async () => {
    const room = randomRoom();
    const [alice, a] = await TestClient.join(wsUrls[0]!, room, 'Alice');
    expectNoTurn(a);
    const [bob, b] = await TestClient.join(wsUrls[1]!, room, 'Bob');
    expect(b.peers).toMatchObject([{ id: a.id }]);
    turnIn(b);
    turnIn(await alice.next('ice-servers'));
    expect(await alice.next('peer-joined')).toMatchObject({ peer: { id: b.id } });

    // Bob's credentials came with his welcome: he gets none again, neither when he joined (whatever his process
    // sent him then came before the pong) nor when Alice got hers.
    await bob.roundTrip();
    expect(bob.received.filter((m) => m.type === 'ice-servers')).toEqual([]);
    alice.close();
    bob.close();
  });
});

describe('without TURN', () => {
  let signal: RunningSignal;
  beforeAll(async () => {
    signal = await startTestSignal();
  });
  afterAll(() => signal.stop());

  it('hands out no ICE servers at all by default: no third party is contacted', async () => {
    const room = randomRoom();
    const [client, welcome] = await TestClient.join(signal.wsUrl, room, 'Alice');
    expect(welcome.iceServers).toEqual([]);
    expect(welcome.iceServersExpireAt).toBeNull();
    const [other, second] = await TestClient.join(signal.wsUrl, room, 'Bob');
    expect(second.iceServers).toEqual([]);
    await client.next('peer-joined');
    await client.roundTrip();
    expect(client.received.filter((m) => m.type === 'ice-servers')).toEqual([]);
    client.close();
    other.close();
  });
});
