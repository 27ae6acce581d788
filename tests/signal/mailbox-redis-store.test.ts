/**
 * The Redis mailbox store against a real redis-server: the same promises as the store in memory
 * (support/mailbox-store-contract.ts), on Redis's clock, and what it leaves in Redis.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisMailboxStore } from '../../signal/mailbox/redis-mailbox-store.js';
import type { MailboxStore } from '../../signal/mailbox/mailbox-store.js';
import { hashSecret } from '../../signal/mailbox/mailbox-store.js';
import { CONTRACT_QUOTAS, describeMailboxStore } from './support/mailbox-store-contract.js';
import { RedisServer } from './support/redis-server.js';

let redis: RedisServer;
let client: Redis;
const stores: MailboxStore[] = [];

beforeAll(async () => {
  redis = await RedisServer.start();
  client = new Redis(redis.url);
});
afterAll(async () => {
  for (const store of stores) await store.close();
  client.disconnect();
  await redis.stop();
});

describeMailboxStore('in Redis', async (quotas) => {
  // Each test starts from an empty Redis: the totals are the service's.
  await client.flushall();
  const store = new RedisMailboxStore({ url: redis.url, quotas });
  stores.push(store);
  return { store, pass: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };
});

it('leaves nothing in Redis once the mailbox is deleted, and keeps only hashes of the secrets', async () => {
  await client.flushall();
  const store = new RedisMailboxStore({ url: redis.url, quotas: CONTRACT_QUOTAS });
  stores.push(store);
  const read = 'r'.repeat(42) + 'A';
  const writer = 'w'.repeat(42) + 'A';
  const id = 'm'.repeat(21) + 'A';
  expect(await store.put(id, hashSecret(read), [hashSecret(writer)])).toBe('created');
  expect(await store.deposit(id, hashSecret(writer), new Uint8Array(1024).fill(7))).toMatchObject({ ok: true });
  const dump = (await Promise.all((await client.keys('*')).map(async (key) => `${key} ${JSON.stringify(await client.dump(key))}`))).join('\n');
  expect(dump).not.toContain(read);
  expect(dump).not.toContain(writer);
  expect(dump).toContain(hashSecret(read));
  expect(await store.deleteMailbox(id, hashSecret(read))).toEqual({ ok: true, value: undefined });
  expect((await client.keys('*')).sort()).toEqual(['whisper:mailbox-totals']);
  expect(await client.hgetall('whisper:mailbox-totals')).toEqual({ bytes: '0', entries: '0' });
});
