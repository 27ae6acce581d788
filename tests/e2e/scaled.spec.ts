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
import { createRoom, messages, newPerson, openChat, openRoom, personEntry, send, statusOf, type Person } from './people.js';
import { TEST_CHROMIUM_ARGS } from './playwright.config.js';
import { metThenBobClosed } from './mailbox-records.js';
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

/** Two signal processes sharing a real Redis, each on its own address and the same port (as each container listens on 8080). */
async function replicasSharingRedis() {
  const redis = await RedisServer.start();
  cleanups.push(() => redis.stop());
  const port = await portForRestarts(REPLICAS[0]!);
  const replicas = REPLICAS.map((host) => {
    const signal = launchSignal({ HOST: host, PORT: String(port), STATIC_DIR: join(import.meta.dirname, '../../dist'), REDIS_URL: redis.url });
    cleanups.push(() => signal.stop());
    return { host, origin: `http://${host}:${port}`, signal, metric: async (series: string) => sample(await metricsOf(`http://${host}:${port}`), series) };
  });
  for (const { signal } of replicas) expect(await signal.listening).toBe(port);
  for (const { host } of replicas) await expect.poll(async () => (await fetch(`http://${host}:${port}/readyz`)).status).toBe(200);
  return { replicas, port };
}

/** The replicas behind the real Caddy, and a browser that trusts Caddy's certificate. */
async function scaledWhisper() {
  const { replicas, port } = await replicasSharingRedis();
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
  return { replicas, caddy, browser, connections };
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

test('two signal processes sharing Redis: messages Alice deposits in Bob’s mailbox through one are fetched by Bob through the other, the first one stopped', async () => {
  const { replicas } = await replicasSharingRedis();
  const [first, second] = replicas as [(typeof replicas)[0], (typeof replicas)[0]];
  // Each person talks to one process only, at its own address (a secure context for the browser, as localhost is).
  const browser: Browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [...TEST_CHROMIUM_ARGS, `--unsafely-treat-insecure-origin-as-secure=${first.origin},${second.origin}`],
  });
  cleanups.push(() => browser.close());
  const alice = await newPerson(browser, 'Alice');
  const bob = await newPerson(browser, 'Bob');
  people = [alice, bob];
  const room = new URL(await createRoom(alice, first.origin)).pathname;
  await metThenBobClosed(alice, bob, `${second.origin}${room}`);

  const texts = ['Parcel is at the neighbours', 'Key under the mat'];
  for (const text of texts) await send(alice, text);
  for (const text of texts) await expect(statusOf(alice, text)).toHaveAccessibleName('Waiting in Bob’s mailbox');
  await alice.page.close();
  expect(await first.metric('whisper_mailbox_deposits_total')).toBe(texts.length);
  // What the first process took is in Redis: it stops, and Bob's app reads his mailbox through the second.
  await first.signal.stop();

  bob.page = await bob.context.newPage();
  await openRoom(bob, `${second.origin}${room}`);
  await openChat(bob, 'Alice');
  await expect(messages(bob).getByRole('paragraph')).toHaveText(texts);
  expect(await second.metric('whisper_mailbox_fetches_total')).toBeGreaterThan(0);
  // Bob's receipts for Alice went through the second, into her mailbox in the same Redis.
  await expect.poll(() => second.metric('whisper_mailbox_deposits_total')).toBeGreaterThan(0);
});
