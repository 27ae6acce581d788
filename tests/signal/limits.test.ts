import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSignal, type RunningSignal } from './support/signal-harness.js';
import { TestClient, randomRoom } from './support/test-client.js';

describe('malformed input', () => {
  let signal: RunningSignal;
  beforeAll(async () => {
    signal = await startTestSignal();
  });
  afterAll(() => signal.stop());

  it.each([
    ['broken JSON', '{"type":"join",', 'not valid JSON'],
    ['a JSON array', '[{"type":"join"}]', 'a message must be a JSON object'],
    ['an unknown type', '{"type":"hello"}', 'unknown or missing message type'],
    ['a wrong field type', '{"type":"join","room":123,"name":"A"}', 'room:'],
    ['a signal to a malformed id', '{"type":"signal","to":"../../x","data":{}}', 'to:'],
  ])('answers %s with bad-message and keeps serving', async (_, frame, reason) => {
    const room = randomRoom();
    const [alice, a] = await TestClient.join(signal.wsUrl, room, 'Alice');
    const [bob] = await TestClient.join(signal.wsUrl, room, 'Bob');
    bob.sendRaw(frame);
    const error = await bob.next('error');
    expect(error).toMatchObject({ type: 'error', code: 'bad-message' });
    expect(error.message).toContain(reason);
    bob.send({ type: 'signal', to: a.id, data: { still: 'here' } });
    expect(await alice.next('signal')).toMatchObject({ data: { still: 'here' } });
    alice.close();
    bob.close();
  });

  it('refuses binary frames', async () => {
    const client = await TestClient.connect(signal.wsUrl);
    client.sendRaw(Buffer.from([1, 2, 3]), true);
    expect(await client.next('error')).toMatchObject({ code: 'bad-message', message: expect.stringContaining('binary') });
    client.close();
  });

  it('closes with 1009 on a frame over 64 KiB, and the others carry on', async () => {
    const room = randomRoom();
    const [alice] = await TestClient.join(signal.wsUrl, room, 'Alice');
    const [bob, b] = await TestClient.join(signal.wsUrl, room, 'Bob');
    alice.send({ type: 'signal', to: b.id, data: { blob: 'x'.repeat(64 * 1024) } });
    expect(await alice.closed).toEqual({ code: 1009, reason: 'message larger than 65536 bytes' });
    const [carol, c] = await TestClient.join(signal.wsUrl, room, 'Carol');
    bob.send({ type: 'signal', to: c.id, data: { hello: 1 } });
    expect(await carol.next('signal')).toMatchObject({ from: b.id });
    bob.close();
    carol.close();
  });

  it('cuts a client that sends a frame of more than 256 KiB', async () => {
    const client = await TestClient.connect(signal.wsUrl);
    client.sendRaw('x'.repeat(256 * 1024 + 1));
    expect((await client.closed).code).toBe(1006);
  });

  it('relays a frame just under the limit', async () => {
    const room = randomRoom();
    const [alice] = await TestClient.join(signal.wsUrl, room, 'Alice');
    const [bob, b] = await TestClient.join(signal.wsUrl, room, 'Bob');
    const envelope = JSON.stringify({ type: 'signal', to: b.id, data: { blob: '' } });
    alice.send({ type: 'signal', to: b.id, data: { blob: 'y'.repeat(64 * 1024 - envelope.length) } });
    expect(((await bob.next('signal')).data as { blob: string }).blob).toHaveLength(64 * 1024 - envelope.length);
    alice.close();
    bob.close();
  });
});

