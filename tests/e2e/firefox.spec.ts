/**
 * The cross-browser suite: one person in Chromium (Playwright), the other in
 * Firefox ESR (puppeteer-core over WebDriver BiDi), talking through the real
 * signal server in the private network namespace. Everything a pair of people
 * does is done once each way where the direction matters.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { launchCoturn, NAMESPACE_ADDRESS } from '../support/coturn-process.js';
import { startMitmRelay, type MitmRelay } from '../support/mitm-relay.js';
import { launchSignal } from '../support/signal-process.js';
import { RECEIVED_MEDIA, type ReceivedMedia } from '../support/network-peer-stats.js';
import { call, callEntry, callScreen, callStatus, expectRemoteVideoPlaying, incomingCall, mediaTracks, recordMediaTracks } from './calls.js';
import { keepPeerConnections } from './network.js';
import { attach, bytesSentShown, fileEntry, holdStoringInPage, randomFile, saved } from './files.js';
import { test as base, expect } from './fixtures.js';
import type { InPage } from './by-role.js';
import { attachIn, entryIn, expectRemoteVideoPlayingIn, FirefoxPerson, launchFirefox, openChatIn, openRoomIn, personEntryIn, savedIn, sendIn, statusIn } from './firefox.js';
import { closeAll, createRoom, messages, messageTexts, newPerson, openChat, openRoom, personEntry, send, statusOf, type Person } from './people.js';

const TURN_SECRET = 'cross-browser-relay-secret-0123';

interface Firefox {
  browser: Browser;
  /** Where Firefox saves what Save hands it. */
  downloads: string;
}

const test = base.extend<object, { firefox: Firefox; relayUrl: string }>({
  /** A signal server that hands out credentials for the real coturn (repository's turnserver.conf), on loopback. */
  relayUrl: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const coturn = await launchCoturn(TURN_SECRET, NAMESPACE_ADDRESS);
      const signal = launchSignal({ STATIC_DIR: join(import.meta.dirname, '../../dist'), TURN_URLS: coturn.urls.join(','), TURN_SECRET });
      await use(`http://localhost:${await signal.listening}`);
      await Promise.all([signal.stop(), coturn.stop()]);
    },
    { scope: 'worker' },
  ],
  firefox: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const downloads = await mkdtemp(join(tmpdir(), 'whisper-firefox-downloads-'));
      const browser = await launchFirefox(downloads);
      await use({ browser, downloads });
      await browser.close();
      await rm(downloads, { recursive: true, force: true });
    },
    { scope: 'worker' },
  ],
});

let people: Person[] = [];
let foxes: FirefoxPerson[] = [];
/** A signal server in front of the real one that lets a page claim another device's key. */
let lying: MitmRelay | null = null;
test.afterEach(async ({}, testInfo) => {
  await closeAll(people);
  for (const fox of foxes.splice(0)) {
    if (testInfo.status !== testInfo.expectedStatus) await fox.page.screenshot({ path: testInfo.outputPath(`${fox.name}-firefox.png`) }).catch(() => undefined);
    const problems = fox.problems.splice(0);
    await fox.close();
    expect(problems, `${fox.name}'s page (Firefox) reported errors`).toEqual([]);
  }
  // After the pages: a page whose signal server goes away reports it.
  await lying?.close();
  lying = null;
});

/** Alice in Chromium creates a room; Bob opens its link in Firefox. */
async function chromiumAndFirefox(browser: import('@playwright/test').Browser, firefox: Firefox, url: string): Promise<[Person, FirefoxPerson]> {
  const alice = await newPerson(browser, 'Alice');
  people = [alice];
  const bob = await FirefoxPerson.open(firefox.browser, 'Bob');
  foxes = [bob];
  await openRoomIn(bob, await createRoom(alice, url));
  return [alice, bob];
}

