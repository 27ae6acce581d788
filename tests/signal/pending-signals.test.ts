/**
 * What the server holds for peers that are away (within their resume grace
 * period): the signals kept for them are capped in bytes per peer and for the
 * whole process, away sessions and rooms are capped per process, and every
 * byte held is given back when the signals are delivered or their peer leaves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchSignal, type SignalProcess } from '../support/signal-process.js';
import { startTestSignal, type RunningSignal } from './support/signal-harness.js';
import { TestClient, randomRoom, type Message } from './support/test-client.js';
import { afterFullGc, INSPECTOR_ON_ANY_PORT, inspectorPort, metricsOf, sample, until } from './support/metrics.js';

/** Signals are sent as fast as the test can: the per-connection rate limit is not what is tested here. */
const UNLIMITED_RATE = { MESSAGES_PER_SECOND: '100000', MESSAGE_BURST: '100000' };
const KIB = 1024;
const MIB = 1024 * KIB;

/** Signal data that makes a delivery of exactly `bytes` bytes from a peer whose id has `idLength` characters. */
function dataOfDelivery(bytes: number, idLength = 22): { blob: string } {
  const empty = `{"type":"signal","from":"${'x'.repeat(idLength)}","data":{"blob":""}}`;
  return { blob: 'b'.repeat(bytes - empty.length) };
}

const deliveryBytes = (from: string, data: unknown) => Buffer.byteLength(`{"type":"signal","from":"${from}","data":${JSON.stringify(data)}}`);

const metric = async (signal: RunningSignal, series: string) => sample(await metricsOf(signal.httpUrl), series);
const held = (signal: RunningSignal) => metric(signal, 'whisper_pending_signal_bytes');
const away = (signal: RunningSignal) => metric(signal, 'whisper_peers_away');

/**
 * Sends a ping and waits for its pong: every frame sent before it has been handled, and what it caused is in
 * `received`. Megabytes may be ahead of the ping: it waits as long as the test may.
 */
async function settled(client: TestClient): Promise<void> {
  client.send({ type: 'ping', t: 1 });
  await client.next('pong', 60_000);
}

const errorsOf = (client: TestClient): Message[] => client.received.filter((m) => m.type === 'error');

/** Joins `count` peers to `room` and drops their connections; resolves once the server holds them all as away. */
async function peersAway(signal: RunningSignal, room: string, count: number): Promise<Message[]> {
  const welcomes: Message[] = [];
  const awayBefore = await away(signal);
  for (let i = 0; i < count; i++) {
    const [client, welcome] = await TestClient.join(signal.wsUrl, room, `Away ${i}`);
    client.kill();
    welcomes.push(welcome);
  }
  await until(`${count} more peers away`, async () => (await away(signal)) === awayBefore + count);
  return welcomes;
}

describe('signals kept for a peer that is away', () => {
  let signal: RunningSignal;
  beforeAll(async () => {
    signal = await startTestSignal({ ...UNLIMITED_RATE, RESUME_GRACE_MS: '120000' });
  });
  afterAll(() => signal.stop());

  it('keeps at most 256 KiB for one peer, then answers peer-unreachable; all of it is delivered on resume and the bytes held go back to 0', async () => {
    const room = randomRoom();
    const [alice, a] = await TestClient.join(signal.wsUrl, room, 'Alice');
    const [bob] = await peersAway(signal, room, 1);
    const data = dataOfDelivery(60 * KIB);
    const frame = deliveryBytes(a.id as string, data);
    expect(frame).toBe(60 * KIB);

    // Four of 60 KiB fit in 256 KiB; the fifth does not.
    for (let i = 0; i < 4; i++) alice.send({ type: 'signal', to: bob!.id, data });
    await settled(alice);
    expect(errorsOf(alice)).toEqual([]);
    expect(await held(signal)).toBe(4 * frame);
    alice.send({ type: 'signal', to: bob!.id, data });
    expect(await alice.next('error')).toMatchObject({ code: 'peer-unreachable' });
    expect(await held(signal)).toBe(4 * frame);

    // Small signals still fit beside them, up to the cap.
    const small = { candidate: 'c'.repeat(100) };
    alice.send({ type: 'signal', to: bob!.id, data: small });
    await settled(alice);
    expect(errorsOf(alice)).toEqual([]);

    const [bob2] = await TestClient.join(signal.wsUrl, room, 'Away 0', { resume: bob!.resumeToken as string });
    const delivered = [];
    for (let i = 0; i < 5; i++) delivered.push((await bob2.next('signal')).data);
    expect(delivered).toEqual([data, data, data, data, small]);
    expect(await held(signal)).toBe(0);
    alice.close();
    bob2.close();
  });
});

