/**
 * The scaled mode as deployed (README, "When one signal process is not
 * enough"): two signal processes sharing a real Redis, behind the real Caddy
 * from the Caddyfile (its `dynamic a` upstreams, `least_conn`), which finds
 * them by one name, as compose's DNS answers `signal` with each replica's
 * address; here a DNS server of the test's own answers it with 127.0.0.2 and
 * 127.0.0.3. Two people open the same HTTPS origin, their WebSockets reach
 * different processes, and they still see each other, chat and connect.
 */
import { chromium, type Browser } from '@playwright/test';
import { join } from 'node:path';
import { metricsOf, sample } from '../signal/support/metrics.js';
import { RedisServer } from '../signal/support/redis-server.js';
import { launchCaddy } from '../support/caddy-process.js';
import { portForRestarts } from '../support/free-port.js';
import { launchSignal } from '../support/signal-process.js';
import { startUpstreamDns } from '../support/upstream-dns.js';
import { expect, test } from './fixtures.js';
import { messages, newPerson, openChat, openRoom, personEntry, send, statusOf, type Person } from './people.js';
import { TEST_CHROMIUM_ARGS } from './playwright.config.js';
import { mailboxesHeld } from './mailbox-records.js';
import { endTest, type Stop } from './started.js';
import { servedCertificateKey } from './topology-fixtures.js';

const REPLICAS = ['127.0.0.2', '127.0.0.3'];

let people: Person[] = [];
const cleanups: Stop[] = [];
test.afterEach(() => endTest(people, cleanups));

/** Opens the app and waits for its service worker to hold the app: later pages of it load nothing through Caddy but /ws. */
async function openWhisper(person: Person, origin: string): Promise<void> {
  await person.page.goto(origin);
  await person.page.getByRole('textbox', { name: 'Your name' }).fill(person.name);
  await person.page.getByRole('button', { name: 'Join' }).click();
  await expect(person.page.getByRole('button', { name: 'New room' })).toBeVisible();
  await person.page.evaluate(async () => navigator.serviceWorker.ready);
}

/** Two signal processes sharing a real Redis behind the real Caddy, and a browser that trusts Caddy's certificate. */
async function scaledWhisper() {
  const redis = await RedisServer.start();
  cleanups.push(() => redis.stop());
  // One port on each replica's address, as each container listens on 8080.
  const port = await portForRestarts(REPLICAS[0]!);
  const replicas = REPLICAS.map((host) => {
    const signal = launchSignal({ HOST: host, PORT: String(port), STATIC_DIR: join(import.meta.dirname, '../../dist'), REDIS_URL: redis.url });
    cleanups.push(() => signal.stop());
    return { host, signal, metric: async (series: string) => sample(await metricsOf(`http://${host}:${port}`), series) };
  });
  for (const { signal } of replicas) expect(await signal.listening).toBe(port);
  for (const { host } of replicas) await expect.poll(async () => (await fetch(`http://${host}:${port}/readyz`)).status).toBe(200);
  const dns = await startUpstreamDns(REPLICAS);
  cleanups.push(() => dns.close());
  const caddy = await launchCaddy({ host: 'signal.whisper.test', port, resolver: dns.address });
  cleanups.push(() => caddy.stop());
  const browser: Browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [...TEST_CHROMIUM_ARGS, `--ignore-certificate-errors-spki-list=${await servedCertificateKey(caddy.origin, caddy.rootCertificate)}`],
  });
  cleanups.push(() => browser.close());
  const connections = () => Promise.all(replicas.map(({ metric }) => metric('whisper_connections')));
  return { replicas, caddy, browser, connections, dns };
}

test('two signal processes sharing Redis behind Caddy: two people reach different ones, see each other, chat and connect', async () => {
  const { replicas, caddy, browser, connections } = await scaledWhisper();
  const alice = await newPerson(browser, 'Alice');
  const bob = await newPerson(browser, 'Bob');
  people = [alice, bob];
  await openWhisper(alice, caddy.origin);
  await alice.page.getByRole('button', { name: 'New room' }).click();
  await expect(alice.page.getByRole('button', { name: 'Share' })).toBeVisible();
  const link = alice.page.url();
  expect(link.startsWith(`${caddy.origin}/r/`)).toBe(true);
  await expect.poll(async () => (await connections()).reduce((a, b) => a + b)).toBe(1);

  // Bob's WebSocket is the only request Caddy gets from him now: least_conn sends it to the process Alice is not on.
  await openWhisper(bob, caddy.origin);
  await openRoom(bob, link);
  await expect.poll(connections).toEqual([1, 1]);
  await expect(personEntry(alice, 'Bob')).toHaveAccessibleName(/^Bob, online/);
  await expect(personEntry(bob, 'Alice')).toHaveAccessibleName(/^Alice, online/);

  await openChat(alice, 'Bob');
  await send(alice, 'from one process to the other');
  await openChat(bob, 'Alice');
  await expect(messages(bob).getByText('from one process to the other')).toBeVisible();
  await expect(statusOf(alice, 'from one process to the other')).toHaveAccessibleName('Read');
  await send(bob, 'and back');
  await expect(messages(alice).getByText('and back')).toBeVisible();
  for (const person of [alice, bob]) await expect(person.page.getByText('Direct (P2P)')).toBeVisible();
  // Their connection was negotiated across the two processes, through Redis: each relayed signals.
  for (const { metric } of replicas) expect(await metric('whisper_signals_relayed_total')).toBeGreaterThan(0);
});

test('two signal processes sharing Redis behind Caddy: messages deposited in Bob’s mailbox through one process are fetched through the other, the first one gone', async () => {
  const { replicas, caddy, browser, dns } = await scaledWhisper();
  const alice = await newPerson(browser, 'Alice');
  const bob = await newPerson(browser, 'Bob');
  people = [alice, bob];
  await openWhisper(alice, caddy.origin);
  await alice.page.getByRole('button', { name: 'New room' }).click();
  await expect(alice.page.getByRole('button', { name: 'Share' })).toBeVisible();
  const link = alice.page.url();
  await openWhisper(bob, caddy.origin);
  await openRoom(bob, link);
  await openChat(alice, 'Bob');
  await openChat(bob, 'Alice');
  await expect(bob.page.getByText('Direct (P2P)')).toBeVisible();
  await expect.poll(async () => (await mailboxesHeld(alice.page)).length).toBe(1);
  await bob.page.close();
  await expect(personEntry(alice, 'Bob')).toHaveAccessibleName(/^Bob, offline/);

  const texts = ['Parcel is at the neighbours', 'Key under the mat'];
  for (const text of texts) await send(alice, text);
  for (const text of texts) await expect(statusOf(alice, text)).toHaveAccessibleName('Waiting in Bob’s mailbox');
  await alice.page.close();
  // The process that took a deposit stops: what it took is in Redis, and Bob's requests reach the other one.
  const deposits = await Promise.all(replicas.map(({ metric }) => metric('whisper_mailbox_deposits_total')));
  const took = deposits.findIndex((count) => count > 0);
  expect(took).toBeGreaterThanOrEqual(0);
  await replicas[took]!.signal.stop();
  const other = replicas[1 - took]!;
  dns.answer([other.host]);
  const fetchesBefore = await other.metric('whisper_mailbox_fetches_total');

  bob.page = await bob.context.newPage();
  await openRoom(bob, link);
  await openChat(bob, 'Alice');
  await expect(messages(bob).getByRole('paragraph')).toHaveText(texts);
  expect(await other.metric('whisper_mailbox_fetches_total')).toBeGreaterThan(fetchesBefore);
});
