/**
 * Several signal processes serving one service through a real Redis (started
 * here, on loopback): the members of a room may be connected to different
 * processes and get the same service as on one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchSignal, type SignalProcess } from '../support/signal-process.js';
import { metricsOf, sample } from './support/metrics.js';
import { RedisServer } from './support/redis-server.js';
import { TestClient, presenceAroundADrop, randomRoom, type Message } from './support/test-client.js';

const GRACE_MS = 2000;
/** A stopped process is given up after 5 s of silence (or the grace period, if longer), checked every second. */
const DEAD_PROCESS_NOTICED_MS = 5000 + GRACE_MS + 3000;

interface RunningProcess {
  process: SignalProcess;
  wsUrl: string;
  readyz(): Promise<{ status: number; text: string }>;
  /** One sample of its /metrics. */
  metric(series: string): Promise<number>;
}

let redis: RedisServer;
const launched: RunningProcess[] = [];

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function launch(): Promise<RunningProcess> {
  const process = launchSignal({ REDIS_URL: redis.url, RESUME_GRACE_MS: String(GRACE_MS), MAX_ROOM_SIZE: '3' });
  const port = await process.listening;
  const readyz = async () => {
    const response = await fetch(`http://127.0.0.1:${port}/readyz`);
    return { status: response.status, text: await response.text() };
  };
  const metric = async (series: string) => sample(await metricsOf(`http://127.0.0.1:${port}`), series);
  const running = { process, wsUrl: `ws://127.0.0.1:${port}/ws`, readyz, metric };
  launched.push(running);
  await until('the process to be ready', async () => ((await readyz()).status === 200 ? true : undefined));
  return running;
}

const presence = (messages: Message[]) => messages.filter((m) => m.type === 'peer-joined' || m.type === 'peer-left');

let one: RunningProcess;
let two: RunningProcess;
let three: RunningProcess;

beforeAll(async () => {
  redis = await RedisServer.start();
  [one, two, three] = await Promise.all([launch(), launch(), launch()]);
});

afterAll(async () => {
  for (const { process } of launched) if (process.child.exitCode === null) process.child.kill('SIGKILL');
  await redis.stop();
});

describe('one room across processes', () => {
  it('shows each member to the others, whichever process they are on, and relays between them with the sender set by the server', async () => {
    const room = randomRoom();
    const [alice, a] = await TestClient.join(one.wsUrl, room, 'Alice');
    const [bob, b] = await TestClient.join(two.wsUrl, room, 'Bob');
    expect(b.peers).toEqual([{ id: a.id, name: 'Alice' }]);
    expect(await alice.next('peer-joined')).toEqual({ type: 'peer-joined', peer: { id: b.id, name: 'Bob' } });
    const [carol, c] = await TestClient.join(three.wsUrl, room, 'Carol');
    expect(new Set((c.peers as Array<{ id: string }>).map((p) => p.id))).toEqual(new Set([a.id, b.id]));
    expect(await alice.next('peer-joined')).toMatchObject({ peer: { id: c.id } });
    expect(await bob.next('peer-joined')).toMatchObject({ peer: { id: c.id } });

    const offer = { kind: 'description', description: { type: 'offer', sdp: 'v=0\r\n'.repeat(50) } };
    alice.send({ type: 'signal', to: b.id, from: c.id, data: offer });
    expect(await bob.next('signal')).toEqual({ type: 'signal', from: a.id, data: offer });
    bob.send({ type: 'signal', to: c.id, data: { n: 1 } });
    expect(await carol.next('signal')).toEqual({ type: 'signal', from: b.id, data: { n: 1 } });
    carol.send({ type: 'signal', to: a.id, data: { n: 2 } });
    expect(await alice.next('signal')).toEqual({ type: 'signal', from: c.id, data: { n: 2 } });
    // A later signal from Alice to Carol is the next one Carol gets: Alice's first, for Bob, did not reach her.
    alice.send({ type: 'signal', to: c.id, data: { n: 3 } });
    expect(await carol.next('signal')).toEqual({ type: 'signal', from: a.id, data: { n: 3 } });
    expect(carol.received.filter((m) => m.type === 'signal')).toEqual([]);

    bob.send({ type: 'leave' });
    expect(await alice.next('peer-left')).toEqual({ type: 'peer-left', id: b.id });
    expect(await carol.next('peer-left')).toEqual({ type: 'peer-left', id: b.id });
    bob.close();
    // Dan drops from Bob's process after Bob's socket closed: Alice hears of Dan alone, not of Bob a second time.
    const { dan, told } = await presenceAroundADrop(two.wsUrl, room, alice, GRACE_MS + 5000);
    expect(told).toEqual([{ type: 'peer-joined', peer: { id: dan, name: 'Dan' } }, { type: 'peer-left', id: dan }]);
    expect(await carol.next('peer-joined')).toEqual({ type: 'peer-joined', peer: { id: dan, name: 'Dan' } });
    expect(await carol.next('peer-left', GRACE_MS + 5000)).toEqual({ type: 'peer-left', id: dan });
    expect(presence(await carol.drain(0))).toEqual([]);
    alice.close();
    carol.close();
  });

  it('keeps rooms apart across processes', async () => {
    const [alice, a] = await TestClient.join(one.wsUrl, randomRoom(), 'Alice');
    const elsewhere = randomRoom();
    const [mallory] = await TestClient.join(two.wsUrl, elsewhere, 'Mallory');
    const [trudy] = await TestClient.join(one.wsUrl, elsewhere, 'Trudy');
    await mallory.next('peer-joined');
    mallory.send({ type: 'signal', to: a.id, data: { sdp: 'x' } });
    trudy.send({ type: 'signal', to: a.id, data: { sdp: 'y' } });
    expect(await mallory.next('error')).toMatchObject({ code: 'unknown-peer' });
    expect(await trudy.next('error')).toMatchObject({ code: 'unknown-peer' });
    const seen = await alice.drain(300);
    expect(seen.filter((m) => m.type === 'signal' || m.type === 'peer-joined')).toEqual([]);
    for (const client of [alice, mallory, trudy]) client.close();
  });

  it('counts members on every process against the room size', async () => {
    const room = randomRoom();
    const clients = [
      (await TestClient.join(one.wsUrl, room, 'A'))[0],
      (await TestClient.join(two.wsUrl, room, 'B'))[0],
      (await TestClient.join(three.wsUrl, room, 'C'))[0],
    ];
    const late = await TestClient.connect(one.wsUrl);
    late.send({ type: 'join', room, name: 'D' });
    expect(await late.next('error')).toMatchObject({ code: 'room-full' });
    for (const client of [...clients, late]) client.close();
  });
});