describe('signals kept for every peer away on the process', () => {
  let signal: RunningSignal;
  // Long enough to fill the queues before the grace period ends on a busy machine; the test waits for it after.
  const GRACE_MS = 8000;
  beforeAll(async () => {
    signal = await startTestSignal({ ...UNLIMITED_RATE, RESUME_GRACE_MS: String(GRACE_MS), MAX_PENDING_SIGNAL_BYTES: String(600 * KIB) });
  });
  afterAll(() => signal.stop());

  it('refuses past MAX_PENDING_SIGNAL_BYTES with peer-unreachable, and gives every byte back when the peers leave', { timeout: GRACE_MS + 15_000 }, async () => {
    const room = randomRoom();
    const [alice, a] = await TestClient.join(signal.wsUrl, room, 'Alice');
    const bobs = await peersAway(signal, room, 3);
    const data = dataOfDelivery(60 * KIB);
    const frame = deliveryBytes(a.id as string, data);

    // 4 + 4 + 2 frames of 60 KiB fit in 600 KiB; the third peer's third does not, though that peer has room for it.
    for (const bob of bobs.slice(0, 2)) for (let i = 0; i < 4; i++) alice.send({ type: 'signal', to: bob.id, data });
    for (let i = 0; i < 2; i++) alice.send({ type: 'signal', to: bobs[2]!.id, data });
    await settled(alice);
    expect(errorsOf(alice)).toEqual([]);
    alice.send({ type: 'signal', to: bobs[2]!.id, data });
    expect(await alice.next('error')).toMatchObject({ code: 'peer-unreachable' });
    const metrics = await metricsOf(signal.httpUrl);
    expect(sample(metrics, 'whisper_pending_signal_bytes')).toBe(10 * frame);
    expect(sample(metrics, 'whisper_capacity_refusals_total{reason="pending-signal-bytes"}')).toBe(1);

    for (let i = 0; i < 3; i++) expect(await alice.next('peer-left', GRACE_MS + 5000)).toMatchObject({ type: 'peer-left' });
    expect(await held(signal)).toBe(0);
    alice.close();
  });
});

describe('away sessions per process', () => {
  let signal: RunningSignal;
  beforeAll(async () => {
    signal = await startTestSignal({ RESUME_GRACE_MS: '120000', MAX_AWAY_SESSIONS: '2' });
  });
  afterAll(() => signal.stop());

  it('lets a peer whose connection drops past MAX_AWAY_SESSIONS leave at once, and keeps the others resumable', async () => {
    const room = randomRoom();
    const [alice] = await TestClient.join(signal.wsUrl, room, 'Alice');
    const [kept] = await peersAway(signal, room, 2);
    for (let i = 0; i < 2; i++) await alice.next('peer-joined');

    const [carol, c] = await TestClient.join(signal.wsUrl, room, 'Carol');
    await alice.next('peer-joined');
    carol.kill();
    expect(await alice.next('peer-left')).toEqual({ type: 'peer-left', id: c.id });
    const metrics = await metricsOf(signal.httpUrl);
    expect(sample(metrics, 'whisper_peers_away')).toBe(2);
    expect(sample(metrics, 'whisper_capacity_refusals_total{reason="away-sessions"}')).toBe(1);

    const [back, resumed] = await TestClient.join(signal.wsUrl, room, 'Away 0', { resume: kept!.resumeToken as string });
    expect(resumed).toMatchObject({ id: kept!.id, resumed: true });
    alice.close();
    back.close();
  });
});

describe('rooms per process', () => {
  let signal: RunningSignal;
  beforeAll(async () => {
    signal = await startTestSignal({ RESUME_GRACE_MS: '0', MAX_ROOMS: '2' });
  });
  afterAll(() => signal.stop());

  it('closes a join that would open a room past MAX_ROOMS with 1013, lets people into the rooms there are, and opens one again once a room closes', async () => {
    const [first] = await TestClient.join(signal.wsUrl, randomRoom(), 'First');
    const second = randomRoom();
    const [other] = await TestClient.join(signal.wsUrl, second, 'Second');

    const refused = await TestClient.connect(signal.wsUrl);
    refused.send({ type: 'join', room: randomRoom(), name: 'Third' });
    expect(await refused.closed).toEqual({ code: 1013, reason: 'too-many-rooms: this server has as many rooms open as it can hold; try again later' });
    expect(await metric(signal, 'whisper_capacity_refusals_total{reason="rooms"}')).toBe(1);

    const [guest, welcome] = await TestClient.join(signal.wsUrl, second, 'Guest');
    expect(welcome.peers).toMatchObject([{ name: 'Second' }]);

    first.send({ type: 'leave' });
    await until('the first room to close', async () => (await metric(signal, 'whisper_rooms')) === 1);
    const [third] = await TestClient.join(signal.wsUrl, randomRoom(), 'Third');
    for (const client of [first, other, guest, third]) client.close();
  });
});

