import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { readConfig } from '../config.js';
import { LocalAddressLimits } from '../limits/address-limits.js';
import { SignalMetrics } from '../ops/metrics.js';
import type { PushOutcome, PushRequest } from '../push/push-sender.js';
import { hashSecret } from './mailbox-store.js';
import { MailboxService, mailboxBodyLimit, parseMailboxPath, type MailboxRequest, type MailboxResponse } from './mailbox-service.js';
import { MemoryMailboxStore } from './memory-mailbox-store.js';

let clock = 1_700_000_000_000;
const services: MailboxService[] = [];
afterEach(() => {
  for (const service of services.splice(0)) service.close();
});

/** Stands in for the PushSender: keeps what it is asked to send, and answers `outcome` (or fails with it). */
class SenderStandIn {
  readonly sent: Array<{ push: PushRequest; address: string }> = [];
  outcome: PushOutcome | Error = { outcome: 'sent' };

  send(push: PushRequest, address: string): Promise<PushOutcome> {
    this.sent.push({ push, address });
    return this.outcome instanceof Error ? Promise.reject(this.outcome) : Promise.resolve(this.outcome);
  }
}

function makeService(settings: { deposits?: number; fetches?: number; entries?: number; push?: SenderStandIn } = {}) {
  const config = readConfig({});
  const metrics = new SignalMetrics({ connections: () => 0, rooms: () => 0, peers: () => 0, peersAway: () => 0, pendingSignalBytes: () => 0, trackedAddresses: () => 0 });
  const store = new MemoryMailboxStore({ ...config.mailbox, ttlMs: 60_000, entriesPerMailbox: settings.entries ?? 500 }, () => clock);
  const addresses = new LocalAddressLimits({ ...config.addressLimits, mailboxDepositsPerMinute: settings.deposits ?? 1e6, mailboxFetchesPerMinute: settings.fetches ?? 1e6 });
  const service = new MailboxService({ store, addresses, metrics, log: pino({ level: 'silent' }), allowedOrigins: [], push: settings.push ?? null, sweepEveryMs: 3_600_000 });
  services.push(service);
  return { service, metrics, store };
}

const secret = () => randomBytes(32).toString('base64url');
const HOST = 'chat.example.org';

function request(method: string, path: string, fields: Partial<MailboxRequest> = {}): MailboxRequest {
  return { method, path, authorization: '', contentType: '', origin: '', host: HOST, body: null, address: ['198.51.100.7'], ...fields };
}

const bearer = (token: string) => `Bearer ${token}`;
const writersBody = (writers: string[]) => new TextEncoder().encode(JSON.stringify({ writers }));
const ENDPOINT = 'https://push.example.net/push/owner-subscription';
/** What a writer's device sends to wake the owner: a push it encrypted for the owner's subscription. */
const wakeUp = (ciphertext: Uint8Array = randomBytes(3000), fields: Record<string, unknown> = {}) => ({
  endpoint: ENDPOINT,
  ciphertext: Buffer.from(ciphertext).toString('base64url'),
  ttl: 600,
  urgency: 'normal',
  ...fields,
});

/** A mailbox with one writer, made through the service. */
async function setUp(service: MailboxService) {
  const id = randomBytes(16).toString('base64url');
  const read = secret();
  const capability = secret();
  const put = await service.handle(request('PUT', `/mailbox/${id}`, { authorization: bearer(read), contentType: 'application/json', body: writersBody([hashSecret(capability)]) }));
  expect(put).toMatchObject({ status: 201, body: '{"writers":1}' });
  const deposit = (data: Uint8Array | 'too-large', token = capability, contentType = 'application/octet-stream') =>
    service.handle(request('POST', `/mailbox/${id}/entries`, { authorization: bearer(token), contentType, body: data }));
  const fetchAll = (token = read) => service.handle(request('GET', `/mailbox/${id}/entries`, { authorization: bearer(token) }));
  /** POST /mailbox/:id/push with `body` as JSON (a string as it is). */
  const push = (body: unknown, fields: Partial<MailboxRequest> = {}) =>
    service.handle(
      request('POST', `/mailbox/${id}/push`, {
        authorization: bearer(capability),
        contentType: 'application/json',
        body: body === 'too-large' ? 'too-large' : new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body)),
        ...fields,
      }),
    );
  return { id, read, capability, deposit, fetchAll, push };
}

