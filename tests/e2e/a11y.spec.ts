/**
 * axe-core on every screen, as people use the app: Alice on a desktop, Bob on
 * a phone (390×844, where the chat covers the people list). The main test
 * walks through the screens of a visit (name, home, room, share, chat, verify,
 * files, calls, the room's call) and lists all violations at the end, by
 * screen, so that one run shows them all. The goal is none.
 *
 * The screens a visit does not meet are reached here as a person meets them:
 * a verified contact's safety number changing, the network going away, a new
 * version deployed, an iPhone's Safari, a full disk. Three are checked in the
 * suites that reach them anyway: the no-WebRTC notice (no-webrtc.spec.ts),
 * "The call is full" (group-call.spec.ts) and "This room is full"
 * (room-full.spec.ts).
 */
import { appendFile, cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { axeViolations as axe } from './axe.js';
import { call, callScreen, incomingCall } from './calls.js';
import { attach, fileEntry, holdStoring, randomFile } from './files.js';
import { launchSignal, type SignalProcess } from '../support/signal-process.js';
import { expect, test, watchForProblems } from './fixtures.js';
import { closeAll, createRoom, meet, messages, newPerson, openChat, openRoom, openRoomChat, peopleList, personEntry, send, type Person } from './people.js';

const PHONE_390 = { width: 390, height: 844 };
const IPHONE_SAFARI =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.4 Mobile/15E148 Safari/604.1';

let people: Person[] = [];
let dir: string;
/** A signal process of the test's own, for a test that deploys a release of its own. */
let ownSignal: SignalProcess | null = null;
test.beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'whisper-a11y-'));
});
test.afterEach(async () => {
  await closeAll(people);
  await ownSignal?.stop();
  ownSignal = null;
  await rm(dir, { recursive: true, force: true });
});

test('axe finds no violation on any screen, on a desktop and on a phone', async ({ browser, app }) => {
  // 21 analyses, each injecting axe-core afresh: about 1.5 min alone, twice that beside the call tests.
  test.setTimeout(300_000);
  const alice = await newPerson(browser, 'Alice');
  const bob = await newPerson(browser, 'Bob', PHONE_390);
  people = [alice, bob];
  const found: string[] = [];
  const checked: string[] = [];
  const check = async (person: Person, screen: string) => {
    found.push(...(await axe(person, screen)));
    checked.push(`${screen} (${person.name})`);
  };
  /** Both at once: a call rings for 30 s, and both screens must be read while it does. */
  const checkBoth = (a: [Person, string], b: [Person, string]) => Promise.all([check(...a), check(...b)]);

  await alice.page.goto(app.url);
  await expect(alice.page.getByRole('textbox', { name: 'Your name' })).toBeVisible();
  await check(alice, 'name form');
  await alice.page.getByRole('textbox', { name: 'Your name' }).fill('Alice');
  await alice.page.getByRole('button', { name: 'Join' }).click();
  await expect(alice.page.getByRole('button', { name: 'New room' })).toBeVisible();
  await check(alice, 'home');
  await alice.page.getByRole('button', { name: 'New room' }).click();
  await expect(alice.page.getByRole('button', { name: 'Share' })).toBeVisible();
  await check(alice, 'empty room');
  const link = alice.page.url();

  await alice.page.getByRole('button', { name: 'Share' }).click();
  const share = alice.page.getByRole('dialog', { name: 'Share this room' });
  await expect(share.getByRole('img', { name: 'QR code of the room link' })).toBeVisible();
  await check(alice, 'share dialog');
  await share.getByRole('button', { name: 'Close' }).click();

  await openRoom(bob, link);
  await expect(personEntry(alice, 'Bob')).toHaveAccessibleName(/^Bob, online/);
  await expect(personEntry(bob, 'Alice')).toHaveAccessibleName(/^Alice, online/);
  await check(alice, 'people');
  await check(bob, 'people');

  await openChat(alice, 'Bob');
  await send(alice, 'Hello Bob');
  await openChat(bob, 'Alice');
  await expect(bob.page.getByText('Hello Bob')).toBeVisible();
  await expect(bob.page.getByText('Direct (P2P)')).toBeVisible();
  await check(alice, 'chat');
  await check(bob, 'chat');
  for (const [person, other] of [[alice, 'Bob'], [bob, 'Alice']] as const) {
    await person.page.getByRole('button', { name: 'Verify', exact: true }).click();
    const verify = person.page.getByRole('dialog', { name: `Verify ${other}` });
    await expect(verify.getByRole('img', { name: `QR code of your safety number with ${other}` })).toBeVisible();
    await check(person, 'verify dialog');
    await verify.getByRole('button', { name: 'Close' }).click();
  }
  // The room's conversation, on the phone: Back to the list, Room, then Alice's conversation again.
  await bob.page.getByRole('button', { name: 'Back' }).click();
  await peopleList(bob).getByRole('button', { name: /^Room, / }).click();
  await expect(bob.page.getByRole('heading', { name: 'Room', exact: true })).toBeVisible();
  await check(bob, 'room conversation');
  await bob.page.getByRole('button', { name: 'Back' }).click();
  await openChat(bob, 'Alice');

  // A file offered, then on its way (Alice's page goes away mid-transfer, so Bob's progress stays put). Bob's
  // device stores none of it meanwhile: it is still on its way when Alice's page goes, however fast this machine.
  const file = await randomFile(dir, 'photos.zip', 24 * 1024 * 1024);
  await attach(alice, file.path);
  await expect(fileEntry(bob, 'photos.zip').getByRole('button', { name: 'Accept' })).toBeVisible();
  await check(bob, 'file offer');
  await check(alice, 'file offer');
  const release = await holdStoring(bob);
  await fileEntry(bob, 'photos.zip').getByRole('button', { name: 'Accept' }).click();
  await expect(fileEntry(bob, 'photos.zip').getByRole('progressbar')).toBeVisible();
  await alice.page.reload();
  await openChat(alice, 'Bob');
  await expect(fileEntry(alice, 'photos.zip')).toContainText('Pick the file again to continue sending it.');
  await check(alice, 'file paused');
  await check(bob, 'file progress');
  await fileEntry(alice, 'photos.zip').getByRole('button', { name: 'Cancel' }).click();
  await release();

  await call(alice, 'Video call');
  await expect(incomingCall(bob, 'Alice')).toBeVisible();
  await checkBoth([bob, 'incoming call'], [alice, 'calling']);
  await incomingCall(bob, 'Alice').getByRole('button', { name: 'Accept' }).click();
  await expect(callScreen(alice, 'Bob').getByRole('status')).toHaveText(/^0:\d\d$/);
  await check(alice, 'in a call');
  await check(bob, 'in a call');
  await callScreen(alice, 'Bob').getByRole('button', { name: 'Connection stats' }).click();
  await expect(alice.page.getByRole('dialog', { name: 'Connection stats' })).toBeVisible();
  await check(alice, 'stats');
  await alice.page.getByRole('dialog', { name: 'Connection stats' }).getByRole('button', { name: 'Close' }).click();
  await callScreen(alice, 'Bob').getByRole('button', { name: 'Chat' }).click();
  await expect(alice.page.getByRole('button', { name: 'Return to call' })).toBeVisible();
  await check(alice, 'chat during a call');
  await alice.page.getByRole('region', { name: 'Call with Bob' }).getByRole('button', { name: 'Hang up' }).click();

  // The room's call: ringing on the phone, then the tiles on both.
  await bob.page.getByRole('button', { name: 'Back' }).click();
  await openRoomChat(alice);
  await alice.page.getByRole('button', { name: 'Call the room' }).click();
  await expect(incomingCall(bob, 'Alice')).toContainText('Calling the room');
  await check(bob, 'room call ringing');
  await incomingCall(bob, 'Alice').getByRole('button', { name: 'Join' }).click();
  for (const person of [alice, bob]) await expect(person.page.getByRole('list', { name: 'People in the call' }).getByRole('listitem')).toHaveCount(2);
  await checkBoth([alice, 'room call'], [bob, 'room call']);

  console.log(`axe-core: ${checked.length} screens checked (${checked.join(', ')}), ${found.length} violations`);
  expect(found).toEqual([]);
});