test('Chromium and Firefox: presence, chat both ways with receipts to Read, and history after a reload on each side', async ({ browser, firefox, app }) => {
  const [alice, bob] = await chromiumAndFirefox(browser, firefox, app.url);
  await expect(personEntry(alice, 'Bob')).toHaveAccessibleName('Bob, online');
  expect(await bob.accessibleName(await personEntryIn(bob, 'Alice'))).toBe('Alice, online');

  await openChat(alice, 'Bob');
  await send(alice, 'Hello Firefox');
  await expect(statusOf(alice, 'Hello Firefox')).toHaveAccessibleName('Delivered');
  await openChatIn(bob, 'Alice');
  await entryIn(bob, 'Hello Firefox');
  await expect(statusOf(alice, 'Hello Firefox')).toHaveAccessibleName('Read');

  await sendIn(bob, 'Hello Chromium');
  await expect(messages(alice).getByText('Hello Chromium')).toBeVisible();
  await statusIn(bob, 'Hello Chromium', 'Read');

  await bob.page.reload();
  await openChatIn(bob, 'Alice');
  const list = await bob.find('list', 'Messages');
  await bob.waitForText(list, /Hello Firefox.*Hello Chromium/);
  for (const text of ['Hello Firefox', 'Hello Chromium']) expect(await bob.count('listitem', undefined, { within: list, hasText: text })).toBe(1);
  await statusIn(bob, 'Hello Chromium', 'Read');
  await alice.page.reload();
  await openChat(alice, 'Bob');
  await expect(messageTexts(alice)).toHaveText(['Hello Firefox', 'Hello Chromium']);

  // After both reloads they reconnect, and a new message goes each way.
  await sendIn(bob, 'Still here');
  await expect(messages(alice).getByText('Still here')).toBeVisible();
  await send(alice, 'Me too');
  await entryIn(bob, 'Me too');
  await statusIn(bob, 'Still here', 'Read');
});