/** The answer's JSON, whether the service wrote it as a string or as bytes. */
const bodyOf = (response: MailboxResponse): unknown => JSON.parse(Buffer.from(response.body).toString());
const errorOf = (response: MailboxResponse) => (bodyOf(response) as { error: string }).error;

describe('routes', () => {
  it('reads the four routes and nothing else', () => {
    expect(parseMailboxPath('/mailbox/abc')).toEqual({ kind: 'mailbox', id: 'abc' });
    expect(parseMailboxPath('/mailbox/abc/entries')).toEqual({ kind: 'entries', id: 'abc' });
    expect(parseMailboxPath('/mailbox/abc/entries/e1')).toEqual({ kind: 'entry', id: 'abc', entry: 'e1' });
    expect(parseMailboxPath('/mailbox/abc/push')).toEqual({ kind: 'push', id: 'abc' });
    for (const path of ['/mailbox', '/mailbox/', '/mailbox/abc/', '/mailbox/abc/other', '/mailbox/abc/entries/', '/mailbox/abc/entries/e/x', '/mailbox/abc/push/', '/mailbox/abc/push/x']) {
      expect(parseMailboxPath(path)).toBeNull();
    }
    expect(mailboxBodyLimit('POST', '/mailbox/abc/entries')).toBe(65536);
    expect(mailboxBodyLimit('PUT', '/mailbox/abc')).toBe(32768);
    expect(mailboxBodyLimit('POST', '/mailbox/abc/push')).toBe(8192);
    expect(mailboxBodyLimit('GET', '/mailbox/abc/entries')).toBeNull();
    expect(mailboxBodyLimit('GET', '/mailbox/abc/push')).toBeNull();
  });

  it('answers an unknown route 404 and a wrong method 405 with Allow', async () => {
    const { service } = makeService();
    expect(await service.handle(request('GET', '/mailbox/x/y'))).toMatchObject({ status: 404 });
    const wrong = await service.handle(request('PATCH', '/mailbox/AAAAAAAAAAAAAAAAAAAAAA'));
    expect(wrong.status).toBe(405);
    expect(wrong.headers).toContainEqual(['Allow', 'PUT, DELETE']);
    expect(errorOf(wrong)).toBe('method-not-allowed');
  });
});

