/**
 * The mailbox in scaled mode: two signal processes (`node build/signal/main.js`) sharing a real
 * redis-server. A deposit made through one is fetched through the other, survives a restart of the
 * process, expires without any request, counts against one quota for both, and what Redis holds is the
 * ciphertext as deposited and hashes of the secrets, never the secrets. No log line names an id or a secret.
 */
import { request } from 'node:http';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchSignal, type SignalExit, type SignalProcess } from '../support/signal-process.js';
import { MailboxClient, errorOf, sealed, writerHash } from './support/mailbox-client.js';
import { until } from './support/metrics.js';
import { RedisServer } from './support/redis-server.js';

const ENTRIES_PER_MAILBOX = 5;
const DEPOSITS_PER_MINUTE = 30;
/** What a plaintext of this test says: the server must never hold it. */
const MARKER = 'PLAINTEXT-MARKER-7f3a9c';

let redis: RedisServer;
let client: Redis;
const running: SignalProcess[] = [];
const exits: SignalExit[] = [];
const secrets: string[] = [];

/** A process of the service; `ttlSeconds` is the life of what is deposited through it. */
async function launch(ttlSeconds = 600): Promise<{ process: SignalProcess; httpUrl: string }> {
  const process = launchSignal({ REDIS_URL: redis.url, LOG_LEVEL: 'debug', MAILBOX_TTL_SECONDS: String(ttlSeconds), MAILBOX_ENTRIES_PER_MAILBOX: String(ENTRIES_PER_MAILBOX), MAILBOX_DEPOSITS_PER_MINUTE: String(DEPOSITS_PER_MINUTE) });
  running.push(process);
  const httpUrl = `http://127.0.0.1:${await process.listening}`;
  await until('the process to be ready', async () => (await fetch(`${httpUrl}/readyz`)).status === 200, 15_000);
  return { process, httpUrl };
}

/** A mailbox made through `httpUrl`, its secrets remembered for the log check. */
async function mailbox(httpUrl: string): Promise<MailboxClient> {
  const box = await new MailboxClient(httpUrl).create();
  secrets.push(box.keys.id, box.keys.read, box.keys.capability, writerHash(box.keys.read), writerHash(box.keys.capability));
  return box;
}

/** Every key and value in Redis, as bytes. */
async function everythingInRedis(): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const key of await client.keys('*')) {
    parts.push(Buffer.from(key));
    const type = await client.type(key);
    if (type === 'hash') for (const [field, value] of Object.entries(await client.hgetallBuffer(key))) parts.push(Buffer.from(field), value);
    else if (type === 'zset') parts.push(...(await client.zrangeBuffer(key, '0', '-1')));
    else if (type === 'string') parts.push((await client.getBuffer(key))!);
  }
  return Buffer.concat(parts);
}

let one: { process: SignalProcess; httpUrl: string };
let two: { process: SignalProcess; httpUrl: string };

beforeAll(async () => {
  redis = await RedisServer.start();
  client = new Redis(redis.url);
  [one, two] = await Promise.all([launch(), launch(1)]);
});

afterAll(async () => {
  for (const process of running) if (process.child.exitCode === null) process.child.kill('SIGKILL');
  client.disconnect();
  await redis.stop();
});

