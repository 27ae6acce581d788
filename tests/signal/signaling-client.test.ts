/** The app's signaling client (web/) against a real server, through Node's `ws` as its WebSocket. */
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { SignalingClient, type SignalingEventMap } from '../../web/signaling/signaling-client.js';
import { metricsOf, sample, until } from './support/metrics.js';
import { startTestSignal, type RunningSignal } from './support/signal-harness.js';
import { TestClient, randomRoom } from './support/test-client.js';

let signal: RunningSignal;
beforeAll(async () => {
  signal = await startTestSignal({ RESUME_GRACE_MS: '5000' });
});
afterAll(() => signal.stop());

/** Records the sockets the client opens, so a test can cut one like a lost network would. */
const sockets: WebSocket[] = [];
class RecordedWebSocket extends WebSocket {
  constructor(url: string) {
    super(url);
    sockets.push(this);
  }
}

function client(room: string, name: string) {
  const c = new SignalingClient({
    url: signal.wsUrl,
    room,
    name,
    WebSocket: RecordedWebSocket as unknown as typeof globalThis.WebSocket,
    minReconnectDelayMs: 20,
    heartbeatMs: 200,
  });
  const events: Array<{ type: string; detail: unknown }> = [];
  for (const type of ['wh-welcome', 'wh-peer-joined', 'wh-peer-left', 'wh-signal', 'wh-server-error', 'wh-state'] as const) {
    c.addEventListener(type, (event) => events.push({ type, detail: event.detail }));
  }
  return { c, events };
}