describe('deposit and fetch', () => {
  it('stores what a writer deposits and gives it to the owner, exactly, oldest first', async () => {
    const { service, metrics } = makeService();
    const box = await setUp(service);
    const sealed = [Uint8Array.from(randomBytes(1024)), Uint8Array.from(randomBytes(16 * 1024))];
    const answers = [];
    for (const data of sealed) {
      const deposited = await box.deposit(data);
      expect(deposited.status).toBe(201);
      answers.push(bodyOf(deposited) as { entry: string; expires: number });
    }
    expect(answers[0]!.expires).toBe(clock + 60_000);
    const fetched = await box.fetchAll();
    expect(fetched.status).toBe(200);
    expect(fetched.headers).toContainEqual(['Cache-Control', 'no-store']);
    const { entries } = bodyOf(fetched) as { entries: Array<{ entry: string; at: number; expires: number; data: string }> };
    expect(entries.map((e) => e.entry)).toEqual(answers.map((a) => a.entry));
    expect(entries.map((e) => Buffer.from(e.data, 'base64url'))).toEqual(sealed.map((s) => Buffer.from(s)));
    expect(entries[0]).toMatchObject({ at: clock, expires: clock + 60_000 });
    expect((await metrics.mailboxDeposits.get()).values[0]!.value).toBe(2);
    expect((await metrics.mailboxFetches.get()).values[0]!.value).toBe(1);
  });

  it('refuses a deposit with no capability (401), a wrong one (403), a malformed one (400), and an unknown mailbox (404)', async () => {
    const { service, metrics } = makeService();
    const box = await setUp(service);
    const data = new Uint8Array(1024);
    const none = await service.handle(request('POST', `/mailbox/${box.id}/entries`, { contentType: 'application/octet-stream', body: data }));
    expect(none.status).toBe(401);
    expect(none.headers).toContainEqual(['WWW-Authenticate', 'Bearer']);
    expect(errorOf(none)).toBe('no-credential');
    expect(errorOf(await box.deposit(data, secret()))).toBe('forbidden');
    expect((await box.deposit(data, secret())).status).toBe(403);
    expect(errorOf(await box.deposit(data, box.read))).toBe('forbidden');
    expect(await box.deposit(data, 'not-a-secret')).toMatchObject({ status: 400 });
    const elsewhere = await service.handle(request('POST', `/mailbox/${randomBytes(16).toString('base64url')}/entries`, { authorization: bearer(box.capability), contentType: 'application/octet-stream', body: data }));
    expect(elsewhere.status).toBe(404);
    expect(errorOf(elsewhere)).toBe('unknown-mailbox');
    expect((await metrics.mailboxRefusals.get()).values.find((v) => v.labels.reason === 'forbidden')?.value).toBe(3);
    expect(bodyOf(await box.fetchAll())).toEqual({ entries: [] });
  });

  it('refuses a capability its owner left out of the writers (revoked)', async () => {
    const { service } = makeService();
    const box = await setUp(service);
    const other = secret();
    const put = await service.handle(request('PUT', `/mailbox/${box.id}`, { authorization: bearer(box.read), contentType: 'application/json', body: writersBody([hashSecret(other)]) }));
    expect(put).toMatchObject({ status: 200, body: '{"writers":1}' });
    expect((await box.deposit(new Uint8Array(1024))).status).toBe(403);
    expect((await box.deposit(new Uint8Array(1024), other)).status).toBe(201);
  });

  it('takes only the padding buckets, and refuses more than 64 KiB with 413', async () => {
    const { service } = makeService();
    const box = await setUp(service);
    for (const size of [0, 1, 1023, 1025, 2048, 65535]) {
      const answer = await box.deposit(new Uint8Array(size));
      expect([size, answer.status, errorOf(answer)]).toEqual([size, 400, 'not-a-bucket']);
    }
    for (const size of [1024, 4096, 16384, 65536]) expect((await box.deposit(new Uint8Array(size))).status).toBe(201);
    const large = await box.deposit('too-large');
    expect([large.status, errorOf(large)]).toEqual([413, 'entry-too-large']);
    expect((await box.deposit(new Uint8Array(1024), box.capability, 'text/plain')).status).toBe(415);
  });

  it('refuses a deposit into a full mailbox with 409 mailbox-full and removes nothing', async () => {
    const { service } = makeService({ entries: 2 });
    const box = await setUp(service);
    await box.deposit(new Uint8Array(1024).fill(1));
    await box.deposit(new Uint8Array(1024).fill(2));
    const full = await box.deposit(new Uint8Array(1024).fill(3));
    expect([full.status, errorOf(full)]).toEqual([409, 'mailbox-full']);
    const { entries } = bodyOf(await box.fetchAll()) as { entries: Array<{ data: string }> };
    expect(entries.map((e) => Buffer.from(e.data, 'base64url')[0])).toEqual([1, 2]);
  });
});