describe('resume across processes', () => {
  it('gives a dropped client its place back on another process, with the signals that waited for it, and no flap for the others', async () => {
    const room = randomRoom();
    const [alice, a] = await TestClient.join(one.wsUrl, room, 'Alice');
    const [bob, b] = await TestClient.join(two.wsUrl, room, 'Bob');
    await alice.next('peer-joined');
    const awayBefore = await two.metric('whisper_peers_away');
    const heldBefore = await two.metric('whisper_pending_signal_bytes');
    bob.kill();
    await until('Bob to be away on his process', async () => ((await two.metric('whisper_peers_away')) === awayBefore + 1 ? true : undefined));
    alice.send({ type: 'signal', to: b.id, data: { n: 1 } });
    alice.send({ type: 'signal', to: b.id, data: { n: 2 } });
    // Both have crossed to Bob's process, which holds them for him.
    const bytes = (n: number) => Buffer.byteLength(JSON.stringify({ type: 'signal', from: a.id, data: { n } }));
    await until('the signals to wait on his process', async () => ((await two.metric('whisper_pending_signal_bytes')) === heldBefore + bytes(1) + bytes(2) ? true : undefined));

    const [bob2, resumed] = await TestClient.join(three.wsUrl, room, 'Bob', { resume: b.resumeToken as string });
    expect(resumed).toMatchObject({ id: b.id, resumed: true, peers: [{ id: a.id, name: 'Alice' }] });
    expect([await bob2.next('signal'), await bob2.next('signal')]).toEqual([
      { type: 'signal', from: a.id, data: { n: 1 } },
      { type: 'signal', from: a.id, data: { n: 2 } },
    ]);
    bob2.send({ type: 'signal', to: a.id, data: { back: true } });
    expect(await alice.next('signal')).toEqual({ type: 'signal', from: b.id, data: { back: true } });
    alice.send({ type: 'signal', to: b.id, data: { n: 3 } });
    expect(await bob2.next('signal')).toEqual({ type: 'signal', from: a.id, data: { n: 3 } });
    // Dan drops from Bob's first process after Bob did: Alice hears of his join and leave, and of nothing else.
    const { dan, told } = await presenceAroundADrop(two.wsUrl, room, alice, GRACE_MS + 5000);
    expect(told).toEqual([{ type: 'peer-joined', peer: { id: dan, name: 'Dan' } }, { type: 'peer-left', id: dan }]);
    expect(presence(await alice.drain(0))).toEqual([]);
    alice.close();
    bob2.close();
  });

  it('moves a live session to a connection on another process and closes the old one with 4001', async () => {
    const room = randomRoom();
    const [alice] = await TestClient.join(three.wsUrl, room, 'Alice');
    const [bob, b] = await TestClient.join(one.wsUrl, room, 'Bob');
    await alice.next('peer-joined');
    const [bob2, resumed] = await TestClient.join(two.wsUrl, room, 'Bob', { resume: b.resumeToken as string });
    expect(resumed).toMatchObject({ id: b.id, resumed: true });
    expect((await bob.closed).code).toBe(4001);
    // Dan drops from the process of Bob's old connection, after it was closed: Alice hears of Dan alone.
    const { dan, told } = await presenceAroundADrop(one.wsUrl, room, alice, GRACE_MS + 5000);
    expect(told).toEqual([{ type: 'peer-joined', peer: { id: dan, name: 'Dan' } }, { type: 'peer-left', id: dan }]);
    expect(presence(await alice.drain(0))).toEqual([]);
    alice.close();
    bob2.close();
  });

  it('does not resume into another room from another process', async () => {
    const [bob, b] = await TestClient.join(one.wsUrl, randomRoom(), 'Bob');
    bob.kill();
    const [other, welcome] = await TestClient.join(two.wsUrl, randomRoom(), 'Bob', { resume: b.resumeToken as string });
    expect(welcome.resumed).toBe(false);
    expect(welcome.id).not.toBe(b.id);
    other.close();
  });
});

