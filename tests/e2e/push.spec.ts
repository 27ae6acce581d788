/**
 * Calls and messages for someone whose app is closed, through Web Push, with
 * the real parts: the signal process (VAPID, the push relay), a real HTTPS push
 * service of our own (tests/support/push-service.ts), and Bob's real service
 * worker.
 *
 * In Firefox everything on Bob's side is Firefox's own (firefox-push.ts): it
 * subscribes through its push client, connected to our service's WebSocket side
 * as it connects to Mozilla's, decrypts what comes with keys only it holds,
 * wakes the worker, and shows the notification on the desktop, where the test
 * reads it and presses its buttons as a person would; the worker's
 * clients.openWindow opens the app.
 *
 * Chromium cannot reach a push service here, so its tests stand in for three
 * parts, and their names say so:
 *
 * - a stand-in subscription: PushManager.subscribe gives Bob's browser a stub
 *   whose keys belong to our push service (it decrypts what Alice's device
 *   encrypted, as Bob's browser would);
 * - stand-in delivery: the plaintext reaches Bob's worker through the DevTools
 *   protocol (ServiceWorker.deliverPushMessage);
 * - a stand-in tap: a notificationclick dispatched in the worker by the test;
 *   a window it asks to open (clients.openWindow, refused to an event the
 *   browser did not dispatch) is noted, and opened by the test.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, CDPSession, Worker } from '@playwright/test';
import { PushService, stubPushManager, type StubSubscription } from '../support/push-service.js';
import { portForRestarts } from '../support/free-port.js';
import { launchSignal, type SignalProcess } from '../support/signal-process.js';
import { callEntry, callScreen, callStatus, expectRemoteVideoPlaying, incomingCall, recordMediaTracks } from './calls.js';
import { expect, test, watchForProblems } from './fixtures.js';
import { expectRemoteVideoPlayingIn, openChatIn, type FirefoxPerson } from './firefox.js';
import { bobClosesFirefoxTab, FirefoxPushClient, pageOpened } from './firefox-push.js';
import { notificationsOf, trackShows } from './notifications.js';
import { browserOf, deliverNext, deliverPlaintext, pushOf, type Phone } from './push-phone.js';
import { mailboxesHeld } from './mailbox-records.js';
import { closeAll, createRoom, newPerson, openChat, openRoom, personEntry, send, statusOf, type Person } from './people.js';

const DIST = join(import.meta.dirname, '../../dist');

let service: PushService;
let signal: SignalProcess;
let dataDir: string;
let appUrl: string;
let people: Person[] = [];

/**
 * The signal process with pushes on, its VAPID keys made in (and kept by) a data directory of its own. The
 * port is chosen here, not by the system: uSockets marks its sockets reusable only for a port it is given,
 * and a process restarted on the same port must bind beside the old one's closing connections.
 */
async function startSignal(port: number): Promise<void> {
  dataDir = await mkdtemp(join(tmpdir(), 'whisper-push-e2e-'));
  signal = launchSignal({
    STATIC_DIR: DIST,
    DATA_DIR: dataDir,
    ...service.signalEnv(),
    // Six pushes to one phone within a second in one test (a call, its end, two messages, a second call and its end):
    // past the per-subscription burst of 4, a token comes back every 6 ms at this rate instead of every 10 s.
    // The limit itself is the server suite's to test (tests/signal/push.test.ts).
    PUSHES_PER_MINUTE: '10000',
    PORT: String(port),
  });
  appUrl = `http://localhost:${await signal.listening}`;
}