describe('a writer\'s push to the owner', () => {
  it('hands the sender the push a writer encrypted, byte for byte, counted by the client address, with no topic and nothing stored', async () => {
    const sender = new SenderStandIn();
    const { service, metrics } = makeService({ push: sender });
    const box = await setUp(service);
    const ciphertext = randomBytes(4096);
    const answer = await box.push(wakeUp(ciphertext, { ttl: 3600, urgency: 'high', topic: 'replaces-anothers' }));
    expect(answer).toMatchObject({ status: 200, body: '{"outcome":"sent"}' });
    expect(answer.headers).toContainEqual(['Cache-Control', 'no-store']);
    expect(sender.sent).toHaveLength(1);
    const [{ push, address }] = sender.sent as [{ push: PushRequest; address: string }];
    expect(address).toBe('198.51.100.7');
    expect(Object.keys(push).sort()).toEqual(['ciphertext', 'endpoint', 'ttl', 'urgency']);
    expect(push).toMatchObject({ endpoint: ENDPOINT, ttl: 3600, urgency: 'high' });
    expect(Buffer.from(push.ciphertext).equals(ciphertext)).toBe(true);
    expect((await metrics.pushes.get()).values).toEqual([expect.objectContaining({ labels: { outcome: 'sent' }, value: 1 })]);
    expect(bodyOf(await box.fetchAll())).toEqual({ entries: [] });
    expect((await metrics.mailboxDeposits.get()).values[0]!.value).toBe(0);
  });

  it('tells the writer what became of the push as push-result tells it over /ws', async () => {
    const sender = new SenderStandIn();
    const { service, metrics } = makeService({ push: sender });
    const box = await setUp(service);
    const cases: Array<[PushOutcome | Error, unknown]> = [
      [{ outcome: 'gone' }, { outcome: 'gone' }],
      [{ outcome: 'rate-limited', retryAfter: 30 }, { outcome: 'rate-limited', retryAfter: 30 }],
      [{ outcome: 'too-large' }, { outcome: 'too-large', message: 'the push service refused the payload as too large' }],
      [{ outcome: 'rejected', status: 403 }, { outcome: 'rejected', message: 'the push service refused the request (403)' }],
      [{ outcome: 'refused', reason: 'not on a push service this server sends to' }, { outcome: 'refused', message: 'not on a push service this server sends to' }],
      [{ outcome: 'failed', reason: 'the push service answered 502' }, { outcome: 'failed', message: 'the push service answered 502' }],
      [new Error('socket hang up'), { outcome: 'failed', message: 'internal error' }],
    ];
    for (const [outcome, expected] of cases) {
      sender.outcome = outcome;
      const answer = await box.push(wakeUp());
      expect([answer.status, bodyOf(answer)]).toEqual([200, expected]);
    }
    expect((await metrics.pushes.get()).values.find((v) => v.labels.outcome === 'failed')?.value).toBe(2);
  });

  it('refuses anyone who is not a writer now, as a deposit does, and sends nothing', async () => {
    const sender = new SenderStandIn();
    const { service } = makeService({ push: sender });
    const box = await setUp(service);
    const stranger = await box.push(wakeUp(), { authorization: bearer(secret()) });
    expect([stranger.status, errorOf(stranger)]).toEqual([403, 'forbidden']);
    expect((await box.push(wakeUp(), { authorization: bearer(box.read) })).status).toBe(403);
    const none = await box.push(wakeUp(), { authorization: '' });
    expect([none.status, errorOf(none)]).toEqual([401, 'no-credential']);
    const elsewhere = await service.handle(
      request('POST', `/mailbox/${randomBytes(16).toString('base64url')}/push`, { authorization: bearer(box.capability), contentType: 'application/json', body: new TextEncoder().encode(JSON.stringify(wakeUp())) }),
    );
    expect([elsewhere.status, errorOf(elsewhere)]).toEqual([404, 'unknown-mailbox']);
    // Revoked: its owner lists another writer instead.
    const other = secret();
    expect((await service.handle(request('PUT', `/mailbox/${box.id}`, { authorization: bearer(box.read), contentType: 'application/json', body: writersBody([hashSecret(other)]) }))).status).toBe(200);
    const revoked = await box.push(wakeUp());
    expect([revoked.status, errorOf(revoked)]).toEqual([403, 'forbidden']);
    expect(sender.sent).toEqual([]);
    expect((await box.push(wakeUp(), { authorization: bearer(other) })).status).toBe(200);
    expect(sender.sent).toHaveLength(1);
  });

  it('refuses a malformed push with 400, another media type with 415, and sends nothing', async () => {
    const sender = new SenderStandIn();
    const { service } = makeService({ push: sender });
    const box = await setUp(service);
    const malformed: unknown[] = [
      '{',
      '[]',
      { ...wakeUp(), endpoint: undefined },
      wakeUp(undefined, { ttl: 86_401 }),
      wakeUp(undefined, { ttl: 1.5 }),
      wakeUp(undefined, { ttl: '60' }),
      wakeUp(undefined, { urgency: 'urgent' }),
      wakeUp(undefined, { ciphertext: 'not base64url!' }),
      wakeUp(undefined, { ciphertext: '' }),
      wakeUp(randomBytes(4097)),
    ];
    for (const body of malformed) {
      const answer = await box.push(body);
      expect([body, answer.status, errorOf(answer)]).toEqual([body, 400, 'bad-request']);
    }
    expect(bodyOf(await box.push(wakeUp(randomBytes(4097))))).toMatchObject({ message: 'body: ciphertext must be at most 4096 bytes' });
    const large = await box.push('too-large');
    expect([large.status, bodyOf(large)]).toEqual([400, { error: 'bad-request', message: 'body: at most 8192 bytes' }]);
    expect((await box.push(wakeUp(), { contentType: 'text/plain' })).status).toBe(415);
    const get = await box.push(null, { method: 'GET' });
    expect([get.status, get.headers]).toEqual([405, expect.arrayContaining([['Allow', 'POST']])]);
    expect(sender.sent).toEqual([]);
    expect((await box.push(wakeUp(randomBytes(4096)))).status).toBe(200);
  });

  it('answers refused when this server sends no pushes, once the capability is known to be a writer', async () => {
    const { service, metrics } = makeService();
    const box = await setUp(service);
    const answer = await box.push(wakeUp());
    expect([answer.status, bodyOf(answer)]).toEqual([200, { outcome: 'refused', message: 'this server does not send push notifications' }]);
    expect((await box.push(wakeUp(), { authorization: bearer(secret()) })).status).toBe(403);
    expect((await metrics.pushes.get()).values).toEqual([expect.objectContaining({ labels: { outcome: 'refused' }, value: 1 })]);
  });

  it('counts each push as a deposit of the client address', async () => {
    const sender = new SenderStandIn();
    const { service } = makeService({ deposits: 2, push: sender });
    const box = await setUp(service);
    expect((await box.deposit(new Uint8Array(1024))).status).toBe(201);
    expect((await box.push(wakeUp())).status).toBe(200);
    const limited = await box.push(wakeUp());
    expect([limited.status, errorOf(limited)]).toEqual([429, 'rate-limited']);
    expect(limited.headers).toContainEqual(['Retry-After', '30']);
    expect((await box.deposit(new Uint8Array(1024))).status).toBe(429);
    expect(sender.sent).toHaveLength(1);
    expect((await box.push(wakeUp(), { address: ['198.51.100.8'] })).status).toBe(200);
    expect(sender.sent.map((s) => s.address)).toEqual(['198.51.100.7', '198.51.100.8']);
  });
});

