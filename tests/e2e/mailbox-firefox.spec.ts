/**
 * Messages that reach a closed app (issue 30) with Bob in Firefox, where every part of Web Push on his side is
 * Firefox's own (firefox-push.ts): its subscription through its push client, its decryption of each push, the
 * service worker it wakes, the notification it shows on the desktop, the window its click opens. Alice is in
 * Chromium, or in Firefox too (a context of her own in the same Firefox, on the same desktop): then her side of
 * the receipt is Firefox's own as well. The signal process keeps the mailboxes in LevelDB under a data
 * directory the test reads.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page as FirefoxPage } from 'puppeteer-core';
import { PushService } from '../support/push-service.js';
import { launchSignal, type SignalProcess } from '../support/signal-process.js';
import { expect, test } from './fixtures.js';
import { createRoomIn, openChatIn, openRoomIn, sendIn, statusIn, type FirefoxPerson } from './firefox.js';
import { bobClosesFirefoxTab, FirefoxPushClient, notifyWhenAwayIn, pageOpened, pushOfIn } from './firefox-push.js';
import { mailboxesHeld, onDisk, storedMessages } from './mailbox-records.js';
import { closeAll, newPerson, openChat, openRoom, personEntry, send, statusOf, type Person } from './people.js';

let service: PushService;
let signal: SignalProcess;
let dataDir: string;
let appUrl: string;
let firefox: FirefoxPushClient;
let people: Person[] = [];

test.beforeAll(async () => {
  service = await PushService.start();
  dataDir = await mkdtemp(join(tmpdir(), 'whisper-mailbox-firefox-'));
  signal = launchSignal({ STATIC_DIR: join(import.meta.dirname, '../../dist'), DATA_DIR: dataDir, ...service.signalEnv() });
  appUrl = `http://localhost:${await signal.listening}`;
  firefox = await FirefoxPushClient.launch(service);
});

test.afterAll(async () => {
  await firefox?.close();
  await signal?.stop();
  await service?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

test.afterEach(async () => {
  await firefox.closePeople();
  await closeAll(people);
});

test('Firefox, its own push subscription, decryption and desktop: Alice (Chromium) writes two messages to Bob, whose app is closed, and closes hers; Firefox wakes Bob’s worker, which reads his mailbox and shows “Alice · 2 new messages” with the second text; Alice’s app, opened again while Bob’s is still closed, says Delivered (his worker’s receipt); a click on the notification opens Bob’s app: each message once, in order', async ({ browser }) => {
  test.setTimeout(90_000);
  const alice = await newPerson(browser, 'Alice');
  people = [alice];
  const { bob, endpoint, link } = await firefox.subscribeBob(alice, appUrl);
  // Alice's device holds the mailbox Bob's app handed over.
  await expect.poll(async () => (await mailboxesHeld(alice.page)).length).toBe(1);
  const [bobsMailbox] = await mailboxesHeld(alice.page);
  const pushes = service.receivedFor(endpoint).length;
  // The desktop is this worker's, shared by its tests: what this one shows comes after this.
  const after = firefox.desktop.shown.length;
  await bobClosesFirefoxTab(alice, bob);

  const texts = ['The keys are under the blue pot', 'Back on Sunday night, train 7:40 🚆'];
  for (const text of texts) await send(alice, text);
  for (const text of texts) await expect(statusOf(alice, text)).toHaveAccessibleName('Waiting in Bob’s mailbox');
  await alice.page.close();

  // One push per message, each taken by Firefox, decrypted and handed to Bob's worker. What the push service and
  // the server hold is ciphertext: the server's files have Bob's mailbox's entries, and none of the words.
  await firefox.took(endpoint, pushes + 1);
  await firefox.took(endpoint, pushes + 2);
  for (const push of service.receivedFor(endpoint).slice(pushes)) {
    expect(push.headers).toMatchObject({ urgency: 'high', ttl: String(24 * 3600), 'content-encoding': 'aes128gcm' });
    for (const text of texts) expect(push.body.includes(text)).toBe(false);
  }
  expect(await onDisk(dataDir, Buffer.from(`e!${bobsMailbox}!`))).toBe(true);
  for (const text of texts) expect(await onDisk(dataDir, Buffer.from(text))).toBe(false);

  // The worker read the mailbox and shows the conversation once, with the newest text.
  const conversation = await firefox.desktop.showing('Alice · 2 new messages', { after });
  expect(conversation.body).toBe(texts[1]);
  await expect.poll(() => firefox.desktop.shown.slice(after).filter((n) => n.open).map((n) => [n.title, n.body])).toEqual([['Alice · 2 new messages', texts[1]]]);

  // Bob's worker left a sealed "delivered" receipt in Alice's mailbox: her app, opened again while Bob's is still
  // closed, reads it there.
  alice.page = await alice.context.newPage();
  await openRoom(alice, link);
  await openChat(alice, 'Bob');
  for (const text of texts) await expect(statusOf(alice, text)).toHaveAccessibleName('Delivered');
  await expect(personEntry(alice, 'Bob')).toHaveAccessibleName(/^Bob, offline/);

  // Bob clicks the notification: Firefox opens the app in the room, where both messages are, each once, in order,
  // as his worker stored them from the mailbox.
  const opened = pageOpened(bob.context, `${appUrl}/r/`);
  firefox.desktop.click(conversation);
  await bob.watch(await opened);
  await openChatIn(bob, 'Alice');
  const list = await bob.find('list', 'Messages');
  await bob.waitForText(list, /The keys are under the blue pot.*Back on Sunday night/);
  for (const text of texts) expect(await bob.count('listitem', undefined, { within: list, hasText: text })).toBe(1);
  const stored = (await storedMessages(bob.page)).filter((m) => m.direction === 'in');
  expect(stored.map((m) => [m.text, m.via]).sort()).toEqual(texts.map((text) => [text, 'mailbox']).sort());
  for (const text of texts) await expect(statusOf(alice, text)).toHaveAccessibleName(/Delivered|Read/);
});

/** Waits until the person's list says Bob is offline. */
async function bobOfflineFor(person: FirefoxPerson): Promise<void> {
  await person.find('button', /^Bob, offline/, { within: await person.find('list', 'People') });
}

