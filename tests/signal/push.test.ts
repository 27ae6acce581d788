/**
 * Web Push through the signal process, against a real HTTPS push service of
 * our own (tests/support/push-service.ts): the server signs with its VAPID key
 * and forwards the ciphertext untouched; it sends only to allowed hosts, never
 * to a private address, never follows a redirect; it limits pushes per
 * connection and per endpoint, maps the push service's answers back, keeps
 * endpoints out of its logs, and keeps serving through all of it. A mailbox's writer asks for a push over
 * HTTP (POST /mailbox/:id/push) and meets the same limits.
 */
import { copyFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { PushService, PUSH_SERVICE_CA, type StubSubscription } from '../support/push-service.js';
import { launchSignal, type SignalProcess } from '../support/signal-process.js';
import { MailboxClient, errorOf, newMailboxKeys } from './support/mailbox-client.js';
import { TestClient, randomRoom, type Message } from './support/test-client.js';

const SUBJECT = 'mailto:ops@whisper.example';

let service: PushService;
let signal: SignalProcess;
let url: string;
let httpUrl: string;
let dataDir: string;
let pushes = 0;

function pushEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    VAPID_SUBJECT: SUBJECT,
    DATA_DIR: dataDir,
    PUSH_ALLOWED_HOSTS: `localhost:${service.port}`,
    // The push service of the tests lives on loopback; the default refuses private addresses (tested below).
    PUSH_ALLOW_PRIVATE_ADDRESSES: 'true',
    NODE_EXTRA_CA_CERTS: PUSH_SERVICE_CA,
    LOG_LEVEL: 'debug',
    ...extra,
  };
}