describe('the owner', () => {
  it('refuses a PUT of an existing mailbox with another read secret, and bad writer lists', async () => {
    const { service } = makeService();
    const box = await setUp(service);
    const put = (body: unknown, token = box.read, contentType = 'application/json') =>
      service.handle(request('PUT', `/mailbox/${box.id}`, { authorization: bearer(token), contentType, body: typeof body === 'string' ? new TextEncoder().encode(body) : writersBody(body as string[]) }));
    expect((await put([], secret())).status).toBe(403);
    expect((await put('{')).status).toBe(400);
    expect(await put('{"writers":"x"}')).toMatchObject({ status: 400 });
    expect(await put(['short'])).toMatchObject({ status: 400 });
    expect(errorOf(await put(Array.from({ length: 257 }, () => hashSecret(secret()))))).toBe('bad-request');
    expect((await put(Array.from({ length: 256 }, () => hashSecret(secret())))).status).toBe(200);
    expect((await put([], box.read, 'text/plain')).status).toBe(415);
    expect((await service.handle(request('PUT', '/mailbox/too-short', { authorization: bearer(box.read), contentType: 'application/json', body: writersBody([]) }))).status).toBe(400);
  });

  it('deletes an entry (204, again 204), refuses a wrong read secret, and deletes the mailbox', async () => {
    const { service } = makeService();
    const box = await setUp(service);
    const { entry } = bodyOf(await box.deposit(new Uint8Array(1024))) as { entry: string };
    const del = (path: string, token = box.read) => service.handle(request('DELETE', path, { authorization: bearer(token) }));
    expect((await del(`/mailbox/${box.id}/entries/${entry}`, secret())).status).toBe(403);
    expect(await del(`/mailbox/${box.id}/entries/${entry}`)).toMatchObject({ status: 204, body: '' });
    expect((await del(`/mailbox/${box.id}/entries/${entry}`)).status).toBe(204);
    expect((await del(`/mailbox/${box.id}/entries/nope`)).status).toBe(400);
    expect(bodyOf(await box.fetchAll())).toEqual({ entries: [] });
    expect((await box.fetchAll(secret())).status).toBe(403);
    expect((await del(`/mailbox/${box.id}`, secret())).status).toBe(403);
    expect((await del(`/mailbox/${box.id}`)).status).toBe(204);
    expect((await box.fetchAll()).status).toBe(404);
    expect((await box.deposit(new Uint8Array(1024))).status).toBe(404);
  });
});