test('a 32 MiB file each way, hashed on Save; the Firefox receiver reloads mid-transfer and it resumes where it stopped', async ({ browser, firefox, app }) => {
  test.setTimeout(150_000);
  const dir = await mkdtemp(join(tmpdir(), 'whisper-cross-files-'));
  try {
    const [alice, bob] = await chromiumAndFirefox(browser, firefox, app.url);
    const toFirefox = await randomFile(dir, 'to firefox.bin', 32 * 1024 * 1024);
    const toChromium = await randomFile(dir, 'to chromium.bin', 32 * 1024 * 1024 + 12_345);

    await openChat(alice, 'Bob');
    await attach(alice, toFirefox.path);
    await openChatIn(bob, 'Alice');
    // Bob's Firefox stores two thirds of the file (its progress comes every 16 chunks, 4 MiB here), then nothing
    // until his reload: the reload cuts a transfer under way, however fast this machine would have finished it.
    await bob.page.evaluate(holdStoringInPage, Math.floor((2 / 3) * 32 * 1024 * 1024));
    await bob.click('button', 'Accept', { within: await entryIn(bob, 'to firefox.bin') });
    await bob.page.waitForFunction(
      (entryText: string) => {
        const a11y = (globalThis as unknown as InPage).whA11y;
        const entry = a11y.all('listitem', null, null, entryText)[0];
        const bar = entry && (a11y.all('progressbar', null, entry, null)[0] as HTMLProgressElement | undefined);
        return bar && Number(bar.getAttribute('value')) >= 50;
      },
      { timeout: 60_000, polling: 100 },
      'to firefox.bin',
    );
    // Still under way on the sender's side when the reload cuts it.
    await expect(fileEntry(alice, 'to firefox.bin').getByRole('progressbar')).toBeVisible();
    await bob.page.reload();
    await openChatIn(bob, 'Alice');
    await bob.waitForText(await entryIn(bob, 'to firefox.bin'), /Received and verified\./, 90_000);
    await expect(fileEntry(alice, 'to firefox.bin')).toContainText('Sent and verified.');
    expect(await savedIn(bob, firefox.downloads, 'to firefox.bin', 32 * 1024 * 1024)).toBe(toFirefox.sha256);
    // The connection made after the reload carried the rest (half, and what SCTP sent again under load), not the whole file again.
    expect(await bytesSentShown(alice)).toBeLessThan(0.9 * 32 * 1024 * 1024);

    await attachIn(bob, toChromium.path);
    const entry = fileEntry(alice, 'to chromium.bin');
    await expect(entry).toContainText('32.0 MiB');
    await entry.getByRole('button', { name: 'Accept' }).click();
    await expect(entry).toContainText('Received and verified.', { timeout: 90_000 });
    await bob.waitForText(await entryIn(bob, 'to chromium.bin'), /Sent and verified\./);
    expect(await saved(alice, 'to chromium.bin')).toBe(toChromium.sha256);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a video call started from each side: both videos decode, mute shows on the other side, hang up ends it on both', async ({ browser, firefox, app }) => {
  test.setTimeout(120_000);
  const alice = await newPerson(browser, 'Alice');
  people = [alice];
  await recordMediaTracks(alice);
  const bob = await FirefoxPerson.open(firefox.browser, 'Bob');
  foxes = [bob];
  await openRoomIn(bob, await createRoom(alice, app.url));
  await openChat(alice, 'Bob');
  await openChatIn(bob, 'Alice');

  // Chromium calls Firefox.
  await call(alice, 'Video call');
  const ringing = await bob.find('dialog', 'Alice');
  await bob.waitForText(ringing, /Incoming video call/);
  await bob.click('button', 'Accept', { within: ringing });
  await expectRemoteVideoPlaying(alice, 'Bob');
  await expectRemoteVideoPlayingIn(bob, 'Alice');
  await bob.click('button', 'Mute');
  await expect(callScreen(alice, 'Bob')).toContainText('Bob is muted');
  await alice.page.getByRole('button', { name: 'Mute' }).click();
  await bob.waitForText(await bob.find('region', 'Call with Alice'), /Alice is muted/);
  await alice.page.getByRole('button', { name: 'Hang up' }).click();
  await expect(callScreen(alice, 'Bob')).toBeHidden();
  await bob.gone('region', 'Call with Alice');
  await expect.poll(() => mediaTracks(alice)).not.toContainEqual(expect.stringMatching(/:live$/));

  // Firefox calls Chromium.
  await bob.click('button', 'Video call');
  const incoming = incomingCall(alice, 'Bob');
  await expect(incoming).toContainText('Incoming video call');
  await incoming.getByRole('button', { name: 'Accept' }).click();
  await expectRemoteVideoPlaying(alice, 'Bob');
  await expectRemoteVideoPlayingIn(bob, 'Alice');
  await alice.page.getByRole('button', { name: 'Mute' }).click();
  await bob.waitForText(await bob.find('region', 'Call with Alice'), /Alice is muted/);
  await bob.click('button', 'Hang up');
  await expect(callScreen(alice, 'Bob')).toBeHidden();
  await bob.gone('region', 'Call with Alice');
  await expect.poll(() => mediaTracks(alice)).not.toContainEqual(expect.stringMatching(/:live$/));
  await expect(callEntry(alice, /Video call · 0:\d\d/)).toHaveCount(2);
});

test('Firefox sent to the background mid-call (another tab brought to the front: its page really hidden) tells Chromium, which says so; back, the microphone the system ended meanwhile is opened again, and Chromium hears Bob again', async ({ browser, firefox, app }) => {
  test.setTimeout(120_000);
  const alice = await newPerson(browser, 'Alice');
  people = [alice];
  await keepPeerConnections(alice);
  const bob = await FirefoxPerson.open(firefox.browser, 'Bob');
  foxes = [bob];
  // Bob's page keeps the tracks it gets, to end his microphone as an iPhone's Home Screen app does in the background.
  await bob.page.evaluateOnNewDocument(() => {
    const devices = navigator.mediaDevices;
    if (!devices) return; // about:blank, before the app
    const getUserMedia = devices.getUserMedia.bind(devices);
    const kept: MediaStreamTrack[] = [];
    (window as unknown as { whTracks: MediaStreamTrack[] }).whTracks = kept;
    devices.getUserMedia = async (constraints) => {
      const stream = await getUserMedia(constraints);
      kept.push(...stream.getTracks());
      return stream;
    };
  });
  await openRoomIn(bob, await createRoom(alice, app.url));
  await openChat(alice, 'Bob');
  await openChatIn(bob, 'Alice');
  await call(alice, 'Audio call');
  await bob.click('button', 'Accept', { within: await bob.find('dialog', 'Alice') });
  await expect(callStatus(alice, 'Bob')).toHaveText(/^\d+:\d\d$/);
  const audioPackets = async () => ((await alice.page.evaluate(RECEIVED_MEDIA)) as ReceivedMedia).packetsReceived;
  await expect.poll(audioPackets).toBeGreaterThan(0);

  const callPage = bob.page;
  const otherTab = await bob.context.newPage();
  await otherTab.bringToFront();
  expect(await callPage.evaluate(() => document.visibilityState)).toBe('hidden');
  const away = callScreen(alice, 'Bob').getByText('Bob has Whisper in the background: their microphone may be paused');
  await expect(away).toBeVisible();
  // The system ends the microphone of an app in the background (an iPhone's Home Screen app does; emulated here
  // by stopping the track): Alice then receives no sound from Bob.
  await callPage.evaluate(() => {
    for (const track of (window as unknown as { whTracks: MediaStreamTrack[] }).whTracks) if (track.kind === 'audio') track.stop();
  });
  await otherTab.close();
  await callPage.bringToFront();
  expect(await callPage.evaluate(() => document.visibilityState)).toBe('visible');
  await expect(away).toBeHidden();
  // Back: a new microphone, live and sent, and Alice receives Bob's audio again.
  await callPage.waitForFunction(() => (window as unknown as { whTracks: MediaStreamTrack[] }).whTracks.filter((t) => t.kind === 'audio' && t.readyState === 'live').length === 1, { timeout: 10_000 });
  const before = await audioPackets();
  await expect.poll(audioPackets).toBeGreaterThan(before + 20);
  await alice.page.getByRole('button', { name: 'Hang up' }).click();
  await bob.gone('region', 'Call with Alice');
});

test('Firefox installs the service worker; offline, a reload shows the history, and what is written waits, then goes when back online', async ({ browser, firefox, app }) => {
  const [alice, bob] = await chromiumAndFirefox(browser, firefox, app.url);
  await openChatIn(bob, 'Alice');
  await sendIn(bob, 'written online');
  await statusIn(bob, 'written online', 'Delivered');
  expect(await bob.page.evaluate(async () => (await navigator.serviceWorker.ready).scope)).toBe(`${app.url}/`);
  await bob.page.waitForFunction(async () => (await caches.keys()).length > 0, { polling: 200, timeout: 15_000 });

  await bob.page.setOfflineMode(true);
  await bob.page.reload();
  await bob.find('status', undefined, { hasText: 'You are offline' });
  await bob.find('heading', 'Alice');
  const list = await bob.find('list', 'Messages');
  await bob.waitForText(list, /written online/);
  await sendIn(bob, 'written offline');
  await statusIn(bob, 'written offline', 'Queued');

  await bob.page.setOfflineMode(false);
  await statusIn(bob, 'written offline', 'Delivered');
  await openChat(alice, 'Bob');
  await expect(messageTexts(alice)).toHaveText(['written online', 'written offline']);
  // Failed connection attempts while offline are expected; anything else is not.
  bob.problems.splice(0, Infinity, ...bob.problems.filter((p) => !/can’t establish a connection to the server at ws:/.test(p)));
  for (const text of ['written online', 'written offline']) expect(await bob.count('listitem', undefined, { within: list, hasText: text })).toBe(1);
});

test('Relay only on both sides: Chromium and Firefox chat through the real coturn, and both say Relay (TURN)', async ({ browser, firefox, relayUrl }) => {
  const [alice, bob] = await chromiumAndFirefox(browser, firefox, relayUrl);
  await alice.page.getByRole('switch', { name: /Relay only/ }).check();
  await bob.click('switch', /Relay only/);
  expect(await (await bob.find('switch', /Relay only/)).evaluate((e) => (e as HTMLInputElement).checked || e.getAttribute('aria-checked') === 'true')).toBe(true);
  await openChat(alice, 'Bob');
  await openChatIn(bob, 'Alice');
  await sendIn(bob, 'through the relay from Firefox');
  await statusIn(bob, 'through the relay from Firefox', 'Read');
  await send(alice, 'through the relay from Chromium');
  await entryIn(bob, 'through the relay from Chromium');
  await expect(alice.page.getByText('Relay (TURN)')).toBeVisible();
  await bob.waitForText(await bob.find('region', 'Conversation'), /Alice Online Relay \(TURN\)/);

  await bob.click('button', 'Connection stats');
  const panel = await bob.find('dialog', 'Connection stats');
  await bob.waitForText(panel, /Path Relay \(TURN\).*Local candidate relay/);
  await alice.page.getByRole('button', { name: 'Connection stats' }).click();
  const stats = alice.page.getByRole('dialog', { name: 'Connection stats' });
  await expect(stats.getByRole('term').filter({ hasText: /^Path$/ }).locator('xpath=following-sibling::dd[1]')).toHaveText('Relay (TURN)');
  await expect(stats.getByRole('term').filter({ hasText: /^Local candidate$/ }).locator('xpath=following-sibling::dd[1]')).toHaveText('relay');
});

/** What axe-core finds on the Firefox page now, one line per rule and element (violations only). */
async function axeIn(person: FirefoxPerson, screen: string): Promise<string[]> {
  const source = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  if (!(await person.page.evaluate(() => 'axe' in globalThis))) await person.page.evaluate(source);
  const violations = await person.page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: string[] }> }> }> } }).axe;
    return (await axe.run(document, { resultTypes: ['violations'] })).violations;
  });
  return violations.flatMap((v) => v.nodes.map((node) => `${screen} (Firefox): ${v.id} [${v.impact}] ${node.target.join(' ')}: ${v.help}`));
}