test('on a 390 px phone the chat header shows the whole connection badge, with no horizontal scroll', async ({ browser, app }) => {
  const alice = await newPerson(browser, 'Alice');
  const bob = await newPerson(browser, 'Bob', PHONE_390);
  people = [alice, bob];
  const link = await createRoom(alice, app.url);
  await openRoom(bob, link);
  await openChat(bob, 'Alice');
  const badge = bob.page.getByText('Direct (P2P)');
  await expect(badge).toBeVisible();
  const box = (await badge.boundingBox())!;
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(PHONE_390.width);
  // Its text is not cut short inside its own box either.
  expect(await badge.evaluate((element) => element.scrollWidth <= element.clientWidth + 1)).toBe(true);
  expect(await bob.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE_390.width);
});

test('axe on the warning that a verified contact’s safety number changed, in the list and in the conversation', async ({ browser, app }) => {
  const room = await meet(browser, app.url, 'Alice', 'Bob');
  people = room.people;
  const [alice, bob] = room.people as [Person, Person];
  await openChat(alice, 'Bob');
  await openChat(bob, 'Alice');
  // Verify is there once their connection has proved Bob's key.
  await alice.page.getByRole('button', { name: 'Verify', exact: true }).click();
  const verify = alice.page.getByRole('dialog', { name: 'Verify Bob' });
  await verify.getByRole('button', { name: 'Mark as verified' }).click();
  await expect(verify.getByRole('status')).toHaveText('Marked as verified: Bob.');
  await verify.getByRole('button', { name: 'Close' }).click();

  // Bob clears his browser's storage and comes back under his name: a new device key.
  people = [alice];
  await closeAll([bob]);
  const newBob = await newPerson(browser, 'Bob');
  people.push(newBob);
  await openRoom(newBob, room.link);
  await expect(alice.page.getByRole('alert', { name: 'Bob’s safety number changed' })).toBeVisible();
  await expect(peopleList(alice).getByRole('button', { name: 'Bob, online, safety number changed' })).toBeVisible();
  expect(await axe(alice, 'safety number changed')).toEqual([]);
});