describe('any request', () => {
  it('gets an answer with a known status and a JSON error, never an exception', async () => {
    const { service } = makeService({ push: new SenderStandIn() });
    const box = await setUp(service);
    const statuses = new Set([200, 201, 204, 400, 401, 403, 404, 405, 409, 413, 415]);
    const piece = fc.oneof(fc.constantFrom(box.id, 'entries', 'push', 'mailbox', '', '..', '%00', box.read), fc.string({ maxLength: 50 }));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', ''),
        fc.array(piece, { maxLength: 5 }).map((parts) => `/${parts.join('/')}`),
        fc.oneof(fc.constant(''), fc.constantFrom(bearer(box.read), bearer(box.capability)), fc.string({ maxLength: 80 })),
        fc.constantFrom('', 'application/json', 'application/octet-stream', 'text/plain; charset=utf-8'),
        fc.oneof(
          fc.constant(null),
          fc.constant('too-large' as const),
          fc.uint8Array({ maxLength: 2048 }),
          fc.json().map((text) => new TextEncoder().encode(text)),
          fc.record({ endpoint: fc.string(), ciphertext: fc.base64String(), ttl: fc.integer(), urgency: fc.constantFrom('low', 'high', 'x') }).map((push) => new TextEncoder().encode(JSON.stringify(push))),
        ),
        async (method, path, authorization, contentType, body) => {
          const answer = await service.handle(request(method, path, { authorization, contentType, body }));
          expect(statuses).toContain(answer.status);
          if (answer.status >= 400) expect(bodyOf(answer)).toEqual({ error: expect.any(String), message: expect.any(String) });
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('limits and refusals', () => {
  it('limits deposits and fetches per address, with Retry-After', async () => {
    const { service } = makeService({ deposits: 2, fetches: 3 });
    const box = await setUp(service); // the PUT took one of the 3 fetches
    await box.deposit(new Uint8Array(1024));
    await box.deposit(new Uint8Array(1024));
    const limited = await box.deposit(new Uint8Array(1024));
    expect([limited.status, errorOf(limited)]).toEqual([429, 'rate-limited']);
    expect(limited.headers).toContainEqual(['Retry-After', '30']);
    expect((await box.fetchAll()).status).toBe(200);
    expect((await box.fetchAll()).status).toBe(200);
    expect((await box.fetchAll()).status).toBe(429);
    const other = await service.handle(request('GET', `/mailbox/${box.id}/entries`, { authorization: bearer(box.read), address: ['198.51.100.8'] }));
    expect(other.status).toBe(200);
  });

  it('refuses another site\'s page, and answers 503 when the store cannot be reached', async () => {
    const { service, store } = makeService();
    const box = await setUp(service);
    const cross = await service.handle(request('GET', `/mailbox/${box.id}/entries`, { authorization: bearer(box.read), origin: 'https://evil.example' }));
    expect([cross.status, errorOf(cross)]).toEqual([403, 'forbidden']);
    expect((await service.handle(request('GET', `/mailbox/${box.id}/entries`, { authorization: bearer(box.read), origin: `https://${HOST}` }))).status).toBe(200);
    store.entries = () => Promise.reject(new Error('connection lost'));
    const down = await box.fetchAll();
    expect([down.status, errorOf(down)]).toEqual([503, 'unavailable']);
    expect(down.headers).toContainEqual(['Retry-After', '5']);
  });

  it('never puts an id or a secret in a log line', async () => {
    const lines: string[] = [];
    const config = readConfig({});
    const store = new MemoryMailboxStore(config.mailbox);
    const log = pino({ level: 'trace' }, { write: (line: string) => lines.push(line) });
    const metrics = new SignalMetrics({ connections: () => 0, rooms: () => 0, peers: () => 0, peersAway: () => 0, pendingSignalBytes: () => 0, trackedAddresses: () => 0 });
    const sender = new SenderStandIn();
    const service = new MailboxService({ store, addresses: new LocalAddressLimits(config.addressLimits), metrics, log, allowedOrigins: [], push: sender, sweepEveryMs: 3_600_000 });
    services.push(service);
    const box = await setUp(service);
    await box.deposit(new Uint8Array(1024));
    await box.deposit(new Uint8Array(1000));
    await box.push(wakeUp());
    sender.outcome = new Error('socket hang up');
    await box.push(wakeUp());
    store.entries = () => Promise.reject(new Error('connection lost'));
    await box.fetchAll();
    await service.sweep();
    const text = lines.join('\n');
    expect(text).toContain('mailbox store unavailable');
    expect(text).toContain('mailbox push failed');
    for (const value of [box.id, box.read, box.capability, hashSecret(box.read), hashSecret(box.capability), ENDPOINT, 'owner-subscription']) expect(text).not.toContain(value);
  });
});
