/**
 * Messages that reach a phone whose app is closed (issue 30), with the real parts: the signal process (its
 * mailbox kept in LevelDB under its data directory, VAPID, the push relay), a real HTTPS push service of our
 * own (tests/support/push-service.ts), and each person's real service worker, which reads the mailbox, opens
 * the sealed entries, stores them and shows them. As in push.spec.ts, Chromium's part of Web Push is stood in
 * for: a stand-in subscription, and stand-in delivery of the plaintext through the DevTools protocol.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from '@playwright/test';
import { PushService, stubPushManager, type StubSubscription } from '../support/push-service.js';
import { portForRestarts } from '../support/free-port.js';
import { launchSignal, type SignalProcess } from '../support/signal-process.js';
import { expect, test } from './fixtures.js';
import { mailboxesHeld, onDisk, sealedOnDisk, storedMessages } from './mailbox-records.js';
import { notificationsOf } from './notifications.js';
import { closeAll, createRoom, messageTexts, newPerson, openChat, openRoom, personEntry, send, statusOf, type Person } from './people.js';
import { browserOf, deliverNext, deliverPlaintext, type Phone } from './push-phone.js';

const DIST = join(import.meta.dirname, '../../dist');

let service: PushService;
let signal: SignalProcess;
let dataDir: string;
let appUrl: string;
let people: Person[] = [];

/** A mailbox holds this many entries here (500 by default): the test of a full mailbox fills it. */
const ENTRIES_PER_MAILBOX = 5;

/** The signal process, on a port of its own that it gets again after a restart, with its mailboxes on disk under `dataDir`. */
async function startSignal(port: number): Promise<void> {
  signal = launchSignal({
    STATIC_DIR: DIST,
    DATA_DIR: dataDir,
    ...service.signalEnv(),
    PUSHES_PER_MINUTE: '10000',
    MAILBOX_ENTRIES_PER_MAILBOX: String(ENTRIES_PER_MAILBOX),
    PORT: String(port),
  });
  appUrl = `http://localhost:${await signal.listening}`;
}

test.beforeAll(async () => {
  service = await PushService.start();
  dataDir = await mkdtemp(join(tmpdir(), 'whisper-mailbox-e2e-'));
  await startSignal(await portForRestarts());
});

