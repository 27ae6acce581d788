import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricsOf, sample, until } from './support/metrics.js';
import { startTestSignal, type RunningSignal } from './support/signal-harness.js';
import { TestClient, presenceAroundADrop, randomRoom } from './support/test-client.js';

const GRACE_MS = 1500;
let signal: RunningSignal;
const away = async () => sample(await metricsOf(signal.httpUrl), 'whisper_peers_away');
beforeAll(async () => {
  signal = await startTestSignal({ RESUME_GRACE_MS: String(GRACE_MS) });
});
afterAll(() => signal.stop());

describe('resume', () => {
  it('gives a dropped client its peer id back within the grace period, with no flap for the others', async () => {
    const room = randomRoom();
    const [alice, a] = await TestClient.join(signal.wsUrl, room, 'Alice');
    const [bob, b] = await TestClient.join(signal.wsUrl, room, 'Bob');
    await alice.next('peer-joined');

    const awayBefore = await away();
    bob.kill();
    await until('the server to hold Bob as away', async () => (await away()) === awayBefore + 1);
    // Signals sent while Bob is away wait for him.
    alice.send({ type: 'signal', to: b.id, data: { n: 1 } });
    alice.send({ type: 'signal', to: b.id, data: { n: 2 } });

    const [bob2, resumed] = await TestClient.join(signal.wsUrl, room, 'Bob', { resume: b.resumeToken as string });
    expect(resumed).toMatchObject({ id: b.id, resumed: true, peers: [{ id: a.id, name: 'Alice' }] });
    expect(resumed.resumeToken).not.toBe(b.resumeToken);
    expect([await bob2.next('signal'), await bob2.next('signal')]).toEqual([
      { type: 'signal', from: a.id, data: { n: 1 } },
      { type: 'signal', from: a.id, data: { n: 2 } },
    ]);

    // Relay works both ways on the new connection, and nobody saw Bob leave or join.
    bob2.send({ type: 'signal', to: a.id, data: { back: true } });
    expect(await alice.next('signal')).toEqual({ type: 'signal', from: b.id, data: { back: true } });
    // Dan drops after Bob did: Alice hears of his join and, a grace period later, of his leave, and of nothing else.
    const { dan, told } = await presenceAroundADrop(signal.wsUrl, room, alice, GRACE_MS + 5000);
    expect(told).toEqual([{ type: 'peer-joined', peer: { id: dan, name: 'Dan' } }, { type: 'peer-left', id: dan }]);
    expect((await alice.drain(0)).map((m) => m.type)).toEqual([]);
    alice.close();
    bob2.close();
  });

  it('treats a token used after the grace period as a new join, after peer-left was seen', async () => {
    const room = randomRoom();
    const [alice] = await TestClient.join(signal.wsUrl, room, 'Alice');
    const [bob, b] = await TestClient.join(signal.wsUrl, room, 'Bob');
    await alice.next('peer-joined');
    bob.kill();
    expect(await alice.next('peer-left', GRACE_MS + 2000)).toEqual({ type: 'peer-left', id: b.id });

    const [bob2, again] = await TestClient.join(signal.wsUrl, room, 'Bob', { resume: b.resumeToken as string });
    expect(again.resumed).toBe(false);
    expect(again.id).not.toBe(b.id);
    expect(await alice.next('peer-joined')).toEqual({ type: 'peer-joined', peer: { id: again.id, name: 'Bob' } });
    alice.close();
    bob2.close();
  });

  it('moves a live session to a new connection and closes the old one with 4001', async () => {
    const room = randomRoom();
    const [alice] = await TestClient.join(signal.wsUrl, room, 'Alice');
    const [bob, b] = await TestClient.join(signal.wsUrl, room, 'Bob');
    await alice.next('peer-joined');

    const [bob2, resumed] = await TestClient.join(signal.wsUrl, room, 'Bob', { resume: b.resumeToken as string });
    expect(resumed).toMatchObject({ id: b.id, resumed: true });
    expect(await bob.closed).toMatchObject({ code: 4001 });
    // Dan drops after Bob's old connection was closed: Alice hears of Dan's join and leave, and of nothing else.
    const { dan, told } = await presenceAroundADrop(signal.wsUrl, room, alice, GRACE_MS + 5000);
    expect(told).toEqual([{ type: 'peer-joined', peer: { id: dan, name: 'Dan' } }, { type: 'peer-left', id: dan }]);
    expect((await alice.drain(0)).map((m) => m.type)).toEqual([]);
    alice.close();
    bob2.close();
  });

  it('does not let a stolen-looking token resume into another room', async () => {
    const [bob, b] = await TestClient.join(signal.wsUrl, randomRoom(), 'Bob');
    bob.kill();
    const [other, welcome] = await TestClient.join(signal.wsUrl, randomRoom(), 'Bob', { resume: b.resumeToken as string });
    expect(welcome.resumed).toBe(false);
    expect(welcome.id).not.toBe(b.id);
    other.close();
  });
});