test.beforeAll(async () => {
  service = await PushService.start();
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

/** Alice and Bob in a room, talking; Bob turned "Notify me when I'm away" on, and Alice's device has his subscription. */
async function bobSubscribed(browser: Browser): Promise<{ alice: Person; bob: Person; subscription: StubSubscription }> {
  const alice = await newPerson(browser, 'Alice');
  const bob = await newPerson(browser, 'Bob');
  people = [alice, bob];
  const subscription = service.subscribe();
  await stubPushManager(bob.context, service, subscription);
  // Alice's browser too: making a call subscribes her (Chromium's own Push API refuses a test's private profile).
  await stubPushManager(alice.context, service, service.subscribe());
  await bob.context.grantPermissions(['notifications'], { origin: appUrl });
  // Alice allowed notifications too (her first call asks): she subscribes once it is granted.
  await alice.context.grantPermissions(['notifications'], { origin: appUrl });
  await recordMediaTracks(alice);
  await recordMediaTracks(bob);
  const link = await createRoom(alice, appUrl);
  await openRoom(bob, link);
  await bob.page.evaluate(() => navigator.serviceWorker.ready);
  await personEntry(alice, 'Bob').click();
  await personEntry(bob, 'Alice').click();
  await expect(bob.page.getByText('Direct (P2P)')).toBeVisible();
  const away = bob.page.getByRole('switch', { name: /Notify me when I’m away/ });
  await expect(away).not.toBeChecked();
  await away.click();
  await expect(away).toBeChecked();
  // Handed over the data channel, kept with Bob's contact on Alice's device.
  await expect.poll(() => pushOf(alice, 'Bob')).toBe(subscription.endpoint);
  return { alice, bob, subscription };
}

/** Bob leaves: his page closes (the app is closed on his phone); his browser, with its service worker, stays. */
async function bobClosesTheApp(alice: Person, bob: Person): Promise<void> {
  await bob.page.close();
  await expect(personEntry(alice, 'Bob')).toHaveAccessibleName(/^Bob, offline/);
}

const bobsBrowser = (bob: Person) => browserOf(bob, appUrl);
const deliverNextPush = (bob: Phone, subscription: StubSubscription, count: number) => deliverNext(service, appUrl, bob, subscription, count);
const deliverPayload = (bob: Phone, payload: unknown) => deliverPlaintext(appUrl, bob, JSON.stringify(payload));

/** Closes every notification Bob's worker shows. */
async function clearNotifications(bob: Phone): Promise<void> {
  await bob.worker().evaluate(async () => {
    for (const notification of await (self as unknown as { registration: ServiceWorkerRegistration }).registration.getNotifications()) notification.close();
  });
}

/** Bob closes the app; `pushes` is how many the push service had received by then. */
async function bobGoesAway(alice: Person, bob: Person): Promise<{ phone: Phone; pushes: number }> {
  const pushes = service.received.length;
  await bobClosesTheApp(alice, bob);
  return { phone: await bobsBrowser(bob), pushes };
}

/** Bob subscribed, then closed the app. */
async function bobAway(browser: Browser): Promise<{ alice: Person; bob: Person; subscription: StubSubscription; phone: Phone; pushes: number }> {
  const { alice, bob, subscription } = await bobSubscribed(browser);
  return { alice, bob, subscription, ...(await bobGoesAway(alice, bob)) };
}

/**
 * The stand-in tap: a notificationclick on the notification titled `title` (or one of its actions), dispatched
 * in the worker by the test. The browser opens a window only for a tap it dispatched itself, so the worker's
 * clients.openWindow notes the address instead (`opened` reads it).
 */
async function tap(worker: Worker, title: string, action: '' | 'accept' | 'decline'): Promise<void> {
  await worker.evaluate(
    async ([chosen, titled]) => {
      type Init = { notification: Notification; action: string };
      const scope = self as unknown as { registration: ServiceWorkerRegistration; clients: { openWindow: (url: string | URL) => Promise<unknown> }; NotificationEvent: new (type: string, init: Init) => Event; whOpened?: string | null };
      scope.whOpened = null;
      scope.clients.openWindow = async (url: string | URL) => {
        scope.whOpened = String(url);
        return null;
      };
      const notification = (await scope.registration.getNotifications()).find((n) => n.title === titled);
      try {
        self.dispatchEvent(new scope.NotificationEvent('notificationclick', { notification: notification!, action: chosen }));
      } catch {
        // waitUntil() refuses an event the browser did not dispatch; the handler has run by then.
      }
    },
    [action, title] as const,
  );
}

/** The address the worker asked to open since the last stand-in tap; null while it asked for none. */
function opened(worker: Worker): Promise<string | null> {
  return worker.evaluate(() => (self as unknown as { whOpened?: string | null }).whOpened ?? null);
}

test('Chromium, stand-in subscription, delivery and tap: a call to someone whose app is closed rings their phone; Accept on the notification opens the app in the room, which answers: both videos play', async ({ browser }) => {
  test.setTimeout(120_000);
  const { alice, bob, subscription, phone, pushes } = await bobAway(browser);

  // Offline, Bob can still be called: his phone rings.
  await alice.page.getByRole('button', { name: 'Video call', exact: true }).click();
  await expect(callStatus(alice, 'Bob')).toHaveText('Calling…');
  const payload = await deliverNextPush(phone, subscription, pushes + 1);
  expect(payload.headers).toMatchObject({ urgency: 'high', ttl: '45' });
  expect(payload).toMatchObject({ web_push: 8030, notification: { title: 'Alice is calling', data: { kind: 'call', video: true, sender: expect.stringMatching(/^[0-9A-F]{64}$/), sig: expect.any(String) } } });
  await expect.poll(() => notificationsOf(phone.worker())).toEqual([
    expect.objectContaining({ title: 'Alice is calling', body: 'Incoming video call on Whisper', actions: ['Accept', 'Decline'], requireInteraction: true }),
  ]);

  // Accept: the app opens in the room (the address says nothing of the call: the worker recorded the Accept)
  // and answers the call that is still ringing on Alice's side.
  await tap(phone.worker(), 'Alice is calling', 'accept');
  await expect.poll(() => opened(phone.worker())).toMatch(new RegExp(`^${appUrl}/r/[A-Za-z0-9_-]{22}$`));
  bob.page = await bob.context.newPage();
  await bob.page.goto((await opened(phone.worker()))!);
  await expectRemoteVideoPlaying(alice, 'Bob');
  await expectRemoteVideoPlaying(bob, 'Alice');
  await expect(callStatus(alice, 'Bob')).toHaveText(/^0:\d\d$/);
  await expect(bob.page).toHaveURL(/\/r\/[A-Za-z0-9_-]{22}$/);
  await callScreen(alice, 'Bob').getByRole('button', { name: 'Hang up' }).click();
  await expect(callEntry(alice, /Video call/)).toBeVisible();
});

test('Chromium, stand-in subscription, delivery and tap, and the app opened at its start address as an iPhone’s Home Screen app opens it: a plain tap on "Alice is calling" (an iPhone shows no buttons) brings the app to the room, where the call rings; Accept there connects both ways', async ({ browser }) => {
  test.setTimeout(120_000);
  const { alice, bob, subscription, phone, pushes } = await bobAway(browser);
  await alice.page.getByRole('button', { name: 'Video call', exact: true }).click();
  await expect(callStatus(alice, 'Bob')).toHaveText('Calling…');
  await deliverNextPush(phone, subscription, pushes + 1);
  await expect.poll(() => notificationsOf(phone.worker())).toHaveLength(1);
  await tap(phone.worker(), 'Alice is calling', '');
  await expect.poll(() => opened(phone.worker())).toMatch(new RegExp(`^${appUrl}/r/[A-Za-z0-9_-]{22}$`));
  const room = (await opened(phone.worker()))!;
  // In a Home Screen app WebKit's openWindow opens the start address whatever it was asked (bug 259212).
  bob.page = await bob.context.newPage();
  await bob.page.goto(`${appUrl}/`);
  await expect(bob.page).toHaveURL(room);
  // A plain tap answers nothing by itself: the call rings, and Bob answers it.
  const ringing = incomingCall(bob, 'Alice');
  await expect(ringing).toContainText('Incoming video call');
  await ringing.getByRole('button', { name: 'Accept' }).click();
  await expectRemoteVideoPlaying(alice, 'Bob');
  await expectRemoteVideoPlaying(bob, 'Alice');
  await callScreen(alice, 'Bob').getByRole('button', { name: 'Hang up' }).click();
  await expect(callScreen(bob, 'Alice')).toBeHidden();
  // The tap's room was taken once: the app opened at its start address later stays there.
  await bob.page.goto(`${appUrl}/`);
  await expect(bob.page.getByRole('button', { name: 'New room' })).toBeVisible();
  await expect(bob.page).toHaveURL(`${appUrl}/`);
});

test('Chromium, stand-in subscription, delivery and tap: Decline on the notification, with the app closed, tells the caller at once through the server', async ({ browser }) => {
  const { alice, subscription, phone, pushes } = await bobAway(browser);
  await alice.page.getByRole('button', { name: 'Audio call', exact: true }).click();
  await deliverNextPush(phone, subscription, pushes + 1);
  await expect.poll(() => notificationsOf(phone.worker())).toHaveLength(1);
  await tap(phone.worker(), 'Alice is calling', 'decline');
  await expect(alice.page.getByRole('alert')).toContainText('Bob declined the call.');
  // Telling the caller is the last the worker does for a Decline: it asked to open nothing.
  expect(await opened(phone.worker())).toBeNull();
  await expect(callScreen(alice, 'Bob')).toBeHidden();
  await expect(callEntry(alice, 'Call declined')).toBeVisible();
  await expect.poll(() => notificationsOf(phone.worker())).toEqual([]);
});

test('Chromium, stand-in subscription, delivery and tap: an unanswered call becomes "Missed call from Alice" on the closed app; messages left in Bob’s mailbox show as one notification, "Alice" with the text, then "Alice · 2 new messages"', async ({ browser }) => {
  const { alice, subscription, phone, pushes } = await bobAway(browser);
  let count = pushes;

  await alice.page.getByRole('button', { name: 'Video call', exact: true }).click();
  await deliverNextPush(phone, subscription, ++count);
  await expect.poll(() => notificationsOf(phone.worker())).toHaveLength(1);
  const ringing = (await notificationsOf(phone.worker()))[0]!;
  // Alice gives up: the same call's "ended" push (same topic, same tag) replaces the ringing.
  await callScreen(alice, 'Bob').getByRole('button', { name: 'Cancel' }).click();
  const ended = await deliverNextPush(phone, subscription, ++count);
  expect(ended).toMatchObject({ notification: { data: { kind: 'call-ended' } } });
  expect((ended.headers as Record<string, string>).topic).toBe(service.received[count - 2]!.headers.topic);
  await expect.poll(() => notificationsOf(phone.worker())).toEqual([expect.objectContaining({ title: 'Missed call from Alice', tag: ringing.tag, actions: [] })]);

  // A message to Bob goes into his mailbox, sealed; its push carries the sealed entry, never the text, and wakes his
  // worker, which reads the mailbox and shows who wrote and what.
  await send(alice, 'call me back when you can');
  const message = await deliverNextPush(phone, subscription, ++count);
  expect(message).toMatchObject({ notification: { data: { kind: 'message', entry: expect.any(String) } } });
  expect(JSON.stringify(message)).not.toContain('call me back');
  await expect.poll(async () => (await notificationsOf(phone.worker())).map((n) => [n.title, n.body]).sort()).toEqual([
    ['Alice', 'call me back when you can'],
    ['Missed call from Alice', 'Video call'],
  ]);
  // The second one updates the conversation's notification in place.
  await send(alice, 'are you there?');
  expect(await deliverNextPush(phone, subscription, ++count)).toMatchObject({ notification: { data: { kind: 'message' } } });
  await expect.poll(async () => (await notificationsOf(phone.worker())).map((n) => [n.title, n.body]).sort()).toEqual([
    ['Alice · 2 new messages', 'are you there?'],
    ['Missed call from Alice', 'Video call'],
  ]);
  // A call now is a push of its own, after both messages' pushes; it rings beside the conversation.
  await alice.page.getByRole('button', { name: 'Audio call', exact: true }).click();
  expect(await deliverNextPush(phone, subscription, ++count)).toMatchObject({ notification: { data: { kind: 'call', video: false } } });
  await callScreen(alice, 'Bob').getByRole('button', { name: 'Cancel' }).click();
  await deliverNextPush(phone, subscription, ++count);

  // A tap on the messages opens the conversation.
  await tap(phone.worker(), 'Alice · 2 new messages', '');
  await expect.poll(() => opened(phone.worker())).toMatch(new RegExp(`^${appUrl}/r/[A-Za-z0-9_-]{22}$`));
});

test('Chromium, stand-in subscription and delivery: Bob holding nothing on the server ("Hold my messages on the server while I’m away" off), a waiting message shows "New message from Alice", once, without its text', async ({ browser }) => {
  const { alice, bob, subscription } = await bobSubscribed(browser);
  // Off: Alice's device is told it has no mailbox of Bob's.
  await expect.poll(async () => (await mailboxesHeld(alice.page)).length).toBe(1);
  await bob.page.getByRole('switch', { name: /^Hold my messages on the server/ }).click();
  await expect.poll(async () => (await mailboxesHeld(alice.page)).length).toBe(0);
  const { phone, pushes } = await bobGoesAway(alice, bob);
  let count = pushes;
  await send(alice, 'call me back when you can');
  await expect(statusOf(alice, 'call me back when you can')).toHaveAccessibleName('Queued');
  const message = await deliverNextPush(phone, subscription, ++count);
  expect(message).toMatchObject({ notification: { data: { kind: 'message' } } });
  expect((message.notification as { data: { entry?: string } }).data.entry).toBeUndefined();
  expect(JSON.stringify(message)).not.toContain('call me back');
  await expect.poll(() => notificationsOf(phone.worker())).toEqual([expect.objectContaining({ title: 'New message from Alice', body: 'Open Whisper to read it.' })]);
  // Once: a second message is not announced again, so the next push Bob's phone gets is the call Alice makes now.
  await send(alice, 'are you there?');
  await expect(statusOf(alice, 'are you there?')).toHaveAccessibleName('Queued');
  await alice.page.getByRole('button', { name: 'Audio call', exact: true }).click();
  expect(await deliverNextPush(phone, subscription, ++count)).toMatchObject({ notification: { data: { kind: 'call', video: false } } });
});

/** What an iPhone does with a notification's tag: nothing (the test drops every tag the worker gives, before each push). */
async function ignoreTags(phone: Phone): Promise<void> {
  await phone.worker().evaluate(`(() => {
    if (self.whTagsIgnored) return;
    self.whTagsIgnored = true;
    const show = ServiceWorkerRegistration.prototype.showNotification;
    ServiceWorkerRegistration.prototype.showNotification = function (title, options = {}) {
      const { tag, ...untagged } = options;
      return show.call(this, title, untagged);
    };
  })()`);
}

test('Chromium, stand-in subscription and delivery, and tags ignored as an iPhone ignores them: the missed call closes its ringing notification by the call’s id, and nothing stays saying “is calling”', async ({ browser }) => {
  const { alice, subscription, phone, pushes } = await bobAway(browser);
  await alice.page.getByRole('button', { name: 'Video call', exact: true }).click();
  await ignoreTags(phone);
  await deliverNextPush(phone, subscription, pushes + 1);
  await expect.poll(() => notificationsOf(phone.worker())).toEqual([expect.objectContaining({ title: 'Alice is calling', tag: '' })]);
  await callScreen(alice, 'Bob').getByRole('button', { name: 'Cancel' }).click();
  await ignoreTags(phone);
  await deliverNextPush(phone, subscription, pushes + 2);
  await expect.poll(() => notificationsOf(phone.worker())).toEqual([expect.objectContaining({ title: 'Missed call from Alice', tag: '' })]);
});

test('Chromium, stand-in subscription: a subscription the push service says is gone (410) is forgotten, and the caller is told Bob cannot be reached while away', async ({ browser }) => {
  const { alice, bob, subscription } = await bobSubscribed(browser);
  service.reply(subscription, { status: 410 });
  await bobClosesTheApp(alice, bob);
  await alice.page.getByRole('button', { name: 'Video call', exact: true }).click();
  await expect(alice.page.getByRole('alert')).toContainText('Bob can’t be reached while they’re away', { timeout: 20_000 });
  await expect.poll(() => pushOf(alice, 'Bob')).toBeNull();
  await expect(alice.page.getByRole('button', { name: 'Video call', exact: true })).toBeDisabled({ timeout: 20_000 });
});

test('Chromium, stand-in subscription and delivery: the server’s keys replaced, Bob’s app subscribes again with the new key when it reconnects, and a call still rings his closed app', async ({ browser }) => {
  const { alice, bob, subscription } = await bobSubscribed(browser);
  const oldKey = service.keyOf(subscription);
  expect(oldKey).toBeTruthy();
  // The operator replaces the keys: the server restarts at the same address with new ones. A push signed
  // with them to a subscription made with the old key is refused by the push service (403).
  await signal.stop();
  await rm(dataDir, { recursive: true, force: true });
  await startSignal(Number(new URL(appUrl).port));
  // Bob's app reconnects, is given the new key, and subscribes again with it.
  // Its old subscription goes first: for a moment there is none (no key), then the new key. A fresh run of the
  // suite (3d721d3) read that moment as "changed", then found no key.
  const subscribedAgain = () => {
    const key = service.keyOf(subscription);
    return typeof key === 'string' && key !== oldKey;
  };
  await expect.poll(subscribedAgain, { timeout: 30_000 }).toBe(true);
  // While the server was away, their pages' attempts to reach it failed, as they should have.
  for (const person of [alice, bob]) person.problems.splice(0, Infinity, ...person.problems.filter((problem) => !problem.includes('ERR_CONNECTION_REFUSED')));
  // Alice's page comes back on its own back-off, up to seconds after Bob's: until it is back in the room, it
  // cannot hear that Bob left (a CI run closed Bob's page first, and Alice saw him online past the wait).
  await expect(alice.page.getByRole('status').filter({ hasText: 'Connecting to the room' })).toHaveCount(0, { timeout: 30_000 });
  const { phone, pushes } = await bobGoesAway(alice, bob);
  await alice.page.getByRole('button', { name: 'Video call', exact: true }).click();
  expect(await deliverNextPush(phone, subscription, pushes + 1)).toMatchObject({ notification: { data: { kind: 'call' } } });
  await expect.poll(async () => (await notificationsOf(phone.worker())).map((n) => n.title)).toEqual(['Alice is calling']);
  await expect(callStatus(alice, 'Bob')).toHaveText('Calling…');
});

test('Chromium, stand-in subscription and delivery: a push shows only under the name Bob keeps for its sender, and only signed with the secret he gave that sender: forged or altered ones show nothing of themselves', async ({ browser }) => {
  const { alice, subscription, phone, pushes } = await bobAway(browser);
  await alice.page.getByRole('button', { name: 'Video call', exact: true }).click();
  const { headers: _headers, ...genuine } = await deliverNextPush(phone, subscription, pushes + 1);
  await expect.poll(() => notificationsOf(phone.worker())).toEqual([expect.objectContaining({ title: 'Alice is calling', actions: ['Accept', 'Decline'] })]);
  type Payload = { notification: { title: string; navigate: string; data: Record<string, unknown> } };
  const altered = (change: (payload: Payload) => void): Payload => {
    const copy = structuredClone(genuine) as unknown as Payload;
    change(copy);
    return copy;
  };

  // What the sender writes outside the signed data is not shown: the name is the one Bob keeps.
  await clearNotifications(phone);
  await deliverPayload(phone, altered((p) => (p.notification.title = 'Your bank is calling')));
  await expect.poll(() => notificationsOf(phone.worker())).toEqual([expect.objectContaining({ title: 'Alice is calling' })]);

  const forgeries: Record<string, (payload: Payload) => void> = {
    'another call': (p) => (p.notification.data.call = 'BBBBBBBBBBBBBBBBBBBBBB'),
    'another room': (p) => {
      p.notification.data.room = 'Zm9vYmFyYmF6cXV4MTIzNA';
      p.notification.navigate = `${appUrl}/r/Zm9vYmFyYmF6cXV4MTIzNA`;
    },
    'another caller to decline': (p) => (p.notification.data.caller = 'x'.repeat(12)),
    'a made-up signature': (p) => (p.notification.data.sig = 'A'.repeat(43)),
    'another sender': (p) => (p.notification.data.sender = 'AB'.repeat(32)),
    'a click that leaves Whisper': (p) => (p.notification.navigate = 'https://phishing.example/r/Zm9vYmFyYmF6cXV4MTIzNA'),
  };
  for (const [what, change] of Object.entries(forgeries)) {
    await clearNotifications(phone);
    await deliverPayload(phone, altered(change));
    await expect.poll(() => notificationsOf(phone.worker()), { message: what }).toEqual([
      expect.objectContaining({ title: 'Whisper', body: 'A notification came that Whisper could not trust, so it shows nothing of it.', actions: [] }),
    ]);
  }
});

test('Chromium, stand-in subscription and delivery: Bob takes his subscription back from Alice alone, her device forgets it, and what she signed before is no longer shown', async ({ browser }) => {
  const { alice, bob, subscription } = await bobSubscribed(browser);
  // A push from Alice while Bob's app is open shows as usual: kept to deliver again later.
  const { phone } = await bobGoesAway(alice, bob);
  const before = service.received.length;
  await alice.page.getByRole('button', { name: 'Audio call', exact: true }).click();
  const { headers: _headers, ...signed } = await deliverNextPush(phone, subscription, before + 1);
  await expect.poll(() => notificationsOf(phone.worker())).toEqual([expect.objectContaining({ title: 'Alice is calling' })]);
  await callScreen(alice, 'Bob').getByRole('button', { name: 'Cancel' }).click();

  // Bob opens Whisper again and turns Alice's notifications off in their conversation.
  expect(bob.problems).toEqual([]);
  bob.page = await bob.context.newPage();
  bob.problems = watchForProblems(bob.page);
  await bob.page.goto(alice.page.url());
  await personEntry(bob, 'Alice').click();
  const allowed = bob.page.getByRole('switch', { name: 'Alice can ring me and tell me of messages while Whisper is closed' });
  await expect(allowed).toBeChecked();
  await allowed.click();
  await expect(allowed).not.toBeChecked();
  await expect.poll(() => pushOf(alice, 'Bob')).toBeNull();

  await bob.page.close();
  await expect(personEntry(alice, 'Bob')).toHaveAccessibleName(/^Bob, offline/);
  await expect(alice.page.getByRole('button', { name: 'Video call', exact: true })).toBeDisabled();
  await clearNotifications(phone);
  await deliverPayload(phone, signed);
  await expect.poll(() => notificationsOf(phone.worker())).toEqual([expect.objectContaining({ title: 'Whisper', body: 'A notification came that Whisper could not trust, so it shows nothing of it.' })]);
});

test.describe('Firefox, its own push subscription', () => {
  let firefox: FirefoxPushClient;

  test.beforeAll(async () => {
    firefox = await FirefoxPushClient.launch(service);
  });

  test.afterAll(async () => {
    await firefox?.close();
  });

  test.afterEach(async () => {
    await firefox.closePeople();
    // Making a call subscribes the caller too; Alice's Chromium cannot (a test's context is incognito), and says so.
    for (const person of people) person.problems.splice(0, Infinity, ...person.problems.filter((problem) => !problem.includes('does not support the Push API in incognito mode')));
  });

  /** Alice (Chromium, her calls' media recorded) and Bob (Firefox) in a room, talking; Bob subscribed in Firefox. */
  async function bobInFirefoxSubscribed(browser: Browser): Promise<{ alice: Person; bob: FirefoxPerson; endpoint: string }> {
    const alice = await newPerson(browser, 'Alice');
    people = [alice];
    await recordMediaTracks(alice);
    return { alice, ...(await firefox.subscribeBob(alice, appUrl)) };
  }

  test('Firefox: a call to Bob, his app closed, rings on his desktop through Firefox’s own subscription and decryption; Accept on the notification opens the app in the room, which answers: both videos play', async ({ browser }) => {
    test.setTimeout(120_000);
    const { alice, bob, endpoint } = await bobInFirefoxSubscribed(browser);
    const pushes = service.receivedFor(endpoint).length;
    await bobClosesFirefoxTab(alice, bob);

    await alice.page.getByRole('button', { name: 'Video call', exact: true }).click();
    await expect(callStatus(alice, 'Bob')).toHaveText('Calling…');
    await firefox.took(endpoint, pushes + 1);
    expect(service.receivedFor(endpoint)[pushes]!.headers).toMatchObject({ urgency: 'high', ttl: '45' });
    const ringing = await firefox.desktop.showing('Alice is calling');
    expect(ringing.body).toBe('Incoming video call on Whisper');
    expect(ringing.actions.map(([, label]) => label)).toEqual(expect.arrayContaining(['Accept', 'Decline']));

    // Accept: Firefox hands the click to the worker, which notes the answer and opens the app in the room.
    const opened = pageOpened(bob.context, `${appUrl}/r/`);
    firefox.desktop.press(ringing, 'Accept');
    await bob.watch(await opened);
    await expectRemoteVideoPlaying(alice, 'Bob');
    await expectRemoteVideoPlayingIn(bob, 'Alice');
    await expect(callStatus(alice, 'Bob')).toHaveText(/^0:\d\d$/);
    expect(bob.page.url()).toMatch(new RegExp(`^${appUrl}/r/[A-Za-z0-9_-]{22}$`));
    await callScreen(alice, 'Bob').getByRole('button', { name: 'Hang up' }).click();
    await expect(callEntry(alice, /Video call/)).toBeVisible();
  });

  test('Firefox: Decline on the desktop notification, with the app closed, tells the caller at once through the server, and opens nothing', async ({ browser }) => {
    const { alice, bob, endpoint } = await bobInFirefoxSubscribed(browser);
    const pushes = service.receivedFor(endpoint).length;
    await bobClosesFirefoxTab(alice, bob);
    await alice.page.getByRole('button', { name: 'Audio call', exact: true }).click();
    await firefox.took(endpoint, pushes + 1);
    const ringing = await firefox.desktop.showing('Alice is calling');
    expect(ringing.body).toBe('Incoming audio call on Whisper');
    firefox.desktop.press(ringing, 'Decline');
    await expect(alice.page.getByRole('alert')).toContainText('Bob declined the call.');
    await expect(callScreen(alice, 'Bob')).toBeHidden();
    await expect(callEntry(alice, 'Call declined')).toBeVisible();
    expect((await bob.context.pages()).map((page) => page.url()).filter((url) => url.startsWith(appUrl))).toEqual([]);
  });

  test('Firefox: an unanswered call becomes "Missed call from Alice" on the desktop; messages left in Bob’s mailbox show as one notification, "Alice" with the text, then "Alice · 2 new messages"; a click on it opens the conversation, each message once', async ({ browser }) => {
    test.setTimeout(90_000);
    const { alice, bob, endpoint } = await bobInFirefoxSubscribed(browser);
    let count = service.receivedFor(endpoint).length;
    const shownBefore = firefox.desktop.shown.length;
    await bobClosesFirefoxTab(alice, bob);

    await alice.page.getByRole('button', { name: 'Video call', exact: true }).click();
    await firefox.took(endpoint, ++count);
    const ringing = await firefox.desktop.showing('Alice is calling');
    // Alice gives up: the same call's "ended" push (same topic, same tag) puts a missed call in the ringing's place.
    await callScreen(alice, 'Bob').getByRole('button', { name: 'Cancel' }).click();
    await firefox.took(endpoint, ++count);
    expect(service.receivedFor(endpoint)[count - 1]!.headers.topic).toBe(service.receivedFor(endpoint)[count - 2]!.headers.topic);
    await firefox.desktop.showing('Missed call from Alice');
    await firefox.desktop.gone(ringing);

    // A message to Bob goes into his mailbox, sealed, and its push wakes his worker, which reads the mailbox and
    // shows who wrote and what. The push service got ciphertext only, with no topic (a later push must not replace it).
    const texts = ['call me back when you can', 'are you there?'];
    await send(alice, texts[0]!);
    await expect(statusOf(alice, texts[0]!)).toHaveAccessibleName('Waiting in Bob’s mailbox');
    await firefox.took(endpoint, ++count);
    const first = service.receivedFor(endpoint)[count - 1]!;
    expect(first.headers).toMatchObject({ urgency: 'high', ttl: String(24 * 3600) });
    expect(first.headers.topic).toBeUndefined();
    expect(first.body.includes(texts[0]!)).toBe(false);
    const message = await firefox.desktop.showing('Alice', { after: shownBefore });
    expect(message.body).toBe(texts[0]);
    // The second one updates the conversation's notification in place: one on screen, with the newest text.
    await send(alice, texts[1]!);
    await firefox.took(endpoint, ++count);
    const both = await firefox.desktop.showing('Alice · 2 new messages', { after: shownBefore });
    expect(both.body).toBe(texts[1]);
    await firefox.desktop.gone(message);

    // A call now is a push of its own, after both messages' pushes: it rings beside the conversation, which stays, and
    // no push of a message fell back to the words that say nothing ("New message from Alice").
    await alice.page.getByRole('button', { name: 'Audio call', exact: true }).click();
    await firefox.took(endpoint, ++count);
    expect(service.receivedFor(endpoint)[count - 1]!.headers).toMatchObject({ urgency: 'high', ttl: '45' });
    expect((await firefox.desktop.showing('Alice is calling')).body).toBe('Incoming audio call on Whisper');
    expect(both.open).toBe(true);
    expect(firefox.desktop.shown.slice(shownBefore).map((n) => n.title)).toEqual(['Alice is calling', 'Missed call from Alice', 'Alice', 'Alice · 2 new messages', 'Alice is calling']);
    await callScreen(alice, 'Bob').getByRole('button', { name: 'Cancel' }).click();
    await firefox.took(endpoint, ++count);

    // A click on the messages opens the app in the conversation's room; Bob is back, and each message is there once, in order.
    const opened = pageOpened(bob.context, `${appUrl}/r/`);
    firefox.desktop.click(both);
    await bob.watch(await opened);
    await openChatIn(bob, 'Alice');
    const list = await bob.find('list', 'Messages');
    await bob.waitForText(list, /call me back when you can.*are you there\?/);
    for (const text of texts) expect(await bob.count('listitem', undefined, { within: list, hasText: text })).toBe(1);
  });
});