function nextEvent<K extends keyof SignalingEventMap>(c: SignalingClient, type: K, timeoutMs = 5000): Promise<SignalingEventMap[K]['detail']> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} within ${timeoutMs} ms`)), timeoutMs);
    c.addEventListener(type, (event) => {
      clearTimeout(timer);
      resolve(event.detail);
    }, { once: true });
  });
}

describe('SignalingClient', () => {
  it('joins, sees the other, and exchanges signals', async () => {
    const room = randomRoom();
    const alice = client(room, 'Alice');
    alice.c.start();
    await nextEvent(alice.c, 'wh-welcome');
    const bob = client(room, 'Bob');
    const joined = nextEvent(alice.c, 'wh-peer-joined');
    bob.c.start();
    const bobWelcome = await nextEvent(bob.c, 'wh-welcome');
    expect(bobWelcome.peers).toEqual([{ id: alice.c.selfId, name: 'Alice' }]);
    expect(await joined).toEqual({ id: bob.c.selfId, name: 'Bob' });

    expect(bob.c.sendSignal(alice.c.selfId!, { kind: 'description', sdp: 'v=0' })).toBe(true);
    expect(await nextEvent(alice.c, 'wh-signal')).toEqual({ from: bob.c.selfId, data: { kind: 'description', sdp: 'v=0' } });

    bob.c.stop();
    expect(await nextEvent(alice.c, 'wh-peer-left')).toEqual({ id: bobWelcome.id });
    expect(bob.c.state).toBe('closed');
    alice.c.stop();
  });

  it('comes back by itself after a dropped connection, with the same id and no flap for the others', async () => {
    const room = randomRoom();
    const alice = client(room, 'Alice');
    const bob = client(room, 'Bob');
    alice.c.start();
    await nextEvent(alice.c, 'wh-welcome');
    const joined = nextEvent(alice.c, 'wh-peer-joined');
    bob.c.start();
    await nextEvent(bob.c, 'wh-welcome');
    const bobId = bob.c.selfId;
    await joined;

    sockets.at(-1)!.terminate();
    const resumed = await nextEvent(bob.c, 'wh-welcome');
    expect(resumed).toMatchObject({ id: bobId, resumed: true });
    expect(bob.events.filter((e) => e.type === 'wh-state').map((e) => e.detail)).toEqual(['connecting', 'open', 'reconnecting', 'open']);

    bob.c.sendSignal(alice.c.selfId!, { after: 'drop' });
    expect(await nextEvent(alice.c, 'wh-signal')).toEqual({ from: bobId, data: { after: 'drop' } });
    expect(alice.events.filter((e) => e.type === 'wh-peer-left' || e.type === 'wh-peer-joined')).toHaveLength(1);
    alice.c.stop();
    bob.c.stop();
  });

  it('replaces a half-open connection that stopped answering heartbeats', async () => {
    const alice = client(randomRoom(), 'Alice');
    alice.c.start();
    const first = await nextEvent(alice.c, 'wh-welcome');
    // Silence the socket the way a dead NAT mapping does: nothing arrives any more.
    sockets.at(-1)!.removeAllListeners('message');
    const socket = sockets.at(-1)!;
    const { _socket: raw } = socket as unknown as { _socket: { pause(): void } };
    raw.pause();
    const again = await nextEvent(alice.c, 'wh-welcome', 3000);
    expect(again).toMatchObject({ id: first.id, resumed: true });
    alice.c.stop();
  });

  it('back in front after its timers were stopped (a frozen page), asks a silent connection at once and replaces it if it stays silent; a live one stays', async () => {
    // The page's timers stand still while it is frozen: no heartbeat runs (setInterval is faked and never fires).
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    onTestFinished(() => void vi.useRealTimers());
    const alice = client(randomRoom(), 'Alice');
    alice.c.start();
    const first = await nextEvent(alice.c, 'wh-welcome');
    const quiet = () => new Promise((resolve) => setTimeout(resolve, 250)); // more than heartbeatMs (200) without a word
    // A live connection answers the question: nothing is replaced.
    await quiet();
    alice.c.checkNow();
    await expect(nextEvent(alice.c, 'wh-welcome', 3500)).rejects.toThrow('no wh-welcome');
    // The phone closed the socket without a word while the page was frozen.
    const socket = sockets.at(-1)!;
    socket.removeAllListeners('message');
    (socket as unknown as { _socket: { pause(): void } })._socket.pause();
    await quiet();
    alice.c.checkNow();
    expect(await nextEvent(alice.c, 'wh-welcome', 4500)).toMatchObject({ id: first.id, resumed: true });
    alice.c.stop();
  }, 15_000);

  it("reports the server's errors", async () => {
    const alice = client(randomRoom(), 'Alice');
    alice.c.start();
    await nextEvent(alice.c, 'wh-welcome');
    alice.c.sendSignal('nobody-at-all', {});
    expect(await nextEvent(alice.c, 'wh-server-error')).toMatchObject({ code: 'unknown-peer' });
    alice.c.stop();
  });

  it('drops frames that do not match the protocol (a hostile or broken server)', async () => {
    // The real server never sends these, so a stand-in server plays the hostile one.
    const hostile = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => hostile.once('listening', r));
    const room = randomRoom();
    hostile.on('connection', (socket) => {
      socket.send('not json');
      socket.send(JSON.stringify({ type: 'signal', from: 'x', data: '<img src=x onerror=alert(1)>' }));
      socket.send(JSON.stringify({ type: 'peer-joined', peer: { id: 'peer-00000001', name: 'Eve\u202Enimda' } }));
      socket.send(JSON.stringify({ type: 'peer-joined', peer: { id: 'peer-00000002', name: 'Grace' } }));
    });
    const { port } = hostile.address() as { port: number };
    const alice = new SignalingClient({ url: `ws://127.0.0.1:${port}`, room, name: 'Alice', WebSocket: WebSocket as unknown as typeof globalThis.WebSocket });
    const seen: unknown[] = [];
    alice.addEventListener('wh-peer-joined', (event) => seen.push(event.detail));
    alice.addEventListener('wh-signal', (event) => seen.push(event.detail));
    // Grace's is the last frame: once she is seen, every frame before it has been handled.
    const last = nextEvent(alice, 'wh-peer-joined');
    const warnings: unknown[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => warnings.push(args);
    try {
      alice.start();
      await last;
    } finally {
      console.warn = warn;
      alice.stop();
      hostile.close();
    }
    expect(seen).toEqual([{ id: 'peer-00000002', name: 'Grace' }]);
    expect(warnings).toHaveLength(3);
  });
});

/**
 * Turned away by the per-address limits (everyone here is 127.0.0.1): the client knows why, says so through
 * `refusal`, and comes in by itself when the server said it could, or at once when asked.
 */