describe('rate limit', () => {
  let signal: RunningSignal;
  beforeAll(async () => {
    signal = await startTestSignal({ MESSAGES_PER_SECOND: '5', MESSAGE_BURST: '5' });
  });
  afterAll(() => signal.stop());

  it('says rate-limited once, then disconnects a client that keeps flooding', async () => {
    const client = await TestClient.connect(signal.wsUrl);
    for (let i = 0; i < 60; i++) client.send({ type: 'ping', t: i });
    const { code } = await client.closed;
    expect(code).toBe(1008);
    const types = client.received.map((m) => m.type);
    expect(types.filter((t) => t === 'pong').length).toBeGreaterThanOrEqual(5);
    expect(types.filter((t) => t === 'pong').length).toBeLessThan(10);
    expect(client.received.filter((m) => m.code === 'rate-limited')).toHaveLength(1);
    const metrics = await (await fetch(`${signal.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/whisper_disconnects_total\{reason="abuse"\} 1/);
    expect(metrics).toMatch(/whisper_rate_limited_total [1-9]/);
  });

  it('does not limit one client for what another sends', async () => {
    const flooder = await TestClient.connect(signal.wsUrl);
    const calm = await TestClient.connect(signal.wsUrl);
    for (let i = 0; i < 20; i++) flooder.send({ type: 'ping' });
    calm.send({ type: 'ping', t: 1 });
    expect(await calm.next('pong')).toEqual({ type: 'pong', t: 1 });
    flooder.close();
    calm.close();
  });
});

describe('capacity', () => {
  let signal: RunningSignal;
  beforeAll(async () => {
    signal = await startTestSignal({ MAX_ROOM_SIZE: '2', MAX_CONNECTIONS: '3' });
  });
  afterAll(() => signal.stop());

  it('refuses a third person in a room of two with room-full', async () => {
    const room = randomRoom();
    const [alice] = await TestClient.join(signal.wsUrl, room, 'Alice');
    const [bob] = await TestClient.join(signal.wsUrl, room, 'Bob');
    const carol = await TestClient.connect(signal.wsUrl);
    carol.send({ type: 'join', room, name: 'Carol' });
    expect(await carol.next('error')).toMatchObject({ code: 'room-full', message: expect.stringContaining('2 people') });
    await expect(TestClient.connect(signal.wsUrl)).rejects.toThrow('upgrade refused: 503');
    for (const c of [alice, bob, carol]) c.close();
  });
});

describe('origin', () => {
  let sameOrigin: RunningSignal;
  let allowList: RunningSignal;
  beforeAll(async () => {
    sameOrigin = await startTestSignal();
    allowList = await startTestSignal({ ALLOWED_ORIGINS: 'https://chat.example.org' });
  });
  afterAll(async () => {
    await sameOrigin.stop();
    await allowList.stop();
  });

  it('accepts its own origin and clients that send none, and refuses other sites', async () => {
    (await TestClient.connect(sameOrigin.wsUrl, { origin: sameOrigin.origin })).close();
    (await TestClient.connect(sameOrigin.wsUrl)).close();
    await expect(TestClient.connect(sameOrigin.wsUrl, { origin: 'https://evil.example' })).rejects.toThrow('upgrade refused: 403');
    await expect(TestClient.connect(sameOrigin.wsUrl, { origin: 'null' })).rejects.toThrow('upgrade refused: 403');
  });

  it('accepts only the configured origins when given a list', async () => {
    (await TestClient.connect(allowList.wsUrl, { origin: 'https://chat.example.org' })).close();
    await expect(TestClient.connect(allowList.wsUrl, { origin: allowList.origin })).rejects.toThrow('upgrade refused: 403');
  });
});

describe('backpressure', () => {
  let signal: RunningSignal;
  beforeAll(async () => {
    signal = await startTestSignal({ MESSAGES_PER_SECOND: '10000', MESSAGE_BURST: '10000', MAX_BACKPRESSURE_BYTES: String(64 * 1024) });
  });
  afterAll(() => signal.stop());

  it('drops a client that does not read instead of buffering for it without bound', async () => {
    const room = randomRoom();
    const [alice] = await TestClient.join(signal.wsUrl, room, 'Alice');
    const [bob, b] = await TestClient.join(signal.wsUrl, room, 'Bob');
    bob.socket.pause();
    const blob = 'z'.repeat(60 * 1024);
    let sent = 0;
    // Loopback socket buffers hold a few MiB; keep sending until the server gives up on Bob.
    while (sent < 2000) {
      for (let i = 0; i < 50; i++, sent++) alice.send({ type: 'signal', to: b.id, data: { blob } });
      await new Promise((r) => setTimeout(r, 20));
      const metrics = await (await fetch(`${signal.httpUrl}/metrics`)).text();
      if (/whisper_disconnects_total\{reason="backpressure"\} 1/.test(metrics)) break;
    }
    expect(sent).toBeLessThan(2000);
    bob.socket.resume();
    expect((await bob.closed).code).toBe(1006);
    // Alice is unharmed.
    alice.send({ type: 'ping', t: 7 });
    expect(await alice.next('pong')).toEqual({ type: 'pong', t: 7 });
    alice.close();
  });
});