describe('memory held for peers away', () => {
  let process: SignalProcess | null = null;
  afterAll(async () => {
    await process?.stop();
  });

  /**
   * The review's attack (M1), on a process of its own so that its memory is the server's alone: rooms of one
   * sender and 15 peers that dropped, and for each of them more signals of about 64 KiB than the server keeps.
   * Before the caps, 64 signals of 64 KiB were kept for each such peer (4 MiB), with no cap for the process:
   * all 300 x 5 here (93 MiB).
   */
  it('holds at most MAX_PENDING_SIGNAL_BYTES (64 MiB) however many peers are away, and gives it back', { timeout: 120_000 }, async () => {
    const ROOMS = 20;
    const AWAY_PER_ROOM = 15;
    // One more than a peer's 256 KiB holds; 300 peers would hold 75 MiB, past the process's 64 MiB.
    const SIGNALS_PER_PEER = 5;
    process = launchSignal({ ...UNLIMITED_RATE, RESUME_GRACE_MS: '120000', NODE_OPTIONS: INSPECTOR_ON_ANY_PORT });
    const inspector = inspectorPort(process.child);
    const port = await process.listening;
    const debuggerPort = await inspector;
    const signal = { httpUrl: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}/ws` } as RunningSignal;

    const rooms = [];
    for (let r = 0; r < ROOMS; r++) {
      const room = randomRoom();
      const [sender] = await TestClient.join(signal.wsUrl, room, 'Sender');
      rooms.push({ room, sender, away: await peersAway(signal, room, AWAY_PER_ROOM) });
    }
    const before = await afterFullGc(signal.httpUrl, debuggerPort);

    // Deliveries of 65,000 bytes: four fit in a peer's 256 KiB.
    const data = dataOfDelivery(65_000);
    for (const { sender, away: peers } of rooms) {
      for (const peer of peers) for (let i = 0; i < SIGNALS_PER_PEER; i++) sender.send({ type: 'signal', to: peer.id, data });
      await settled(sender);
    }
    const after = await afterFullGc(signal.httpUrl, debuggerPort);

    const offered = ROOMS * AWAY_PER_ROOM * SIGNALS_PER_PEER;
    const kept = Math.floor((64 * MIB) / 65_000);
    const refused = rooms.reduce((sum, { sender }) => sum + errorsOf(sender).filter((e) => e.code === 'peer-unreachable').length, 0);
    const memory = (text: string) => sample(text, 'whisper_nodejs_heap_size_used_bytes') + sample(text, 'whisper_nodejs_external_memory_bytes');
    const rss = (text: string) => sample(text, 'whisper_process_resident_memory_bytes');
    const mb = (bytes: number) => (bytes / MIB).toFixed(1);
    console.log(
      `pending signals: ${ROOMS * AWAY_PER_ROOM} peers away offered ${offered} signals of 65,000 bytes (${mb(offered * 65_000)} MB); ` +
        `kept ${offered - refused} (${mb(sample(after, 'whisper_pending_signal_bytes'))} MB held), refused ${refused}; ` +
        `heap + external after a full GC ${mb(memory(before))} -> ${mb(memory(after))} MB (+${mb(memory(after) - memory(before))}), ` +
        `RSS ${mb(rss(before))} -> ${mb(rss(after))} MB`,
    );
    expect(offered - refused).toBe(kept);
    expect(sample(after, 'whisper_pending_signal_bytes')).toBe(kept * 65_000);
    expect(memory(after) - memory(before)).toBeLessThan(64 * MIB + 16 * MIB);

    // Each peer comes back, takes what waited for it and leaves: nothing stays held.
    for (const { room, away: peers } of rooms) {
      for (const peer of peers) {
        const [back] = await TestClient.join(signal.wsUrl, room, 'Back', { resume: peer.resumeToken as string });
        back.send({ type: 'leave' });
        await settled(back);
        back.close();
      }
    }
    const end = await afterFullGc(signal.httpUrl, debuggerPort);
    console.log(`pending signals: all peers back: ${sample(end, 'whisper_pending_signal_bytes')} bytes held, heap + external ${mb(memory(end))} MB, RSS ${mb(rss(end))} MB`);
    expect(sample(end, 'whisper_pending_signal_bytes')).toBe(0);
    expect(memory(end) - memory(before)).toBeLessThan(16 * MIB);
    for (const { sender } of rooms) sender.close();
  });
});