test('Firefox refuses someone who claims a verified contact’s key with its fingerprint beside their own: nothing goes to them, and it says so', async ({ browser, firefox, app }) => {
  // The attack Firefox is open to: its DTLS accepts a certificate that matches any fingerprint of the description.
  const relay = (lying = await startMitmRelay(app.url));
  const bob = await newPerson(browser, 'Bob');
  people = [bob];
  const alice = await FirefoxPerson.open(firefox.browser, 'Alice');
  foxes = [alice];
  const link = await createRoom(bob, relay.url);
  await openRoomIn(alice, link);
  await openChatIn(alice, 'Bob');
  await alice.click('button', 'Connection stats');
  await alice.waitForText(await alice.find('dialog', 'Connection stats'), /Direct \(P2P\)/);
  await alice.click('button', 'Close', { within: await alice.find('dialog', 'Connection stats') });
  await alice.click('button', 'Verify');
  const verify = await alice.find('dialog', 'Verify Bob');
  await alice.click('button', 'Mark as verified', { within: verify });
  await alice.waitForText(await alice.find('status', undefined, { within: verify }), /Marked as verified: Bob\./);
  await alice.click('button', 'Close', { within: verify });
  const bobKey = relay.deviceOf('Bob')!;
  expect(bobKey).toMatch(/^[0-9A-F]{64}$/);

  await bob.context.close();
  people = [];
  await alice.find('button', 'Bob, verified, offline', { within: await alice.find('list', 'People') });
  await sendIn(alice, 'For Bob only');
  // Sealed to the mailbox key of Bob's device, which Mallory has not: it waits on Alice's device too.
  await statusIn(alice, 'For Bob only', 'Waiting in Bob’s mailbox');

  // Mallory, in Chromium, joins as Bob with Bob's key, and Bob's fingerprint before her own in her descriptions.
  relay.impersonate('Bob', bobKey, 'media');
  const mallory = await newPerson(browser, 'Bob');
  people = [mallory];
  await openRoom(mallory, link);
  await alice.find('alert', undefined, { hasText: 'The device that answered as Bob is not the one you know.', timeout: 30_000 });
  expect(relay.forged).toBeGreaterThan(0);
  await openChat(mallory, 'Alice');
  await expect(messages(mallory).getByText('For Bob only')).toHaveCount(0);
  await statusIn(alice, 'For Bob only', 'Waiting in Bob’s mailbox');
});