describe('two processes, one Redis', () => {
  it('fetches through one process what was deposited through the other, and keeps exactly the ciphertext', async () => {
    const owner = await mailbox(one.httpUrl);
    const writer = new MailboxClient(two.httpUrl, owner.keys);
    const data = sealed(`${MARKER}: see you at eight`, 4096);
    expect(data.includes(MARKER)).toBe(false);
    const deposited = await writer.deposit(data);
    expect(deposited.status).toBe(201);
    const { entry } = (await deposited.json()) as { entry: string };
    expect((await owner.entries()).map((e) => [e.entry, e.data])).toEqual([[entry, data]]);

    // What Redis holds for the entry is its times and exactly the deposited bytes.
    const stored = await client.hgetBuffer(`whisper:mailbox-entries:${owner.keys.id}`, entry);
    expect(stored!.subarray(stored!.length - data.length)).toEqual(data);
    expect(stored!.length - data.length).toBeLessThan(40);
    const all = await everythingInRedis();
    expect(all.includes(MARKER)).toBe(false);
    for (const secret of [owner.keys.read, owner.keys.capability]) expect(all.includes(secret)).toBe(false);
    expect(all.includes(writerHash(owner.keys.read))).toBe(true);

    expect((await new MailboxClient(two.httpUrl, owner.keys).delete(entry)).status).toBe(204);
    expect(await owner.entries()).toEqual([]);
  });

  it('refuses past the mailbox quota exactly once it is full, whichever process the deposits reach', async () => {
    const owner = await mailbox(one.httpUrl);
    const through = [one, two].map(({ httpUrl }) => new MailboxClient(httpUrl, owner.keys));
    const answers = await Promise.all(Array.from({ length: 2 * ENTRIES_PER_MAILBOX }, (_, i) => through[i % 2]!.deposit(sealed(`n${i}`, 1024))));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([...Array<number>(ENTRIES_PER_MAILBOX).fill(201), ...Array<number>(ENTRIES_PER_MAILBOX).fill(409)]);
    expect(await errorOf(answers.find((a) => a.status === 409)!)).toBe('mailbox-full');
    expect((await owner.entries()).length).toBe(ENTRIES_PER_MAILBOX);
  });

  it('removes an expired entry from Redis with no request to the mailbox', async () => {
    const owner = await mailbox(one.httpUrl);
    // Deposited through the process whose entries live 1 s.
    expect((await new MailboxClient(two.httpUrl, owner.keys).deposit(sealed('brief'))).status).toBe(201);
    const entries = `whisper:mailbox-entries:${owner.keys.id}`;
    expect(await client.hlen(entries)).toBe(1);
    await until('a sweep to remove it', async () => (await client.hlen(entries)) === 0, 4000);
    expect(await client.zcard(`whisper:mailbox-order:${owner.keys.id}`)).toBe(0);
    expect(await owner.entries()).toEqual([]);
  });

  it('counts the deposits of one address against one rate, whichever process they reach', async () => {
    const owner = await mailbox(one.httpUrl);
    // From an address of its own (127.0.0.9), which nothing else in this suite uses.
    const deposit = (httpUrl: string) =>
      new Promise<{ status: number; retryAfter: string | undefined }>((resolve, reject) => {
        const url = new URL(`${httpUrl}/mailbox/${owner.keys.id}/entries`);
        const req = request(url, { method: 'POST', localAddress: '127.0.0.9', headers: { Authorization: `Bearer ${owner.keys.capability}`, 'Content-Type': 'application/octet-stream' } }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined }));
        });
        req.on('error', reject);
        req.end(sealed('rate', 1024));
      });
    const started = Date.now();
    const answers = [];
    for (let i = 0; i < DEPOSITS_PER_MINUTE + 6; i++) answers.push(await deposit([one, two][i % 2]!.httpUrl));
    // The bucket refills one token every 60 / DEPOSITS_PER_MINUTE s meanwhile (more on a busy machine).
    const refilled = Math.floor((Date.now() - started) / (60_000 / DEPOSITS_PER_MINUTE));
    // The mailbox filled up after 5 (409); every deposit counted against the address, through either process.
    const admitted = answers.filter((a) => a.status !== 429).length;
    expect(admitted).toBeGreaterThanOrEqual(DEPOSITS_PER_MINUTE);
    expect(admitted).toBeLessThanOrEqual(DEPOSITS_PER_MINUTE + refilled);
    expect(answers.at(-1)!.status).toBe(429);
    expect(Number(answers.at(-1)!.retryAfter)).toBeGreaterThan(0);
  });

  it('keeps the entries through a restart of the process', async () => {
    const owner = await mailbox(one.httpUrl);
    const data = [sealed('before the restart, 1'), sealed('before the restart, 2', 16 * 1024)];
    for (const entry of data) expect((await owner.deposit(entry)).status).toBe(201);
    exits.push(await one.process.stop());
    one = await launch();
    expect((await new MailboxClient(one.httpUrl, owner.keys).entries()).map((e) => e.data)).toEqual(data);
  });

  it('names no mailbox, entry or secret in any log line', async () => {
    for (const process of running) if (process.child.exitCode === null) exits.push(await process.stop());
    const logs = exits.map((exit) => exit.stdout + exit.stderr).join('\n');
    expect(logs).toContain('"mailbox":"redis"');
    for (const secret of secrets) expect(logs).not.toContain(secret);
  });
});