describe('a process that dies', () => {
  it('is noticed by the others, which report its clients gone; one of them that comes back in time keeps its place', { timeout: 40_000 }, async () => {
    const doomed = await launch();
    const room = randomRoom();
    const [alice, a] = await TestClient.join(one.wsUrl, room, 'Alice');
    const [, b] = await TestClient.join(doomed.wsUrl, room, 'Bob');
    const [, c] = await TestClient.join(doomed.wsUrl, room, 'Carol');
    await alice.next('peer-joined');
    await alice.next('peer-joined');

    doomed.process.child.kill('SIGKILL');
    const [carol2, resumed] = await TestClient.join(two.wsUrl, room, 'Carol', { resume: c.resumeToken as string });
    expect(resumed).toMatchObject({ id: c.id, resumed: true });

    expect(await alice.next('peer-left', DEAD_PROCESS_NOTICED_MS)).toEqual({ type: 'peer-left', id: b.id });
    expect(await carol2.next('peer-left', 2000)).toEqual({ type: 'peer-left', id: b.id });
    expect(presence(await alice.drain(1000))).toEqual([]);
    carol2.send({ type: 'signal', to: a.id, data: { still: 'here' } });
    expect(await alice.next('signal')).toEqual({ type: 'signal', from: c.id, data: { still: 'here' } });
    alice.close();
    carol2.close();
  });
});

describe('Redis restarting', () => {
  it('reports not ready while Redis is away, then recovers with rooms as they were', { timeout: 60_000 }, async () => {
    const room = randomRoom();
    const [alice, a] = await TestClient.join(one.wsUrl, room, 'Alice');
    const [bob, b] = await TestClient.join(two.wsUrl, room, 'Bob');
    await alice.next('peer-joined');

    await redis.stop();
    expect(await until('not ready', async () => {
      const ready = await one.readyz();
      return ready.status === 503 ? ready.text : undefined;
    })).toBe('not ready: redis unavailable');
    // Rooms cannot cross processes meanwhile, and the sender is told; a join waits a few seconds, then is told to come back later.
    alice.send({ type: 'signal', to: b.id, data: { lost: true } });
    expect(await alice.next('error')).toMatchObject({ code: 'peer-unreachable' });
    const newcomer = await TestClient.connect(three.wsUrl);
    newcomer.send({ type: 'join', room, name: 'Newcomer' });
    expect(await newcomer.closed).toEqual({ code: 1013, reason: 'rooms are unavailable; try again later' });

    await redis.start();
    for (const process of [one, two, three]) {
      await until('ready again', async () => ((await process.readyz()).status === 200 ? true : undefined), 20_000);
    }
    alice.send({ type: 'signal', to: b.id, data: { n: 1 } });
    expect(await bob.next('signal')).toEqual({ type: 'signal', from: a.id, data: { n: 1 } });
    bob.send({ type: 'signal', to: a.id, data: { n: 2 } });
    expect(await alice.next('signal')).toEqual({ type: 'signal', from: b.id, data: { n: 2 } });

    // The directory knows both again: a newcomer on a third process sees them, and they see it.
    const [carol, c] = await TestClient.join(three.wsUrl, room, 'Carol');
    expect(new Set((c.peers as Array<{ id: string }>).map((p) => p.id))).toEqual(new Set([a.id, b.id]));
    expect(await alice.next('peer-joined')).toMatchObject({ peer: { id: c.id } });
    expect(await bob.next('peer-joined')).toMatchObject({ peer: { id: c.id } });
    // Nobody was seen to leave. The control: Carol leaves, and Dan, on a process killed now, is told gone once the
    // others have noticed its silence, which takes longer than any check that could have taken Alice's or Bob's
    // process for dead after Redis's absence: each hears of those two alone, in that order.
    carol.close();
    for (const client of [alice, bob]) expect(await client.next('peer-left')).toEqual({ type: 'peer-left', id: c.id });
    const doomed = await launch();
    const [, d] = await TestClient.join(doomed.wsUrl, room, 'Dan');
    doomed.process.child.kill('SIGKILL');
    for (const client of [alice, bob]) {
      expect(await client.next('peer-left', DEAD_PROCESS_NOTICED_MS)).toEqual({ type: 'peer-left', id: d.id });
      expect(presence(await client.drain(0))).toEqual([{ type: 'peer-joined', peer: { id: d.id, name: 'Dan' } }]);
    }
    for (const client of [alice, bob]) client.close();
  });
});