test('axe on the offline banner, when the browser says the network is gone', async ({ browser, app }) => {
  const room = await meet(browser, app.url, 'Alice', 'Bob');
  people = room.people;
  const [alice] = room.people as [Person, Person];
  await openChat(alice, 'Bob');
  // What shows the banner is the browser's offline event, which setOffline fires (it does not cut WebRTC).
  await alice.context.setOffline(true);
  await expect(alice.page.getByRole('status').filter({ hasText: 'You are offline.' })).toBeVisible();
  const found = await axe(alice, 'offline');
  await alice.context.setOffline(false);
  await expect(alice.page.getByRole('status').filter({ hasText: 'You are offline.' })).toHaveCount(0);
  expect(found).toEqual([]);
});

test('axe on the Update prompt, once a new version is deployed', async ({ browser }) => {
  const release = join(dir, 'release');
  await cp(join(import.meta.dirname, '../../dist'), release, { recursive: true });
  ownSignal = launchSignal({ STATIC_DIR: release });
  const origin = `http://localhost:${await ownSignal.listening}`;
  const alice = await newPerson(browser, 'Alice');
  people = [alice];
  await createRoom(alice, origin);
  await alice.page.evaluate(async () => navigator.serviceWorker.ready);

  // The next release: a changed service worker, served after SIGHUP (as in update.spec.ts).
  await appendFile(join(release, 'sw.js'), '\n// next release\n');
  for (const compressed of ['sw.js.br', 'sw.js.gz']) await rm(join(release, compressed), { force: true });
  ownSignal.child.kill('SIGHUP');
  await expect.poll(async () => (await (await fetch(`${origin}/sw.js`)).text()).includes('next release')).toBe(true);
  // The app looks for a new version when it comes back into view and every hour; here, at once.
  await alice.page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.update());
  await expect(alice.page.getByRole('region', { name: 'New version' }).getByRole('button', { name: 'Update' })).toBeVisible();
  expect(await axe(alice, 'Update prompt')).toEqual([]);
});

test('axe on the “Add to Home Screen” guide, at home and in a room (Chromium with an iPhone’s Safari user agent)', async ({ browser, app }) => {
  const context = await browser.newContext({ userAgent: IPHONE_SAFARI, viewport: PHONE_390, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const alice: Person = { name: 'Alice', context, page, problems: watchForProblems(page) };
  people = [alice];
  const guide = page.getByRole('region', { name: 'Add Whisper to your Home Screen' });
  await page.goto(app.url);
  await page.getByRole('textbox', { name: 'Your name' }).fill('Alice');
  await page.getByRole('button', { name: 'Join' }).click();
  await expect(guide).toContainText('tap Share, then Add to Home Screen');
  const found = await axe(alice, 'home with the iPhone guide');
  await page.getByRole('button', { name: 'New room' }).click();
  await expect(page.getByRole('button', { name: 'Share' })).toBeVisible();
  await expect(guide).toContainText('tap Share, then Add to Home Screen');
  found.push(...(await axe(alice, 'room with the iPhone guide')));
  expect(found).toEqual([]);
});

test('axe on the storage alerts: a file that does not fit, and a message the device cannot keep (the browser’s storage answers changed: these disks cannot be made small)', async ({ browser, app }) => {
  const room = await meet(browser, app.url, 'Alice', 'Bob');
  people = room.people;
  const [alice, bob] = room.people as [Person, Person];
  await openChat(alice, 'Bob');
  await openChat(bob, 'Alice');
  const found: string[] = [];

  // Bob's device has 1 MiB free for Whisper; Alice offers 2 MiB.
  await bob.page.evaluate(() => {
    const estimate = navigator.storage.estimate.bind(navigator.storage);
    navigator.storage.estimate = async () => {
      const real = await estimate();
      return { ...real, quota: (real.usage ?? 0) + 1024 * 1024 };
    };
  });
  const file = await randomFile(dir, 'too big.bin', 2 * 1024 * 1024);
  await attach(alice, file.path);
  await fileEntry(bob, 'too big.bin').getByRole('button', { name: 'Accept' }).click();
  await expect(bob.page.getByRole('alert').filter({ hasText: 'Not enough space' })).toBeVisible();
  await expect(fileEntry(bob, 'too big.bin')).toContainText('Not enough space');
  found.push(...(await axe(bob, 'file that does not fit')));

  // Alice's disk is full: IndexedDB refuses the message she writes.
  await alice.page.evaluate(() => {
    const add = IDBObjectStore.prototype.add;
    IDBObjectStore.prototype.add = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['add']>) {
      if (this.name === 'messages') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return add.apply(this, args);
    };
  });
  await send(alice, 'kept nowhere');
  await expect(alice.page.getByRole('alert').filter({ hasText: 'This device is out of storage space for Whisper.' })).toBeVisible();
  await expect(messages(alice).getByText('kept nowhere')).toHaveCount(0);
  found.push(...(await axe(alice, 'message not kept')));
  expect(found).toEqual([]);
});