describe('SignalingClient refused by the per-address limits', () => {
  /**
   * Stops the server's clock until the test moves it on: its limits read performance.now(), and this server runs
   * in the test's own process. A bucket emptied here stays empty however long this machine takes to empty it,
   * and fills again when the test lets the time the server asked for pass. The client waits on the real clock.
   */
  function stopServerClock(): void {
    vi.useFakeTimers({ toFake: ['performance'] });
    onTestFinished(() => void vi.useRealTimers());
  }

  async function limited(env: Record<string, string>) {
    const server = await startTestSignal(env);
    const make = (name: string) =>
      new SignalingClient({ url: server.wsUrl, room: randomRoom(), name, WebSocket: RecordedWebSocket as unknown as typeof globalThis.WebSocket, minReconnectDelayMs: 20, heartbeatMs: 5000 });
    return { server, make };
  }

  it('too many connections: the refusal is known in words, and Try again now comes in once a place is free', async () => {
    const { server, make } = await limited({ CONNECTIONS_PER_ADDRESS: '2' });
    const [a, b, c] = [make('A'), make('B'), make('C')];
    a.start();
    b.start();
    await Promise.all([nextEvent(a, 'wh-welcome'), nextEvent(b, 'wh-welcome')]);
    const refused = nextEvent(c, 'wh-refusal');
    c.start();
    const refusal = await refused;
    expect(refusal).toMatchObject({ code: 'too-many-connections', message: 'at most 2 connections at once from one address' });
    // It waits about half a minute by itself, not a reconnect loop that would count against the address.
    expect(refusal!.retryAt - Date.now()).toBeGreaterThan(20_000);
    expect(c.state).toBe('connecting');
    expect(c.refusal).toEqual(refusal);

    a.stop();
    // The server frees the place when it sees the socket close: B's is then the one connection it counts.
    await until('the server to let A go', async () => sample(await metricsOf(server.httpUrl), 'whisper_connections') === 1);
    const welcomed = nextEvent(c, 'wh-welcome');
    c.reconnectNow();
    await welcomed;
    expect(c.refusal).toBeNull();
    b.stop();
    c.stop();
    await server.stop();
  });

  it('too many new connections a minute: closed with 4029, and back by itself when the server said', async () => {
    const { server, make } = await limited({ NEW_CONNECTIONS_PER_MINUTE: '60', CONNECTIONS_PER_ADDRESS: '100' });
    // The bucket holds 60, refilled at one a second: empty it, with no second passing for the server meanwhile.
    stopServerClock();
    const burst = await Promise.all(Array.from({ length: 60 }, () => TestClient.connect(server.wsUrl)));
    const c = make('C');
    const refused = nextEvent(c, 'wh-refusal');
    const welcomed = nextEvent(c, 'wh-welcome', 8000);
    c.start();
    expect(await refused).toMatchObject({ code: 'rate-limited', message: 'at most 60 new connections a minute from one address; try again in 1 s' });
    vi.advanceTimersByTime(1000);
    await welcomed;
    expect(c.refusal).toBeNull();
    c.stop();
    for (const socket of burst) socket.close();
    await server.stop();
  });

  it('too many joins a minute: the join is asked again on the same socket when the server said', async () => {
    const { server, make } = await limited({ JOINS_PER_MINUTE: '60' });
    // 60 joins empty the bucket however long they take here: no second passes for the server meanwhile.
    stopServerClock();
    const joiner = await TestClient.connect(server.wsUrl);
    for (let i = 0; i < 60; i++) {
      joiner.send({ type: 'join', room: randomRoom(), name: 'Loop' });
      await joiner.next('welcome');
      joiner.send({ type: 'leave' });
    }
    const c = make('C');
    const opened = sockets.length;
    const refused = nextEvent(c, 'wh-refusal');
    const error = nextEvent(c, 'wh-server-error');
    const welcomed = nextEvent(c, 'wh-welcome', 8000);
    c.start();
    expect(await refused).toMatchObject({ code: 'rate-limited', message: 'at most 60 joins a minute from one address; try again in 1 s' });
    expect(await error).toMatchObject({ code: 'rate-limited', retryAfterMs: 1000 });
    vi.advanceTimersByTime(1000);
    await welcomed;
    expect(sockets.length - opened).toBe(1);
    c.stop();
    joiner.close();
    await server.stop();
  });
});
