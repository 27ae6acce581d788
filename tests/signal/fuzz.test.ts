/**
 * Thousands of random and mutated frames (and HTTP requests) at a live
 * server; afterwards it must still serve well-behaved clients correctly.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSignal, type RunningSignal } from './support/signal-harness.js';
import { ONE_ADDRESS_FOR_EVERYONE } from '../support/signal-process.js';
import { TestClient, randomRoom } from './support/test-client.js';

const FRAMES = 4000;
let signal: RunningSignal;
beforeAll(async () => {
  // The fuzzer joins thousands of times from 127.0.0.1; the per-address limits have their own tests.
  signal = await startTestSignal({ MESSAGES_PER_SECOND: '100000', MESSAGE_BURST: '100000', MAX_ROOM_SIZE: '4', RESUME_GRACE_MS: '200', ...ONE_ADDRESS_FOR_EVERYONE });
});
afterAll(() => signal.stop());

const room = fc.oneof(fc.constant('Zm9vYmFyYmF6cXV4MTIzNA'), fc.string({ maxLength: 80 }), fc.base64String({ minLength: 16, maxLength: 70 }));
const validish = fc.oneof(
  fc.record({ type: fc.constant('join'), room, name: fc.string({ unit: 'grapheme', maxLength: 60 }) }, { requiredKeys: [] }),
  fc.record({ type: fc.constant('join'), room, name: fc.string(), resume: fc.string({ minLength: 40, maxLength: 46 }) }),
  fc.record({ type: fc.constant('signal'), to: fc.string({ maxLength: 70 }), from: fc.string(), data: fc.jsonValue({ maxDepth: 4 }) }),
  fc.record({ type: fc.constant('leave'), extra: fc.jsonValue() }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constant('ping'), t: fc.oneof(fc.double(), fc.string(), fc.constant(null)) }),
);
/** Valid-looking messages with one field swapped for anything at all. */
const mutated = fc.tuple(validish, fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 })).map(([message, key, value]) => ({ ...message, [key]: value }));
const frame = fc.oneof(
  validish.map((m) => JSON.stringify(m)),
  mutated.map((m) => JSON.stringify(m)),
  fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v)),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.constantFrom('{', '{"type":', '{"type":"signal","to":', 'null', '[]', '""', '{"__proto__":{"type":"join"}}', '{"type":"join","constructor":{"prototype":{}}}'),
);

async function fuzzWebSocket(frames: string[]): Promise<number> {
  let connections = 0;
  let client: TestClient | null = null;
  for (const [index, text] of frames.entries()) {
    if (!client || client.socket.readyState !== client.socket.OPEN) {
      client?.kill();
      client = await TestClient.connect(signal.wsUrl);
      connections++;
    }
    if (index % 97 === 0) client.sendRaw(Buffer.from(text), true);
    else client.sendRaw(text);
    if (index % 50 === 0) await new Promise((r) => setTimeout(r, 1));
  }
  client?.kill();
  return connections;
}

describe('fuzzing', () => {
  it(`survives ${FRAMES} random and mutated frames and still serves well-behaved clients`, { timeout: 60_000 }, async () => {
    const frames = fc.sample(frame, { numRuns: FRAMES, seed: 20261126 });
    const connections = await fuzzWebSocket(frames);
    expect(connections).toBeGreaterThan(1);

    // Invalid UTF-8 in a text frame.
    const client = await TestClient.connect(signal.wsUrl);
    client.sendRaw(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
    expect((await client.closed).code).not.toBe(1000);

    // Random HTTP requests.
    const paths = fc.sample(fc.webPath(), { numRuns: 300, seed: 7 });
    for (const path of paths) {
      const response = await fetch(`${signal.httpUrl}/${path.replace(/^\/+/, '')}`, { method: path.length % 3 === 0 ? 'POST' : 'GET' });
      expect(response.status).toBeLessThan(500);
      await response.arrayBuffer();
    }

    // Well-behaved clients get the full service.
    const roomId = randomRoom();
    const [alice, a] = await TestClient.join(signal.wsUrl, roomId, 'Alice');
    const [bob, b] = await TestClient.join(signal.wsUrl, roomId, 'Bob');
    expect(await alice.next('peer-joined')).toEqual({ type: 'peer-joined', peer: { id: b.id, name: 'Bob' } });
    bob.send({ type: 'signal', to: a.id, data: { kind: 'description', sdp: 'v=0' } });
    expect(await alice.next('signal')).toEqual({ type: 'signal', from: b.id, data: { kind: 'description', sdp: 'v=0' } });
    alice.send({ type: 'ping', t: 1 });
    expect(await alice.next('pong')).toEqual({ type: 'pong', t: 1 });
    bob.send({ type: 'leave' });
    expect(await alice.next('peer-left')).toEqual({ type: 'peer-left', id: b.id });
    expect(await (await fetch(`${signal.httpUrl}/healthz`)).text()).toBe('ok');

    const metrics = await (await fetch(`${signal.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/whisper_errors_total\{code="bad-message"\} \d{3,}/);
    alice.close();
    bob.close();
  });
});
