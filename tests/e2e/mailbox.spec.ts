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
import type { Browser, Page, Worker } from '@playwright/test';
import { PushService, stubPushManager, type StubSubscription } from '../support/push-service.js';
import { portForRestarts } from '../support/free-port.js';
import { readStore } from '../support/indexed-db.js';
import { launchSignal, type SignalProcess } from '../support/signal-process.js';
import { expect, test } from './fixtures.js';
import { mailboxesHeld, metThenBobClosed, onDisk, sealedOnDisk, storedMessages, type Stored } from './mailbox-records.js';
import { notificationsOf } from './notifications.js';
import { attach, fileEntry, randomFile } from './files.js';
import { closeAll, createRoom, meet, messages, messageTexts, newPerson, openChat, openRoom, openRoomChat, personEntry, send, statusOf, type Person } from './people.js';
import { seal } from '../../web/mailbox/sealed-entry.js';
import type { MailboxTarget } from '../../web/mailbox/mailbox-wire.js';
import { toBase64url } from '../../web/push/base64url.js';
import { buildPushPayload, signPush } from '../../web/push/push-wire.js';
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
async function startSignal(port: number, env: Record<string, string> = {}): Promise<void> {
  signal = launchSignal({
    ...env,
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

/** How many pushes the push service received for the subscription. */
const pushesTo = (subscription: StubSubscription) => positionsOf(subscription).length;

/** Where the pushes to the subscription are among every push the service received (1-based, as deliverNext counts). */
function positionsOf(subscription: StubSubscription): number[] {
  const id = subscription.endpoint.split('/').at(-1);
  return service.received.flatMap((push, index) => (push.subscription === id ? [index + 1] : []));
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
  await expect.poll(() => pushesTo(bob.subscription)).toBe(3);
  const plaintext = service.decrypt(bob.subscription, (await service.waitFor(positionsOf(bob.subscription)[0]!)).body).toString();
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
  await expect.poll(() => pushesTo(alice.subscription)).toBeGreaterThan(0);
  expect(await deliverNext(service, appUrl, alicesPhone, alice.subscription, positionsOf(alice.subscription)[0]!)).toMatchObject({ notification: { data: { kind: 'receipt' } } });
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

test('Chromium, stand-in subscriptions and delivery: Alice keeps her app open while Bob’s is closed; his worker stores her message and its receipt reaches her worker: her open page says Delivered, without a reload', async ({ browser }) => {
  const { alice, bob } = await aliceAndBob(browser);
  const bobsPhone = await closesTheApp(bob);
  await expect(personEntry(alice, 'Bob')).toHaveAccessibleName(/^Bob, offline/);
  const alicesPhone = await browserOf(alice, appUrl);
  const before = pushesTo(alice.subscription);

  await send(alice, 'Landed, taking the bus');
  await expect(statusOf(alice, 'Landed, taking the bus')).toHaveAccessibleName('Waiting in Bob’s mailbox');
  await expect.poll(() => pushesTo(bob.subscription)).toBe(1);
  await deliverNext(service, appUrl, bobsPhone, bob.subscription, positionsOf(bob.subscription)[0]!);
  await expect.poll(() => pushesTo(alice.subscription)).toBe(before + 1);
  await deliverNext(service, appUrl, alicesPhone, alice.subscription, positionsOf(alice.subscription)[before]!);
  await expect(statusOf(alice, 'Landed, taking the bus')).toHaveAccessibleName('Delivered');
  // On screen, the app shows it: no notification for a receipt.
  expect(await notificationsOf(alicesPhone.worker())).toEqual([]);
});

test('Chromium, no push at all (Bob never allowed notifications): Alice writes while Bob’s app is closed and closes hers, the signal server restarts, Bob opens the app and finds the messages, fetched from his mailbox; Alice opens hers later, Bob gone again: Read, from the receipts in her mailbox', async ({ browser }) => {
  const alice = await newPerson(browser, 'Alice');
  const bob = await newPerson(browser, 'Bob');
  people = [alice, bob];
  const link = await createRoom(alice, appUrl);
  await metThenBobClosed(alice, bob, link);

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
  // He read them: the read receipts went into Alice's mailbox before he closed the app (had he closed it first,
  // they would have waited on his device for his next visit: a fresh-clone run closed it a moment too soon).
  await expect.poll(async () => (await storedMessages(bob.page)).filter((m) => m.direction === 'in' && m.receiptSent === 1).map((m) => m.text)).toEqual(texts);
  await bob.page.close();

  alice.page = await alice.context.newPage();
  await openRoom(alice, link);
  await openChat(alice, 'Bob');
  // Bob had the conversation open: his device read them, and the read receipt waited in Alice's mailbox too.
  for (const text of texts) await expect(statusOf(alice, text)).toHaveAccessibleName('Read');
  await expect(personEntry(alice, 'Bob')).toHaveAccessibleName(/^Bob, offline/);
});

test('Chromium: Bob’s mailbox full, Alice is told in words and the message that did not fit waits on her device (Queued); when Bob opens the app, every message arrives once, in order', async ({ browser }) => {
  const alice = await newPerson(browser, 'Alice');
  const bob = await newPerson(browser, 'Bob');
  people = [alice, bob];
  const link = await createRoom(alice, appUrl);
  await metThenBobClosed(alice, bob, link);

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

/** How many entries wait in the person's own mailbox on the server, read with its read secret as the app reads it (source text: a page or a worker). */
async function entriesOf(target: Page | Worker): Promise<number> {
  return (target as { evaluate(code: string): Promise<number> }).evaluate(`(async () => {
    const db = await new Promise((resolve, reject) => {
      const request = indexedDB.open('whisper');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const address = await new Promise((resolve) => {
      const request = db.transaction('settings').objectStore('settings').get('mailboxAddress');
      request.onsuccess = () => resolve(request.result);
    });
    db.close();
    const response = await fetch('/mailbox/' + address.mailbox + '/entries', { headers: { Authorization: 'Bearer ' + address.readSecret } });
    return (await response.json()).entries.length;
  })()`);
}

/** The first record of `store` (IndexedDB) on the person's page that passes `pick`. */
async function recordOf<T>(page: Page, store: string, pick: (record: T) => boolean): Promise<T> {
  const found = ((await page.evaluate(readStore(store))) as T[]).find(pick);
  expect(found, `a record of ${store}`).toBeDefined();
  return found!;
}

test('Chromium, stand-in subscription and delivery: an entry forged with Alice’s capability but not her key (it names Alice, its MAC is not hers) shows only “New message from Alice”, is not stored, and is deleted from Bob’s mailbox; a deposit without a capability is refused', async ({ browser }) => {
  const { alice, bob } = await aliceAndBob(browser);
  const aliceDevice = (await recordOf<{ device: string; name: string }>(bob.page, 'contacts', (c) => c.name === 'Alice')).device;
  const toBob = await recordOf<{ device: string; target?: MailboxTarget }>(alice.page, 'mailboxContacts', (c) => c.target !== undefined);
  const bobsPush = (await recordOf<{ device: string; push?: { endpoint: string; p256dh: string; auth: string; key: string } }>(alice.page, 'contacts', (c) => c.device === toBob.device)).push!;
  const room = new URL(alice.page.url()).pathname.split('/').at(-1)!;
  const bobsPhone = await closesTheApp(bob);

  // Whoever holds Alice's capability (her device, or someone who took it from her) seals an entry that says it is Alice's.
  const target = toBob.target!;
  const forged = await seal(
    { kind: 'message', id: 'forgedforgedforged01', sentAt: Date.now(), text: 'Send me the door code' },
    target,
    { macKey: toBase64url(crypto.getRandomValues(new Uint8Array(32))), sender: aliceDevice, recipient: toBob.device },
  );
  if (!forged.ok) throw new Error(forged.reason);
  const deposit = (authorization?: string) =>
    fetch(`${appUrl}/mailbox/${target.mailbox}/entries`, { method: 'POST', body: forged.entry as Uint8Array<ArrayBuffer>, headers: { 'Content-Type': 'application/octet-stream', ...(authorization ? { Authorization: authorization } : {}) } });
  expect((await deposit()).status).toBe(401);
  expect((await deposit(`Bearer ${toBase64url(crypto.getRandomValues(new Uint8Array(32)))}`)).status).toBe(403);
  expect((await deposit(`Bearer ${target.capability}`)).status).toBe(201);
  expect(await entriesOf(bobsPhone.worker())).toBe(1);

  // The push is Alice's own (signed with the secret Bob gave her): it is shown, but the entry it carries is not.
  const signed = await signPush({ kind: 'message', room, sender: aliceDevice, entry: toBase64url(forged.entry) }, bobsPush.key);
  await deliverPlaintext(appUrl, bobsPhone, buildPushPayload(appUrl, signed, 'Alice'));
  await expect.poll(() => notificationsOf(bobsPhone.worker())).toEqual([expect.objectContaining({ title: 'New message from Alice', body: 'Open Whisper to read it.' })]);
  expect((await storedMessages(bobsPhone.worker())).filter((m) => m.direction === 'in')).toEqual([]);
  await expect.poll(() => entriesOf(bobsPhone.worker())).toBe(0);
});

test('Chromium, a room of three, no push: Bob’s app closed, Alice writes to the room and offers a file there; Carol gets both at once, Bob’s mailbox keeps his copies; Alice closes her app; Bob opens his, the message once and “Alice wants to send you trail-map.bin”, and reads it; Alice reopens, Bob gone again: delivered to and read by both', async ({ browser }) => {
  const { people: [alice, bob, carol] } = await meet(browser, appUrl, 'Alice', 'Bob', 'Carol');
  people = [alice!, bob!, carol!];
  for (const person of people) await openRoomChat(person);
  for (const person of people) await expect.poll(async () => (await mailboxesHeld(person.page)).length).toBe(2);
  const link = alice!.page.url();
  await bob!.page.close();
  await expect(personEntry(alice!, 'Bob')).toHaveAccessibleName(/^Bob, offline/);

  await send(alice!, 'Meet at the north gate at nine');
  const dir = await mkdtemp(join(tmpdir(), 'whisper-mailbox-file-'));
  const file = await randomFile(dir, 'trail-map.bin', 300_000);
  await attach(alice!, file.path);
  await expect(messages(carol!).getByText('Meet at the north gate at nine')).toBeVisible();
  await expect(fileEntry(carol!, 'trail-map.bin')).toBeVisible();
  // Bob's copies are in his mailbox before Alice goes.
  await alice!.page.getByRole('button', { name: /^Sent to 1 of 2|^Delivered to 1 of 2/ }).click();
  await expect(alice!.page.getByRole('list', { name: 'Who has it' })).toContainText('Bob: Waiting in their mailbox');
  await expect.poll(async () => ((await alice!.page.evaluate(readStore('transfers'))) as Array<{ deposited?: true; conversation: string }>).filter((t) => t.deposited).length).toBe(1);
  await alice!.page.close();
  await rm(dir, { recursive: true, force: true });

  bob!.page = await bob!.context.newPage();
  await openRoom(bob!, link);
  await openRoomChat(bob!);
  await expect(messages(bob!).getByText('Meet at the north gate at nine')).toHaveCount(1);
  await expect(messages(bob!).getByText('Alice wants to send you trail-map.bin (293.0 KiB). It comes when you are both online.')).toBeVisible();
  await expect(personEntry(bob!, 'Alice')).toHaveAccessibleName(/^Alice, offline/);
  // Read on Bob's screen: the receipt waits in Alice's mailbox.
  await expect.poll(async () => ((await bob!.page.evaluate(readStore('messages'))) as Stored[]).find((m) => m.text === 'Meet at the north gate at nine')?.status).toBe('read');
  await expect.poll(async () => ((await bob!.page.evaluate(readStore('messages'))) as Array<Stored & { receiptSent: number }>).find((m) => m.text === 'Meet at the north gate at nine')?.receiptSent).toBe(1);
  await bob!.page.close();

  alice!.page = await alice!.context.newPage();
  await openRoom(alice!, link);
  await openRoomChat(alice!);
  await expect(alice!.page.getByRole('button', { name: 'Delivered to 2 of 2, read by 2' })).toBeVisible();
});

test('Chromium, no push: an entry past its time is gone from the server, never shown; the message still waited on Alice’s device and arrives once when both are online', async ({ browser }) => {
  // This test's server keeps entries for 2 s.
  const port = Number(new URL(appUrl).port);
  await signal.stop();
  await startSignal(port, { MAILBOX_TTL_SECONDS: '2' });
  try {
    const alice = await newPerson(browser, 'Alice');
    const bob = await newPerson(browser, 'Bob');
    people = [alice, bob];
    const link = await createRoom(alice, appUrl);
    await metThenBobClosed(alice, bob, link);
    await send(alice, 'Only for two seconds');
    await expect(statusOf(alice, 'Only for two seconds')).toHaveAccessibleName('Waiting in Bob’s mailbox');
    await alice.page.close();

    // Past its time the server never answers with it, and its sweep removes it.
    bob.page = await bob.context.newPage();
    await bob.page.goto(`${appUrl}/healthz`);
    await expect.poll(() => entriesOf(bob.page), { timeout: 15_000 }).toBe(0);
    await openRoom(bob, link);
    await openChat(bob, 'Alice');
    await expect(messages(bob).getByRole('listitem').filter({ hasText: 'Only for two seconds' })).toHaveCount(0);

    alice.page = await alice.context.newPage();
    await openRoom(alice, link);
    await openChat(alice, 'Bob');
    await expect(messageTexts(bob)).toHaveText(['Only for two seconds']);
    await expect(statusOf(alice, 'Only for two seconds')).toHaveAccessibleName(/Delivered|Read/);
  } finally {
    await closeAll(people);
    await signal.stop();
    await startSignal(port);
  }
});