/** The device's own messages and their statuses, read in a page of its origin where the app does not run (the server's /healthz). */
async function ownStatuses(page: FirefoxPage): Promise<Array<[string, string]>> {
  return (await storedMessages(page)).filter((m) => m.direction === 'out').map((m) => [m.text, m.status]);
}

test('Firefox on both sides, no stand-in: Alice writes two messages to Bob, whose app is closed, and closes hers; Bob’s worker shows them, and the sealed receipt it leaves in Alice’s mailbox, pushed to her Firefox, has her worker mark both Delivered while both apps are closed, and say so without a sound (“Bob got your messages”)', async () => {
  test.setTimeout(120_000);
  const alice = await firefox.open('Alice');
  const bob = await firefox.open('Bob');
  const link = await createRoomIn(alice, appUrl);
  await openRoomIn(bob, link);
  const pairs = [
    [alice, 'Bob'],
    [bob, 'Alice'],
  ] as const;
  for (const [person, other] of pairs) {
    await person.page.evaluate(async () => Boolean(await navigator.serviceWorker.ready));
    await openChatIn(person, other);
  }
  for (const [person] of pairs) {
    await person.waitForText(await person.find('region', 'Conversation'), /Direct \(P2P\)/);
    await notifyWhenAwayIn(person);
  }
  // Each device keeps the other's subscription and mailbox, as their proven channel handed them over.
  for (const [person, other] of pairs) {
    await expect.poll(() => pushOfIn(person, other), { timeout: 15_000 }).toMatch(new RegExp(`^${service.origin}/push/`));
    await expect.poll(async () => (await mailboxesHeld(person.page)).length).toBe(1);
  }
  const toBob = (await pushOfIn(alice, 'Bob'))!;
  const toAlice = (await pushOfIn(bob, 'Alice'))!;
  const [pushesToBob, pushesToAlice] = [service.receivedFor(toBob).length, service.receivedFor(toAlice).length];
  // The desktop is this worker's, shared by its tests: what this one shows comes after this.
  const after = firefox.desktop.shown.length;

  await bob.page.close();
  await bobOfflineFor(alice);
  // Bob's phone is out of reach until Alice has closed her app: otherwise his worker, woken at once, has the receipt
  // back before she does, and the test would prove nothing of both apps closed.
  const letThrough = firefox.autopush.hold();
  const texts = ['Dinner is in the oven', 'Feed the cat at nine 🐈'];
  for (const text of texts) await sendIn(alice, text);
  for (const text of texts) await statusIn(alice, text, 'Waiting in Bob’s mailbox');
  await alice.page.close();
  letThrough();

  // Bob's Firefox takes both pushes; his worker reads the mailbox and shows the conversation, with a sound.
  await firefox.took(toBob, pushesToBob + 1);
  await firefox.took(toBob, pushesToBob + 2);
  expect(await firefox.desktop.showing('Alice · 2 new messages', { after })).toMatchObject({ body: texts[1], silent: false });

  // It left a sealed receipt in Alice's mailbox and pushed to her Firefox: her worker reads her mailbox, marks both
  // Delivered with both apps closed, and says so quietly.
  await firefox.took(toAlice, pushesToAlice + 1);
  expect(await firefox.desktop.showing('Bob got your messages', { after })).toMatchObject({ body: 'Delivered while Whisper was closed.', silent: true });
  const healthz = await alice.context.newPage();
  await healthz.goto(`${appUrl}/healthz`);
  await expect.poll(() => ownStatuses(healthz)).toEqual(texts.map((text) => [text, 'delivered']));
  await healthz.close();

  // Alice opens the app again, Bob's still closed: Delivered.
  await alice.watch(await alice.context.newPage());
  await openRoomIn(alice, link);
  await openChatIn(alice, 'Bob');
  for (const text of texts) await statusIn(alice, text, 'Delivered');
  await bobOfflineFor(alice);
});