test('axe in Firefox finds no violation: the name form, the room, a conversation, the Share dialog and Connection stats', async ({ browser, firefox, app }) => {
  test.setTimeout(120_000);
  const alice = await newPerson(browser, 'Alice');
  people = [alice];
  const bob = await FirefoxPerson.open(firefox.browser, 'Bob');
  foxes = [bob];
  const link = await createRoom(alice, app.url);
  const found: string[] = [];
  await bob.page.goto(link);
  await bob.find('textbox', 'Your name');
  found.push(...(await axeIn(bob, 'name form')));
  await bob.fill('textbox', 'Your name', 'Bob');
  await bob.click('button', 'Join');
  await personEntryIn(bob, 'Alice');
  found.push(...(await axeIn(bob, 'room')));
  await openChat(alice, 'Bob');
  await send(alice, 'Hello, see https://example.org');
  await openChatIn(bob, 'Alice');
  await entryIn(bob, 'Hello');
  await sendIn(bob, 'Hi!');
  await statusIn(bob, 'Hi!', 'Read');
  found.push(...(await axeIn(bob, 'conversation')));
  await bob.click('button', 'Share');
  await bob.find('dialog', 'Share this room');
  found.push(...(await axeIn(bob, 'Share dialog')));
  await bob.click('button', 'Close', { within: await bob.find('dialog', 'Share this room') });
  await bob.click('button', 'Connection stats');
  await bob.waitForText(await bob.find('dialog', 'Connection stats'), /Direct \(P2P\)/);
  found.push(...(await axeIn(bob, 'Connection stats')));
  expect(found).toEqual([]);
});