beforeAll(async () => {
  service = await PushService.start();
  dataDir = await mkdtemp(join(tmpdir(), 'whisper-push-'));
  signal = launchSignal(pushEnv());
  const port = await signal.listening;
  url = `ws://127.0.0.1:${port}/ws`;
  httpUrl = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  for (const client of clients) client.close();
  await signal?.stop();
  await service?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function member(name = 'Alice'): Promise<[TestClient, Message]> {
  return TestClient.join(url, randomRoom(), name);
}

/** A member of a room of their own, on a connection of their own (whose pushes are not yet limited). */
async function joined(): Promise<TestClient> {
  const [client] = await member();
  clients.push(client);
  return client;
}
const clients: TestClient[] = [];

/** Sends a push and returns its push-result. */
async function push(client: TestClient, fields: Record<string, unknown>): Promise<Message> {
  const id = `p${++pushes}`;
  client.send({ type: 'push', id, ttl: 45, urgency: 'high', ...fields });
  const result = await client.next('push-result', 15_000);
  expect(result.id).toBe(id);
  return result;
}

/** Pushes a payload encrypted for `subscription` of `to` (the push service of this file, unless another). */
function pushTo(client: TestClient, subscription: StubSubscription, to = service): Promise<Message> {
  return push(client, { endpoint: subscription.endpoint, ciphertext: to.encryptFor(subscription, 'x').toString('base64url') });
}

/**
 * A data directory holding the keys the first process made: a process of its own cannot share `dataDir` while
 * that one runs (the mailbox store there is locked to one process). Removed when the test ends.
 */
async function copyOfDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'whisper-push-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  await copyFile(join(dataDir, 'vapid.json'), join(dir, 'vapid.json'));
  return dir;
}

/** Runs `body` against a signal process of its own, with `env` over the usual settings, and stops it. */
async function withSignal(env: Record<string, string>, body: (wsUrl: string) => Promise<void>): Promise<void> {
  const own = launchSignal(pushEnv({ DATA_DIR: await copyOfDataDir(), ...env }));
  try {
    await body(`ws://127.0.0.1:${await own.listening}/ws`);
  } finally {
    await own.stop();
  }
}

const callPayload = (call: string) => JSON.stringify({ web_push: 8030, notification: { title: 'Alice is calling', navigate: 'https://whisper.example/r/room' }, whisper: { kind: 'call', call } });

describe('Web Push through the signal server', () => {
  it('gives its VAPID public key in welcome, made on first boot and kept in the data directory (readable by its user only)', async () => {
    const [, welcome] = await member();
    const stored = JSON.parse(await readFile(join(dataDir, 'vapid.json'), 'utf8')) as { publicKey: string; privateKey: string };
    expect(welcome.vapidPublicKey).toBe(stored.publicKey);
    expect(Buffer.from(stored.publicKey, 'base64url')).toHaveLength(65);
    expect((await stat(join(dataDir, 'vapid.json'))).mode & 0o777).toBe(0o600);
  });

  it('keeps the same keys across a restart, so that subscriptions stay valid', async () => {
    // Another process started on the data directory's keys (a copy of it: the first one still runs).
    const again = launchSignal(pushEnv({ DATA_DIR: await copyOfDataDir() }));
    try {
      const [client, welcome] = await TestClient.join(`ws://127.0.0.1:${await again.listening}/ws`, randomRoom(), 'Alice');
      const [, first] = await member();
      expect(welcome.vapidPublicKey).toBe(first.vapidPublicKey);
      client.close();
    } finally {
      await again.stop();
    }
  });

  it('delivers the ciphertext untouched, signed with a VAPID JWT for the push service, with TTL, Urgency and Topic', async () => {
    const [alice, welcome] = await member();
    const bob = service.subscribe();
    const before = service.received.length;
    const ciphertext = service.encryptFor(bob, callPayload('call-0123456789abcdef'));
    const result = await push(alice, { endpoint: bob.endpoint, ciphertext: ciphertext.toString('base64url'), topic: 'call-0123456789abcdef' });
    expect(result.outcome).toBe('sent');
    const received = await service.waitFor(before + 1);
    expect(received.problem).toBeNull();
    expect(received.body.equals(ciphertext)).toBe(true);
    expect(JSON.parse(service.decrypt(bob, received.body).toString())).toMatchObject({ web_push: 8030, whisper: { kind: 'call', call: 'call-0123456789abcdef' } });
    expect(received.headers).toMatchObject({ ttl: '45', urgency: 'high', topic: 'call-0123456789abcdef', 'content-encoding': 'aes128gcm' });
    expect(received.vapid).toMatchObject({ aud: service.origin, sub: SUBJECT, key: welcome.vapidPublicKey });
    expect(received.vapid!.exp * 1000 - Date.now()).toBeLessThanOrEqual(24 * 3600 * 1000);
    alice.close();
  });

  it('refuses an endpoint outside the allowlist, an IP address, plain http, a user name, and parts that would spell it another way, without sending anything', async () => {
    const before = service.received.length;
    const ciphertext = Buffer.alloc(100, 1).toString('base64url');
    for (const [endpoint, reason] of [
      ['https://push.evil.example/push/abc', 'not on a push service this server sends to'],
      [`https://127.0.0.1:${service.port}/push/abc`, 'not an IP address'],
      [`http://localhost:${service.port}/push/abc`, 'must be https'],
      [`https://user:secret@localhost:${service.port}/push/abc`, 'user name or password'],
      [`https://localhost:${service.port + 1}/push/abc`, 'not on a push service'],
      [`https://localhost:${service.port}/${'a'.repeat(1100)}`, 'longer than 1024'],
      // Parts that would name the same subscription under another spelling (and another bucket of limits).
      [`https://localhost:${service.port}/push/abc#1`, 'fragment'],
      [`https://localhost:${service.port}/push/abc?x=1`, 'query'],
      [`https://localhost:${service.port}/push/abc?token=1`, 'query'],
      [`https://localhost:${service.port}/push/abc/`, 'must name a subscription'],
      [`https://localhost:${service.port}//push/abc`, 'empty path segment'],
      [`https://localhost:${service.port}/push/a%zzbc`, 'percent'],
    ] as const) {
      // Each from a connection of its own, within its burst: refusals are not the connection's limit.
      const result = await push(await joined(), { endpoint, ciphertext });
      expect(result.outcome, endpoint).toBe('refused');
      expect(result.message).toContain(reason);
    }
    expect(service.received.length).toBe(before);
    const alice = clients.at(-1)!;
    alice.send({ type: 'ping', t: 1 });
    expect((await alice.next('pong')).t).toBe(1);
  });

  it('refuses a ciphertext over 4096 bytes, and a malformed push with a bad-message error', async () => {
    const [alice] = await member();
    const bob = service.subscribe();
    const result = await push(alice, { endpoint: bob.endpoint, ciphertext: Buffer.alloc(4097, 7).toString('base64url') });
    expect(result).toMatchObject({ outcome: 'refused', message: 'ciphertext is larger than 4096 bytes' });
    alice.send({ type: 'push', id: 'x1', endpoint: bob.endpoint, ciphertext: 'not base64!', ttl: 45, urgency: 'high' });
    expect(await alice.next('error')).toMatchObject({ code: 'bad-message', message: 'ciphertext: ciphertext must be base64url' });
    alice.send({ type: 'push', id: 'x2', endpoint: bob.endpoint, ciphertext: 'AAAA', ttl: 90_000, urgency: 'high' });
    expect(await alice.next('error')).toMatchObject({ code: 'bad-message', message: 'ttl: ttl must be at most 86400 seconds' });
    alice.close();
  });

  it('answers only members of a room', async () => {
    const client = await TestClient.connect(url);
    client.send({ type: 'push', id: 'p0', endpoint: service.subscribe().endpoint, ciphertext: 'AAAA', ttl: 45, urgency: 'high' });
    expect(await client.next('error')).toMatchObject({ code: 'not-in-room' });
    client.close();
  });

  it('maps the push service answers back: 410 gone, 404 gone, 413 too large, 400 rejected', async () => {
    const [alice] = await member();
    const ciphertext = (subscription: StubSubscription) => service.encryptFor(subscription, 'hello').toString('base64url');
    const gone = service.subscribe();
    service.reply(gone, { status: 410 });
    expect((await push(alice, { endpoint: gone.endpoint, ciphertext: ciphertext(gone) })).outcome).toBe('gone');
    const missing = service.subscribe();
    service.reply(missing, { status: 404 });
    expect((await push(alice, { endpoint: missing.endpoint, ciphertext: ciphertext(missing) })).outcome).toBe('gone');
    const large = service.subscribe();
    service.reply(large, { status: 413 });
    expect((await push(alice, { endpoint: large.endpoint, ciphertext: ciphertext(large) })).outcome).toBe('too-large');
    const bad = service.subscribe();
    service.reply(bad, { status: 400 });
    expect(await push(alice, { endpoint: bad.endpoint, ciphertext: ciphertext(bad) })).toMatchObject({ outcome: 'rejected', message: 'the push service refused the request (400)' });
    alice.close();
  });

  it('never follows a redirect', async () => {
    const [alice] = await member();
    const moved = service.subscribe();
    const target = service.subscribe();
    service.reply(moved, { status: 307, headers: { Location: target.endpoint } });
    const before = service.received.length;
    const result = await push(alice, { endpoint: moved.endpoint, ciphertext: service.encryptFor(moved, 'hi').toString('base64url') });
    expect(result).toMatchObject({ outcome: 'failed', message: 'the push service answered 307 (redirects are not followed)' });
    // The control: a push sent to the target itself afterwards arrives, and is the only one that went there.
    expect((await push(alice, { endpoint: target.endpoint, ciphertext: service.encryptFor(target, 'hi').toString('base64url') })).outcome).toBe('sent');
    await service.waitFor(before + 2);
    expect(service.received.slice(before).map((p) => p.subscription)).toEqual([moved, target].map((s) => s.endpoint.split('/').at(-1)));
    alice.close();
  });

  it('limits pushes per endpoint and per connection, and keeps serving the flooder and everyone else', async () => {
    const [alice] = await member();
    const bob = service.subscribe();
    const body = service.encryptFor(bob, 'ring').toString('base64url');
    // Per endpoint: a burst of 4, then 6 a minute.
    const outcomes: unknown[] = [];
    for (let i = 0; i < 5; i++) outcomes.push((await push(alice, { endpoint: bob.endpoint, ciphertext: body })).outcome);
    expect(outcomes).toEqual(['sent', 'sent', 'sent', 'sent', 'rate-limited']);
    // Per connection: 6 at once (one is left after the five above), whatever the endpoint.
    const results: unknown[] = [];
    for (let i = 0; i < 3; i++) results.push((await pushTo(alice, service.subscribe())).outcome);
    expect(results).toEqual(['sent', 'rate-limited', 'rate-limited']);
    alice.send({ type: 'ping', t: 2 });
    expect((await alice.next('pong')).t).toBe(2);
    const [carol] = await member('Carol');
    expect((await pushTo(carol, service.subscribe())).outcome).toBe('sent');
    alice.close();
    carol.close();
  });

  it('counts an endpoint as one, however it is spelled: host case, port, dot segments, backslashes, percent-encoding', async () => {
    const bob = service.subscribe();
    const body = service.encryptFor(bob, 'ring').toString('base64url');
    const path = new URL(bob.endpoint).pathname;
    const id = path.split('/').at(-1)!;
    const outcomes: unknown[] = [];
    for (let i = 0; i < 4; i++) outcomes.push((await push(await joined(), { endpoint: bob.endpoint, ciphertext: body })).outcome);
    expect(outcomes).toEqual(['sent', 'sent', 'sent', 'sent']);
    const before = service.received.length;
    for (const endpoint of [
      `https://LOCALHOST:${service.port}${path}`,
      `https://localhost:0${service.port}${path}`,
      `https://localhost:${service.port}/x/..${path}`,
      `https://localhost:${service.port}/push/./${id}`,
      `https://localhost:${service.port}${path.replaceAll('/', '\\')}`,
      `https://localhost:${service.port}/push/%${id.charCodeAt(0).toString(16)}${id.slice(1)}`,
      `https://localhost:${service.port}/%70ush/${id}`,
    ]) {
      expect((await push(await joined(), { endpoint, ciphertext: body })).outcome, endpoint).toBe('rate-limited');
    }
    expect(service.received.length).toBe(before);
  });

  it('keeps an endpoint\'s limit after the push service said it is gone', async () => {
    const gone = service.subscribe();
    service.bind(gone, null);
    const body = service.encryptFor(gone, 'ring').toString('base64url');
    const before = service.received.length;
    const outcomes: unknown[] = [];
    for (let i = 0; i < 5; i++) outcomes.push((await push(await joined(), { endpoint: gone.endpoint, ciphertext: body })).outcome);
    expect(outcomes).toEqual(['gone', 'gone', 'gone', 'gone', 'rate-limited']);
    expect(service.received.length).toBe(before + 4);
  });
});

describe('a mailbox writer\'s push (POST /mailbox/:id/push)', () => {
  it('wakes the owner with what the writer encrypted, untouched and signed as any push, with no socket and no Topic', async () => {
    const [alice, welcome] = await member();
    alice.close();
    const box = await new MailboxClient(httpUrl).create();
    const owner = service.subscribe();
    const ciphertext = service.encryptFor(owner, JSON.stringify({ web_push: 8030, whisper: { kind: 'mailbox' } }));
    const before = service.received.length;
    const answer = await box.push({ endpoint: owner.endpoint, ciphertext: ciphertext.toString('base64url'), ttl: 600, urgency: 'normal', topic: 'mailbox' });
    expect([answer.status, await answer.json()]).toEqual([200, { outcome: 'sent' }]);
    const received = await service.waitFor(before + 1);
    expect(received.problem).toBeNull();
    expect(received.body.equals(ciphertext)).toBe(true);
    expect(JSON.parse(service.decrypt(owner, received.body).toString())).toMatchObject({ whisper: { kind: 'mailbox' } });
    expect(received.headers).toMatchObject({ ttl: '600', urgency: 'normal', 'content-encoding': 'aes128gcm' });
    expect(received.headers.topic).toBeUndefined();
    expect(received.vapid).toMatchObject({ aud: service.origin, sub: SUBJECT, key: welcome.vapidPublicKey });
  });

  it('sends nothing for a stranger or a revoked writer, and counts the endpoint\'s pushes together with those over /ws', async () => {
    const box = await new MailboxClient(httpUrl).create();
    const owner = service.subscribe();
    const wake = { endpoint: owner.endpoint, ciphertext: service.encryptFor(owner, 'new entry').toString('base64url'), ttl: 600, urgency: 'normal' };
    const before = service.received.length;
    const stranger = await box.push(wake, newMailboxKeys().capability);
    expect([stranger.status, await errorOf(stranger)]).toEqual([403, 'forbidden']);
    const carol = newMailboxKeys().capability;
    expect((await box.put([carol])).status).toBe(200);
    const revoked = await box.push(wake);
    expect([revoked.status, await errorOf(revoked)]).toEqual([403, 'forbidden']);
    expect(service.received.length).toBe(before);
    // Per endpoint: a burst of 4 whichever way they come, then 6 a minute.
    const alice = await joined();
    for (let i = 0; i < 2; i++) expect((await push(alice, wake)).outcome).toBe('sent');
    for (let i = 0; i < 2; i++) expect(await (await box.push(wake, carol)).json()).toEqual({ outcome: 'sent' });
    expect(await (await box.push(wake, carol)).json()).toEqual({ outcome: 'rate-limited', retryAfter: 10 });
    expect((await push(alice, wake)).outcome).toBe('rate-limited');
    await service.waitFor(before + 4);
    expect(service.receivedFor(owner.endpoint)).toHaveLength(4);
  });
});

describe('a push service that answers 429', () => {
  it('gets no push from anyone, to any of its endpoints however spelled, before its Retry-After; other push services still do', async () => {
    const other = await PushService.start();
    onTestFinished(() => other.stop());
    await withSignal({ PUSH_ALLOWED_HOSTS: `localhost:${service.port},localhost:${other.port}` }, async (busyUrl) => {
      const [alice] = await TestClient.join(busyUrl, randomRoom(), 'Alice');
      const [carol] = await TestClient.join(busyUrl, randomRoom(), 'Carol');
      const bob = service.subscribe();
      const body = service.encryptFor(bob, 'ring').toString('base64url');
      service.reply(bob, { status: 429, headers: { 'Retry-After': '120' } });
      expect(await push(alice, { endpoint: bob.endpoint, ciphertext: body })).toMatchObject({ outcome: 'rate-limited', retryAfter: 120 });
      const before = service.received.length;
      const dave = service.subscribe();
      for (const [client, endpoint] of [
        [alice, bob.endpoint],
        [carol, bob.endpoint.replace('localhost', 'LOCALHOST')],
        [carol, dave.endpoint],
      ] as const) {
        const again = await push(client, { endpoint, ciphertext: body });
        expect(again.outcome, endpoint).toBe('rate-limited');
        expect(again.retryAfter, endpoint).toBeGreaterThan(100);
      }
      expect(service.received.length).toBe(before);
      expect((await pushTo(carol, other.subscribe(), other)).outcome).toBe('sent');
      alice.close();
      carol.close();
    });
  });
});

describe('pushes from one address', () => {
  it('are limited however often it reconnects, and other addresses keep theirs', async () => {
    await withSignal({ PUSHES_PER_ADDRESS_PER_MINUTE: '5' }, async (limitedUrl) => {
      const outcomes: unknown[] = [];
      for (let i = 0; i < 6; i++) {
        const [client] = await TestClient.join(limitedUrl, randomRoom(), 'Mallory');
        const result = await pushTo(client, service.subscribe());
        outcomes.push(result.outcome);
        if (result.outcome === 'rate-limited') expect(result.retryAfter).toBe(12);
        client.close();
        await client.closed;
      }
      expect(outcomes).toEqual(['sent', 'sent', 'sent', 'sent', 'sent', 'rate-limited']);
      const [neighbour] = await TestClient.join(limitedUrl, randomRoom(), 'Bob', { localAddress: '127.0.0.2' });
      expect((await pushTo(neighbour, service.subscribe())).outcome).toBe('sent');
      neighbour.close();
    });
  });
});

describe('"Decline" from a notification', () => {
  it('reaches the caller without joining the room, and says whether it did', async () => {
    const room = randomRoom();
    const [alice, welcome] = await TestClient.join(url, room, 'Alice');
    const [bob] = await TestClient.join(url, room, 'Bob');
    await alice.next('peer-joined');
    // The service worker of a third device (the callee's, app closed) opens a socket for this alone.
    const worker = await TestClient.connect(url);
    worker.send({ type: 'decline-call', room, to: welcome.id, call: 'call-0123456789abcdef' });
    expect(await alice.next('call-declined')).toEqual({ type: 'call-declined', call: 'call-0123456789abcdef' });
    expect(await worker.next('decline-result')).toEqual({ type: 'decline-result', call: 'call-0123456789abcdef', delivered: true });
    // Nobody else hears it, and nobody saw the worker come or go (the server handled the decline before the
    // round trip, and writes to each socket in order).
    await bob.roundTrip();
    expect(bob.received.map((m) => m.type)).toEqual([]);
    worker.send({ type: 'decline-call', room, to: 'AAAAAAAAAAAAAAAAAAAAAA', call: 'call-0123456789abcdef' });
    expect(await worker.next('decline-result')).toMatchObject({ delivered: false });
    worker.send({ type: 'decline-call', room: randomRoom(), to: welcome.id, call: 'call-0123456789abcdef' });
    expect(await worker.next('decline-result')).toMatchObject({ delivered: false });
    worker.send({ type: 'decline-call', room, to: welcome.id, call: 'short' });
    expect(await worker.next('error')).toMatchObject({ code: 'bad-message' });
    await alice.roundTrip();
    expect(alice.received.map((m) => m.type)).toEqual([]);
    for (const client of [alice, bob, worker]) client.close();
  });
});

describe('the VAPID tokens the server keeps', () => {
  it('stay few however many push services it sends to: the one used longest ago is forgotten, and signed again when needed', async () => {
    // A wildcard entry (*.notify.windows.com) allows endless origins, each with a token of its own (the JWT's
    // aud is the push service's origin). Here the origins differ by port, each a push service of its own.
    const others = await Promise.all(Array.from({ length: 40 }, () => PushService.start()));
    onTestFinished(async () => {
      await Promise.all(others.map((other) => other.stop()));
    });
    await withSignal({ PUSH_ALLOWED_HOSTS: [service, ...others].map((s) => `localhost:${s.port}`).join(',') }, async (manyUrl) => {
      // Eight members, none past a connection's burst of pushes.
      const room = randomRoom();
      const members = await Promise.all(Array.from({ length: 8 }, async () => (await TestClient.join(manyUrl, room, 'Alice'))[0]));
      let sent = 0;
      const tokenSeenBy = async (to: PushService): Promise<string> => {
        const result = await pushTo(members[sent++ % members.length]!, to.subscribe(), to);
        expect(result.outcome).toBe('sent');
        const received = to.received.at(-1)!;
        expect(received.problem).toBeNull();
        return received.headers.authorization!;
      };
      const first = await tokenSeenBy(service);
      expect(await tokenSeenBy(service)).toBe(first);
      for (const other of others) await tokenSeenBy(other);
      expect(await tokenSeenBy(service)).not.toBe(first);
      for (const member of members) member.close();
    });
  });
});

describe('a push service that never finishes its answer', () => {
  it('gets `failed` once the push deadline has passed, though a byte comes now and then', async () => {
    await withSignal({ PUSH_TIMEOUT_MS: '1000' }, async (patientUrl) => {
      const [alice] = await TestClient.join(patientUrl, randomRoom(), 'Alice');
      const bob = service.subscribe();
      service.reply(bob, { status: 201, trickle: true });
      expect(await pushTo(alice, bob)).toMatchObject({ outcome: 'failed', message: 'the push service did not answer in time' });
      alice.close();
    });
  });
});

describe('Web Push to a private address', () => {
  it('is refused at connect time when the endpoint resolves to loopback, though its host is allowed', async () => {
    await withSignal({ PUSH_ALLOW_PRIVATE_ADDRESSES: 'false' }, async (guardedUrl) => {
      const [alice] = await TestClient.join(guardedUrl, randomRoom(), 'Alice');
      const before = service.received.length;
      expect(await pushTo(alice, service.subscribe())).toMatchObject({ outcome: 'refused', message: 'endpoint resolves to a private address' });
      expect(service.received.length).toBe(before);
      alice.close();
    });
  });
});

describe('Web Push switched off', () => {
  it('without VAPID_SUBJECT, offers no key and refuses pushes with a clear reason', async () => {
    const plain = launchSignal({});
    try {
      const [alice, welcome] = await TestClient.join(`ws://127.0.0.1:${await plain.listening}/ws`, randomRoom(), 'Alice');
      expect(welcome.vapidPublicKey).toBeUndefined();
      const result = await push(alice, { endpoint: 'https://fcm.googleapis.com/fcm/send/abc', ciphertext: 'AAAA' });
      expect(result).toMatchObject({ outcome: 'refused', message: 'this server does not send push notifications' });
      alice.close();
    } finally {
      await plain.stop();
    }
  });

  it('refuses to start with a localhost subject, or with half a key pair', async () => {
    for (const [env, message] of [
      [{ VAPID_SUBJECT: 'mailto:admin@localhost' }, 'VAPID_SUBJECT: must not be localhost'],
      [{ VAPID_SUBJECT: 'https://localhost:8443' }, 'VAPID_SUBJECT: must not be localhost'],
      [{ VAPID_SUBJECT: 'admin@example.org' }, 'VAPID_SUBJECT: must be a mailto: or https: address'],
      [{ VAPID_SUBJECT: SUBJECT, VAPID_PUBLIC_KEY: Buffer.alloc(65, 4).toString('base64url') }, 'VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY must be set together'],
    ] as const) {
      const result = await launchSignal({ ...env, DATA_DIR: dataDir }).exited;
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(message);
    }
  });
});

describe('what the server keeps', () => {
  it('counts pushes by outcome in its metrics, and logs no endpoint', async () => {
    const text = await (await fetch(url.replace('ws://', 'http://').replace('/ws', '/metrics'))).text();
    const count = (outcome: string) => Number(new RegExp(`whisper_pushes_total\\{outcome="${outcome}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
    expect(count('sent')).toBeGreaterThanOrEqual(7);
    expect(count('refused')).toBeGreaterThanOrEqual(7);
    // 410 and 404 once each, and four to the endpoint that stays gone.
    expect(count('gone')).toBe(6);
    expect(count('rate-limited')).toBeGreaterThanOrEqual(4);
    const logs = await stopAndCollect();
    expect(logs).toContain('"msg":"push"');
    expect(logs).not.toContain('/push/');
    expect(logs).not.toContain('evil.example');
  });
});

async function stopAndCollect(): Promise<string> {
  const { stdout } = await signal.stop();
  return stdout;
}
