/**
 * The mailbox over HTTP against a real listening server (one process, its store in LevelDB under a DATA_DIR
 * of its own, see signal-harness.ts): deposit and fetch, refusals, quotas, expiry without any request, delete,
 * a writer's push on a server that sends none, and same-origin only. Across a restart of the process:
 * mailbox-restart.test.ts; a writer's push that reaches a push service: push.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAILBOX_ENTRY_BUCKETS } from '../../signal/protocol/limits.js';
import { MailboxClient, errorOf, newMailboxKeys, sealed } from './support/mailbox-client.js';
import { metricsOf, sample, until } from './support/metrics.js';
import { startTestSignal, type RunningSignal } from './support/signal-harness.js';

const TTL_SECONDS = 1;

let signal: RunningSignal;
beforeAll(async () => {
  signal = await startTestSignal({ MAILBOX_TTL_SECONDS: String(TTL_SECONDS), MAILBOX_ENTRIES_PER_MAILBOX: '3' });
});
afterAll(() => signal.stop());

const mailbox = () => new MailboxClient(signal.httpUrl).create();

describe('deposit and fetch', () => {
  it('gives the owner exactly the bytes each writer deposited, oldest first, with when they expire', async () => {
    const box = await mailbox();
    const entries = MAILBOX_ENTRY_BUCKETS.slice(0, 3).map((size, i) => sealed(`message ${i}`, size));
    const answers = [];
    for (const data of entries) {
      const response = await box.deposit(data);
      expect(response.status).toBe(201);
      expect(response.headers.get('content-type')).toBe('application/json');
      answers.push((await response.json()) as { entry: string; expires: number });
    }
    const fetched = await box.entries();
    expect(fetched.map((e) => e.entry)).toEqual(answers.map((a) => a.entry));
    expect(fetched.map((e) => e.data)).toEqual(entries);
    for (const [i, entry] of fetched.entries()) expect(entry).toMatchObject({ expires: answers[i]!.expires, at: answers[i]!.expires - TTL_SECONDS * 1000 });
  });

  it('refuses a deposit without a capability, with a wrong one, or one the owner revoked', async () => {
    const box = await mailbox();
    const data = sealed('hello');
    const none = await box.deposit(data, null);
    expect([none.status, none.headers.get('www-authenticate'), await errorOf(none)]).toEqual([401, 'Bearer', 'no-credential']);
    const wrong = await box.deposit(data, newMailboxKeys().capability);
    expect([wrong.status, await errorOf(wrong)]).toEqual([403, 'forbidden']);
    const carol = newMailboxKeys().capability;
    expect((await box.put([carol])).status).toBe(200);
    const revoked = await box.deposit(data);
    expect([revoked.status, await errorOf(revoked)]).toEqual([403, 'forbidden']);
    expect((await box.deposit(data, carol)).status).toBe(201);
    expect((await box.entries()).length).toBe(1);
    const unknown = await new MailboxClient(signal.httpUrl).deposit(data);
    expect([unknown.status, await errorOf(unknown)]).toEqual([404, 'unknown-mailbox']);
  });

  it('refuses a size that is not a bucket (400) and one over 64 KiB (413), whatever the upload', async () => {
    const box = await mailbox();
    for (const size of [1, 1000, 4097, 65535]) {
      const response = await box.deposit(new Uint8Array(size));
      expect([size, response.status, await errorOf(response)]).toEqual([size, 400, 'not-a-bucket']);
    }
    const large = await box.deposit(new Uint8Array(1024 * 1024));
    expect([large.status, await errorOf(large)]).toEqual([413, 'entry-too-large']);
    // The connection is still good for the next request.
    expect((await box.deposit(sealed('after', 1024))).status).toBe(201);
  });

  it('refuses a deposit into a full mailbox with 409 and evicts nothing', async () => {
    const box = await mailbox();
    const kept = [sealed('one'), sealed('two'), sealed('three')];
    for (const data of kept) expect((await box.deposit(data)).status).toBe(201);
    const full = await box.deposit(sealed('four'));
    expect([full.status, await errorOf(full)]).toEqual([409, 'mailbox-full']);
    expect((await box.entries()).map((e) => e.data)).toEqual(kept);
  });

  it('deletes what the owner says, entry by entry, then the whole mailbox', async () => {
    const box = await mailbox();
    await box.deposit(sealed('one'));
    await box.deposit(sealed('two'));
    const [first, second] = await box.entries();
    expect((await box.delete(first!.entry)).status).toBe(204);
    expect((await box.delete(first!.entry)).status).toBe(204);
    expect((await box.entries()).map((e) => e.entry)).toEqual([second!.entry]);
    expect((await box.fetchRaw(newMailboxKeys().read)).status).toBe(403);
    expect((await box.delete()).status).toBe(204);
    expect((await box.fetchRaw()).status).toBe(404);
    expect((await box.deposit(sealed('late'))).status).toBe(404);
  });
});

describe('a writer\'s push', () => {
  const wakeUp = (fields: Record<string, unknown> = {}) => ({
    endpoint: 'https://fcm.googleapis.com/fcm/send/owner-subscription',
    ciphertext: randomBytes(1000).toString('base64url'),
    ttl: 600,
    urgency: 'normal',
    ...fields,
  });
  const refusedPushes = async () => sample(await metricsOf(signal.httpUrl), 'whisper_pushes_total{outcome="refused"}');

  it('is refused with a reason by a server that sends no pushes, once the writer is known; a stranger, a revoked writer and an unknown mailbox get no further', async () => {
    const box = await mailbox();
    const before = await refusedPushes();
    const answer = await box.push(wakeUp());
    expect([answer.status, answer.headers.get('content-type'), await answer.json()]).toEqual([200, 'application/json', { outcome: 'refused', message: 'this server does not send push notifications' }]);
    expect(await refusedPushes()).toBe(before + 1);
    const stranger = await box.push(wakeUp(), newMailboxKeys().capability);
    expect([stranger.status, await errorOf(stranger)]).toEqual([403, 'forbidden']);
    const carol = newMailboxKeys().capability;
    expect((await box.put([carol])).status).toBe(200);
    const revoked = await box.push(wakeUp());
    expect([revoked.status, await errorOf(revoked)]).toEqual([403, 'forbidden']);
    const unknown = await new MailboxClient(signal.httpUrl).push(wakeUp());
    expect([unknown.status, await errorOf(unknown)]).toEqual([404, 'unknown-mailbox']);
    expect(await refusedPushes()).toBe(before + 1);
    expect((await box.push(wakeUp(), carol)).status).toBe(200);
    expect(await box.entries()).toEqual([]);
  });

  it('refuses a malformed push and one over 8 KiB with 400, and keeps serving', async () => {
    const box = await mailbox();
    for (const body of ['{"endpoint":', JSON.stringify(wakeUp({ ttl: 86_401 })), JSON.stringify(wakeUp({ urgency: 'now' })), JSON.stringify(wakeUp({ ciphertext: randomBytes(4097).toString('base64url') }))]) {
      const answer = await box.push(body);
      expect([answer.status, await errorOf(answer)]).toEqual([400, 'bad-request']);
    }
    const large = await box.push(wakeUp({ ciphertext: randomBytes(1024 * 1024).toString('base64url') }));
    expect([large.status, await large.json()]).toEqual([400, { error: 'bad-request', message: 'body: at most 8192 bytes' }]);
    expect((await box.push(wakeUp({ ciphertext: randomBytes(4096).toString('base64url') }))).status).toBe(200);
  });
});

describe('expiry', () => {
  it('removes an expired entry by itself, with no request to the mailbox', async () => {
    const box = await mailbox();
    expect((await box.deposit(sealed('soon gone'))).status).toBe(201);
    expect(sample(await metricsOf(signal.httpUrl), 'whisper_mailbox_entries')).toBeGreaterThan(0);
    // The sweep runs every TTL/8 (at least 250 ms): every entry of this server (other tests' too, all with
    // the same 1 s) is gone within TTL and a sweep. Reading the gauge asks the store for its totals only.
    await until('the sweep to remove the expired entries', async () => sample(await metricsOf(signal.httpUrl), 'whisper_mailbox_entries') === 0, TTL_SECONDS * 1000 + 2000);
    expect(sample(await metricsOf(signal.httpUrl), 'whisper_mailbox_expired_total')).toBeGreaterThan(0);
    expect(await box.entries()).toEqual([]);
  });
});

describe('HTTP', () => {
  it('sends no CORS header, refuses another site\'s page, and answers a preflight 405', async () => {
    const box = await mailbox();
    const response = await box.fetchRaw();
    expect([...response.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const cross = await fetch(`${signal.httpUrl}/mailbox/${box.keys.id}/entries`, { headers: { Authorization: `Bearer ${box.keys.read}`, Origin: 'https://evil.example' } });
    expect([cross.status, await errorOf(cross)]).toEqual([403, 'forbidden']);
    const preflight = await fetch(`${signal.httpUrl}/mailbox/${box.keys.id}/entries`, { method: 'OPTIONS', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' } });
    expect(preflight.status).toBe(405);
    expect([...preflight.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
  });

  it('answers malformed requests with a clear error and keeps serving', async () => {
    const box = await mailbox();
    const raw = (method: string, path: string, headers: Record<string, string>, body?: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: signal.port, method, path, headers }, (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        });
        req.on('error', reject);
        req.end(body);
      });
    const cases: Array<[string, string, Record<string, string>, string | undefined, number, string]> = [
      ['PUT', `/mailbox/${box.keys.id}`, { Authorization: `Bearer ${box.keys.read}`, 'Content-Type': 'application/json' }, '{"writers":', 400, 'bad-request'],
      ['PUT', `/mailbox/${box.keys.id}`, { Authorization: `Bearer ${box.keys.read}`, 'Content-Type': 'application/json' }, '{"writers":[1]}', 400, 'bad-request'],
      ['PUT', `/mailbox/${box.keys.id}`, { Authorization: `Bearer ${box.keys.read}`, 'Content-Type': 'application/json' }, 'x'.repeat(100_000), 400, 'bad-request'],
      ['GET', `/mailbox/${box.keys.id}/entries`, { Authorization: 'Basic abc' }, undefined, 400, 'bad-request'],
      ['GET', `/mailbox/${box.keys.id}/entries`, { Authorization: 'Bearer \u00ff' }, undefined, 400, 'bad-request'],
      ['GET', '/mailbox/%00%01/entries', { Authorization: `Bearer ${box.keys.read}` }, undefined, 400, 'bad-request'],
      ['GET', '/mailbox', {}, undefined, 404, 'not-found'],
      ['DELETE', `/mailbox/${box.keys.id}/entries/..`, { Authorization: `Bearer ${box.keys.read}` }, undefined, 400, 'bad-request'],
    ];
    for (const [method, path, headers, body, status, code] of cases) {
      const answer = await raw(method, path, headers, body);
      expect([method, path, answer.status, (JSON.parse(answer.body) as { error: string }).error]).toEqual([method, path, status, code]);
    }
    expect((await box.entries()).length).toBe(0);
  });
});
