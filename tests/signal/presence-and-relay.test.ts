import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSignal, type RunningSignal } from './support/signal-harness.js';
import { TestClient, presenceAroundADrop, randomRoom } from './support/test-client.js';

let signal: RunningSignal;
beforeAll(async () => {
  signal = await startTestSignal({ RESUME_GRACE_MS: '300' });
});
afterAll(() => signal.stop());

describe('presence', () => {
  it('welcomes each joiner with the others and tells the others exactly once', async () => {
    const room = randomRoom();
    const [alice, aliceWelcome] = await TestClient.join(signal.wsUrl, room, 'Alice');
    const [bob, bobWelcome] = await TestClient.join(signal.wsUrl, room, '  Bob  ');
    expect(aliceWelcome.peers).toEqual([]);
    expect(bobWelcome).toMatchObject({ name: 'Bob', peers: [{ id: aliceWelcome.id, name: 'Alice' }] });
    expect(await alice.next('peer-joined')).toEqual({ type: 'peer-joined', peer: { id: bobWelcome.id, name: 'Bob' } });

    const [carol, carolWelcome] = await TestClient.join(signal.wsUrl, room, 'Carol');
    expect(carolWelcome.peers).toHaveLength(2);
    expect(await alice.next('peer-joined')).toEqual({ type: 'peer-joined', peer: { id: carolWelcome.id, name: 'Carol' } });
    bob.send({ type: 'leave' });
    expect(await alice.next('peer-left')).toEqual({ type: 'peer-left', id: bobWelcome.id });
    expect(await carol.next('peer-left')).toEqual({ type: 'peer-left', id: bobWelcome.id });
    bob.close();
    // Dan drops after Bob's socket closed: Alice hears of Dan alone, not of Bob a second time.
    const { dan, told } = await presenceAroundADrop(signal.wsUrl, room, alice, 3000);
    expect(told).toEqual([{ type: 'peer-joined', peer: { id: dan, name: 'Dan' } }, { type: 'peer-left', id: dan }]);
    alice.close();
    carol.close();
  });

  it('announces a vanished peer once its grace period is over', async () => {
    const room = randomRoom();
    const [alice] = await TestClient.join(signal.wsUrl, room, 'Alice');
    const [bob, bobWelcome] = await TestClient.join(signal.wsUrl, room, 'Bob');
    await alice.next('peer-joined');
    bob.kill();
    expect(await alice.next('peer-left', 3000)).toEqual({ type: 'peer-left', id: bobWelcome.id });
    // Dan drops after Bob was announced: Alice hears of Dan alone, not of Bob a second time.
    const { dan, told } = await presenceAroundADrop(signal.wsUrl, room, alice, 3000);
    expect(told).toEqual([{ type: 'peer-joined', peer: { id: dan, name: 'Dan' } }, { type: 'peer-left', id: dan }]);
    alice.close();
  });

  it('passes on the device key a peer announces, and refuses a malformed one', async () => {
    const room = randomRoom();
    const device = 'AB'.repeat(32);
    const alice = await TestClient.connect(signal.wsUrl);
    alice.send({ type: 'join', room, name: 'Alice', device });
    const a = await alice.next('welcome');
    const [bob, b] = await TestClient.join(signal.wsUrl, room, 'Bob');
    expect(b.peers).toEqual([{ id: a.id, name: 'Alice', device }]);
    expect(await alice.next('peer-joined')).toEqual({ type: 'peer-joined', peer: { id: b.id, name: 'Bob' } });
    const carol = await TestClient.connect(signal.wsUrl);
    carol.send({ type: 'join', room, name: 'Carol', device: 'ab'.repeat(32) });
    expect(await carol.next('error')).toMatchObject({ code: 'bad-message', message: expect.stringContaining('device') });
    for (const c of [alice, bob, carol]) c.close();
  });

  it('lets one connection leave a room and join another', async () => {
    const [alice] = await TestClient.join(signal.wsUrl, randomRoom(), 'Alice');
    alice.send({ type: 'leave' });
    const other = randomRoom();
    alice.send({ type: 'join', room: other, name: 'Alice' });
    expect(await alice.next('welcome')).toMatchObject({ room: other, peers: [] });
    alice.close();
  });
});

describe('relay', () => {
  it('delivers a signal to the named peer only, with the sender set by the server', async () => {
    const room = randomRoom();
    const [alice, a] = await TestClient.join(signal.wsUrl, room, 'Alice');
    const [bob, b] = await TestClient.join(signal.wsUrl, room, 'Bob');
    const [carol] = await TestClient.join(signal.wsUrl, room, 'Carol');
    const offer = { kind: 'description', description: { type: 'offer', sdp: 'v=0\r\n'.repeat(100) } };

    alice.send({ type: 'signal', to: b.id, from: 'carol-forged-id', data: offer });
    expect(await bob.next('signal')).toEqual({ type: 'signal', from: a.id, data: offer });
    await carol.roundTrip();
    expect(carol.received.filter((m) => m.type === 'signal')).toEqual([]);
    for (const c of [alice, bob, carol]) c.close();
  });

  it('refuses to relay into another room, or before joining', async () => {
    const [alice, a] = await TestClient.join(signal.wsUrl, randomRoom(), 'Alice');
    const [mallory, m] = await TestClient.join(signal.wsUrl, randomRoom(), 'Mallory');

    mallory.send({ type: 'signal', to: a.id, data: { sdp: 'x' } });
    expect(await mallory.next('error')).toMatchObject({ code: 'unknown-peer' });
    const stranger = await TestClient.connect(signal.wsUrl);
    stranger.send({ type: 'signal', to: m.id, data: { sdp: 'x' } });
    expect(await stranger.next('error')).toMatchObject({ code: 'not-in-room' });
    for (const client of [alice, mallory]) {
      await client.roundTrip();
      expect(client.received.filter((x) => x.type === 'signal')).toEqual([]);
    }
    for (const c of [alice, mallory, stranger]) c.close();
  });

  it('keeps the order of many signals between a pair', async () => {
    const room = randomRoom();
    const [alice] = await TestClient.join(signal.wsUrl, room, 'Alice');
    const [bob, b] = await TestClient.join(signal.wsUrl, room, 'Bob');
    for (let n = 0; n < 100; n++) alice.send({ type: 'signal', to: b.id, data: { kind: 'candidate', n } });
    const got: unknown[] = [];
    while (got.length < 100) got.push(((await bob.next('signal')).data as { n: number }).n);
    expect(got).toEqual([...Array(100).keys()]);
    alice.close();
    bob.close();
  });
});