test.afterAll(async () => {
  await signal?.stop();
  await service?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

test.afterEach(async () => {
  await closeAll(people);
});

interface Subscribed extends Person {
  subscription: StubSubscription;
}

/** A person whose device is subscribed (a stand-in subscription) with "Notify me when I'm away" on. */
async function subscribedPerson(browser: Browser, name: string): Promise<Subscribed> {
  const person = await newPerson(browser, name);
  const subscription = service.subscribe();
  await stubPushManager(person.context, service, subscription);
  await person.context.grantPermissions(['notifications'], { origin: appUrl });
  return { ...person, subscription };
}

async function notifyWhenAway(person: Person): Promise<void> {
  const away = person.page.getByRole('switch', { name: /Notify me when I’m away/ });
  await away.click();
  await expect(away).toBeChecked();
}

/** Both subscribed, in a room, talking: each has handed the other a mailbox and a subscription. */
async function aliceAndBob(browser: Browser): Promise<{ alice: Subscribed; bob: Subscribed; link: string }> {
  const alice = await subscribedPerson(browser, 'Alice');
  const bob = await subscribedPerson(browser, 'Bob');
  people = [alice, bob];
  const link = await createRoom(alice, appUrl);
  await openRoom(bob, link);
  await bob.page.evaluate(() => navigator.serviceWorker.ready);
  await alice.page.evaluate(() => navigator.serviceWorker.ready);
  await notifyWhenAway(alice);
  await notifyWhenAway(bob);
  await openChat(alice, 'Bob');
  await openChat(bob, 'Alice');
  await expect(bob.page.getByText('Direct (P2P)')).toBeVisible();
  // Each device keeps the other's mailbox, as their proven channel handed it over.
  for (const person of [alice, bob]) {
    await expect.poll(async () => (await mailboxesHeld(person.page)).length).toBe(1);
  }
  return { alice, bob, link };
}

/** The person closes the app: the page goes, the browser and its service worker stay. */
async function closesTheApp(person: Person): Promise<Phone> {
  await person.page.close();
  return browserOf(person, appUrl);
}

test('Chromium, stand-in subscriptions and delivery: Alice writes three messages to Bob, whose app is closed, and closes hers; Bob’s worker stores them in order and shows “Alice” with the text; Bob opens the app: each once, in order; Alice’s worker took the receipts while her app was closed: all three say Delivered', async ({ browser }) => {
  const { alice, bob, link } = await aliceAndBob(browser);
  const bobsPhone = await closesTheApp(bob);
  await expect(personEntry(alice, 'Bob')).toHaveAccessibleName(/^Bob, offline/);

  const texts = ['Are you up?', 'The train leaves at 7:40 from platform 3', 'Bring the blue tent 🏕️'];
  for (const text of texts) await send(alice, text);
  for (const text of texts) await expect(statusOf(alice, text)).toHaveAccessibleName('Waiting in Bob’s mailbox');
  const alicesPhone = await closesTheApp(alice);

  // Bob's phone gets a push per message; the first read of his mailbox takes all three.
  const bobs = () => service.received.filter((push) => push.subscription === bob.subscription.endpoint.split('/').at(-1)).length;
  await expect.poll(bobs).toBe(3);
  const firstOfBob = service.received.findIndex((push) => push.subscription === bob.subscription.endpoint.split('/').at(-1));
  const plaintext = service.decrypt(bob.subscription, (await service.waitFor(firstOfBob + 1)).body).toString();
  const pushed = JSON.parse(plaintext) as { notification: { data: { entry: string } } };
  expect(pushed).toMatchObject({ notification: { title: 'New message from Alice', data: { kind: 'message', entry: expect.stringMatching(/^[A-Za-z0-9_-]{1366}$/) } } });
  // Nothing of the text travels outside the sealed entry, and the server keeps the sealed bytes only.
  expect(plaintext).not.toContain('train');
  expect(await sealedOnDisk(dataDir, Buffer.from(pushed.notification.data.entry, 'base64url'))).toBe(true);
  for (const text of texts) expect(await onDisk(dataDir, Buffer.from(text))).toBe(false);
  await deliverPlaintext(appUrl, bobsPhone, plaintext);
  await expect.poll(() => notificationsOf(bobsPhone.worker())).toEqual([expect.objectContaining({ title: 'Alice · 3 new messages', body: texts[2] })]);
  const onBobsPhone = (await storedMessages(bobsPhone.worker())).filter((m) => m.direction === 'in');
  expect(onBobsPhone.map((m) => [m.text, m.via])).toEqual(texts.map((text) => [text, 'mailbox']));

  // Bob's worker left a sealed receipt in Alice's mailbox and pushed: her worker marks the three Delivered, her app closed.
  const alicesSubscription = alice.subscription.endpoint.split('/').at(-1);
  await expect.poll(() => service.received.filter((push) => push.subscription === alicesSubscription).length).toBeGreaterThan(0);
  const receiptPush = service.received.findIndex((push) => push.subscription === alicesSubscription);
  expect(await deliverNext(service, appUrl, alicesPhone, alice.subscription, receiptPush + 1)).toMatchObject({ notification: { data: { kind: 'receipt' } } });
  await expect.poll(async () => (await storedMessages(alicesPhone.worker())).filter((m) => m.direction === 'out').map((m) => m.status)).toEqual(['delivered', 'delivered', 'delivered']);

  // Bob opens the app: each message once, in order (the copies Alice's app sends again when both are online are not shown twice).
  bob.page = await bob.context.newPage();
  await openRoom(bob, link);
  await openChat(bob, 'Alice');
  await expect(messageTexts(bob)).toHaveText(texts);

  alice.page = await alice.context.newPage();
  await openRoom(alice, link);
  await openChat(alice, 'Bob');
  for (const text of texts) await expect(statusOf(alice, text)).toHaveAccessibleName(/Delivered|Read/);
  await expect(messageTexts(bob)).toHaveText(texts);
});

test('Chromium, no push at all (Bob never allowed notifications): Alice writes while Bob’s app is closed and closes hers, the signal server restarts, Bob opens the app and finds the messages, fetched from his mailbox; Alice opens hers later, Bob gone again: Delivered, from the receipt in her mailbox', async ({ browser }) => {
  const alice = await newPerson(browser, 'Alice');
  const bob = await newPerson(browser, 'Bob');
  people = [alice, bob];
  const link = await createRoom(alice, appUrl);
  await openRoom(bob, link);
  await openChat(alice, 'Bob');
  await openChat(bob, 'Alice');
  await expect(bob.page.getByText('Direct (P2P)')).toBeVisible();
  await expect.poll(async () => (await mailboxesHeld(alice.page)).length).toBe(1);
  await bob.page.close();
  await expect(personEntry(alice, 'Bob')).toHaveAccessibleName(/^Bob, offline/);

  const texts = ['Dinner at eight?', 'I booked the usual place'];
  for (const text of texts) await send(alice, text);
  for (const text of texts) await expect(statusOf(alice, text)).toHaveAccessibleName('Waiting in Bob’s mailbox');
  await alice.page.close();

  // Kept on disk: a restart between the deposit and the fetch loses nothing.
  const port = Number(new URL(appUrl).port);
  await signal.stop();
  await startSignal(port);

  bob.page = await bob.context.newPage();
  await openRoom(bob, link);
  await openChat(bob, 'Alice');
  await expect(messageTexts(bob)).toHaveText(texts);
  await expect(personEntry(bob, 'Alice')).toHaveAccessibleName(/^Alice, offline/);
  // Stored and deleted from the server before the receipt goes: nothing left to fetch twice.
  await expect.poll(() => entriesOf(bob.page)).toEqual(0);
  await bob.page.close();

  alice.page = await alice.context.newPage();
  await openRoom(alice, link);
  await openChat(alice, 'Bob');
  for (const text of texts) await expect(statusOf(alice, text)).toHaveAccessibleName('Delivered');
  await expect(personEntry(alice, 'Bob')).toHaveAccessibleName(/^Bob, offline/);
});

test('Chromium: Bob’s mailbox full, Alice is told in words and the message that did not fit waits on her device (Queued); when Bob opens the app, every message arrives once, in order', async ({ browser }) => {
  const alice = await newPerson(browser, 'Alice');
  const bob = await newPerson(browser, 'Bob');
  people = [alice, bob];
  const link = await createRoom(alice, appUrl);
  await openRoom(bob, link);
  await openChat(alice, 'Bob');
  await openChat(bob, 'Alice');
  await expect(bob.page.getByText('Direct (P2P)')).toBeVisible();
  await expect.poll(async () => (await mailboxesHeld(alice.page)).length).toBe(1);
  await bob.page.close();
  await expect(personEntry(alice, 'Bob')).toHaveAccessibleName(/^Bob, offline/);

  const texts = Array.from({ length: ENTRIES_PER_MAILBOX + 2 }, (_, i) => `Note ${i + 1} for the trip`);
  for (const text of texts) await send(alice, text);
  await expect(alice.page.getByRole('alert')).toContainText('Bob’s mailbox on the server is full: your messages wait on this device until Bob opens Whisper.');
  for (const text of texts.slice(0, ENTRIES_PER_MAILBOX)) await expect(statusOf(alice, text)).toHaveAccessibleName('Waiting in Bob’s mailbox');
  for (const text of texts.slice(ENTRIES_PER_MAILBOX)) await expect(statusOf(alice, text)).toHaveAccessibleName('Queued');
  // The server's refusals are what the test wants: Alice's page saw them, and nothing else went wrong.
  const refusals = alice.problems.filter((problem) => /^HTTP 409: .*\/mailbox\/[A-Za-z0-9_-]{22}\/entries$/.test(problem));
  expect(refusals.length).toBeGreaterThan(0);
  alice.problems.splice(0, alice.problems.length, ...alice.problems.filter((problem) => !refusals.includes(problem)));

  bob.page = await bob.context.newPage();
  await openRoom(bob, link);
  await openChat(bob, 'Alice');
  await expect(messageTexts(bob)).toHaveText(texts);
  for (const text of texts) await expect(statusOf(alice, text)).toHaveAccessibleName(/Delivered|Read/);
});

/** How many entries wait in the person's own mailbox on the server (read with its read secret, as the app reads it). */
function entriesOf(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('whisper');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const address = await new Promise<{ mailbox: string; readSecret: string }>((resolve) => {
      const request = db.transaction('settings').objectStore('settings').get('mailboxAddress');
      request.onsuccess = () => resolve(request.result as { mailbox: string; readSecret: string });
    });
    db.close();
    const response = await fetch(`/mailbox/${address.mailbox}/entries`, { headers: { Authorization: `Bearer ${address.readSecret}` } });
    return ((await response.json()) as { entries: unknown[] }).entries.length;
  });
}
