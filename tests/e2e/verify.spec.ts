/**
 * Verified contacts: safety numbers compared by scanning each other's QR code through a camera (Chromium's
 * fake camera, fed the other page's code), a verified contact who comes back with a new key, and a signal
 * server in the middle; and, through the same camera, a room joined by scanning its QR code.
 */
import { chromium, type Browser, type Page } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blankCamera, showOnCamera } from '../support/fake-camera.js';
import { startMitmRelay, type MitmRelay } from '../support/mitm-relay.js';
import { expect, test } from './fixtures.js';
import { closeAll, createRoom, holds, meet, messages, newPerson, openChat, openRoom, peopleList, PHONE, send, statusNow, statusOf, type Person } from './people.js';
import { TEST_CHROMIUM_ARGS } from './playwright.config.js';

let people: Person[] = [];
const browsers: Browser[] = [];
let relay: MitmRelay | null = null;
let cameras = '';
test.beforeEach(() => {
  cameras = mkdtempSync(join(tmpdir(), 'wh-cameras-'));
});
test.afterEach(async () => {
  await closeAll(people);
  for (const browser of browsers.splice(0)) await browser.close();
  await relay?.close();
  relay = null;
  rmSync(cameras, { recursive: true, force: true });
});

/** A browser of its own whose camera shows what is put in `camera` (a Y4M file) when it is opened. */
async function browserWithCamera(camera: string): Promise<Browser> {
  blankCamera(camera);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [...TEST_CHROMIUM_ARGS, `--use-file-for-fake-video-capture=${camera}`],
  });
  browsers.push(browser);
  return browser;
}

function verifyDialog(person: Person, other: string) {
  return person.page.getByRole('dialog', { name: `Verify ${other}` });
}

/** Opens Verify in the open conversation and reads the safety number it shows (60 digits). */
async function openVerify(person: Person, other: string): Promise<string> {
  await person.page.getByRole('button', { name: 'Verify', exact: true }).click();
  const number = verifyDialog(person, other).getByRole('group', { name: 'Safety number' });
  await expect(number).toHaveText(/^\s*(\d{5}\s*){12}$/);
  return ((await number.textContent()) ?? '').replace(/\s/g, '');
}

/** `scanner` scans the code that `shower`'s Verify shows, through its camera. */
async function scan(scanner: Person, scannerOther: string, shower: Person, showerOther: string, camera: string): Promise<void> {
  await showOnCamera(verifyDialog(shower, showerOther).getByRole('img', { name: `QR code of your safety number with ${showerOther}` }), camera);
  await verifyDialog(scanner, scannerOther).getByRole('button', { name: 'Scan their code' }).click();
}

/** Opens Verify in the open conversation and marks them verified there, as after reading the numbers aloud. */
async function markVerified(person: Person, other: string): Promise<void> {
  await openVerify(person, other);
  await verifyDialog(person, other).getByRole('button', { name: 'Mark as verified' }).click();
  await expect(verifyDialog(person, other).getByRole('status')).toHaveText(`Marked as verified: ${other}.`);
  await verifyDialog(person, other).getByRole('button', { name: 'Close' }).click();
}

/** The person clears their browser's storage: their device, and its key, are gone (and what their pages reported until then is checked). */
async function clearStorage(person: Person): Promise<void> {
  people = people.filter((other) => other !== person);
  await closeAll([person]);
}

/** They come back to the room from a fresh browser: a new device key, under the same name. */
async function comeBack(browser: Browser, name: string, link: string): Promise<Person> {
  const person = await newPerson(browser, name);
  people.push(person);
  await openRoom(person, link);
  return person;
}

async function waitConnected(page: Page): Promise<void> {
  await expect(page.getByRole('button', { name: 'Verify', exact: true })).toBeEnabled();
}

/** Alice and Bob meet at `url`, talk, and Alice marks Bob verified. */
async function aliceVerifiesBob(browser: Browser, url: string): Promise<{ alice: Person; bob: Person; link: string }> {
  const room = await meet(browser, url, 'Alice', 'Bob');
  people = room.people;
  const [alice, bob] = room.people as [Person, Person];
  await openChat(alice, 'Bob');
  await openChat(bob, 'Alice');
  await waitConnected(alice.page);
  await markVerified(alice, 'Bob');
  return { alice, bob, link: room.link };
}

test('two people verify each other by scanning their QR codes: both see Verified, after a reload too', async ({ app }) => {
  const aliceCamera = join(cameras, 'alice.y4m');
  const bobCamera = join(cameras, 'bob.y4m');
  const alice = await newPerson(await browserWithCamera(aliceCamera), 'Alice', PHONE);
  const bob = await newPerson(await browserWithCamera(bobCamera), 'Bob');
  people = [alice, bob];
  await openRoom(bob, await createRoom(alice, app.url));
  await openChat(alice, 'Bob');
  await openChat(bob, 'Alice');
  await waitConnected(alice.page);
  await waitConnected(bob.page);

  const aliceSees = await openVerify(alice, 'Bob');
  const bobSees = await openVerify(bob, 'Alice');
  expect(aliceSees).toBe(bobSees);

  await scan(alice, 'Bob', bob, 'Alice', aliceCamera);
  await expect(verifyDialog(alice, 'Bob').getByRole('status')).toHaveText('The numbers match: Bob is verified.');
  await scan(bob, 'Alice', alice, 'Bob', bobCamera);
  await expect(verifyDialog(bob, 'Alice').getByRole('status')).toHaveText('The numbers match: Alice is verified.');

  for (const [person, other] of [[alice, 'Bob'], [bob, 'Alice']] as const) {
    await verifyDialog(person, other).getByRole('button', { name: 'Close' }).click();
    await expect(person.page.getByRole('region', { name: 'Conversation' }).getByText('Verified', { exact: true })).toBeVisible();
  }
  await alice.page.getByRole('button', { name: 'Back' }).click();
  await expect(peopleList(alice).getByRole('button', { name: 'Bob, verified, online' })).toBeVisible();

  await bob.page.reload();
  await expect(peopleList(bob).getByRole('button', { name: 'Alice, verified, online' })).toBeVisible();
});

test('a verified contact who comes back with a new key is held behind a warning: nothing goes to it until Accept new key', async ({ browser, app }) => {
  const { alice, bob, link } = await aliceVerifiesBob(browser, app.url);
  await expect(peopleList(alice).getByRole('button', { name: 'Bob, verified, online' })).toBeVisible();

  await clearStorage(bob);
  await expect(peopleList(alice).getByRole('button', { name: 'Bob, verified, offline' })).toBeVisible();
  await openChat(alice, 'Bob');
  await send(alice, 'Are you there?');
  // Sealed to the mailbox key of Bob's old device, which no one has any more: it waits on Alice's device too.
  await expect(statusOf(alice, 'Are you there?')).toHaveAccessibleName('Waiting in Bob’s mailbox');

  const newBob = await comeBack(browser, 'Bob', link);
  const warning = alice.page.getByRole('alert', { name: 'Bob’s safety number changed' });
  await expect(warning).toBeVisible();
  await expect(peopleList(alice).getByRole('button', { name: 'Bob, online, safety number changed' })).toBeVisible();
  await expect(messages(alice).getByText('Bob’s safety number changed: a device with a new key joined as Bob, perhaps a new phone, or a browser that cleared Bob’s data (Safari does after 7 days without a visit).', { exact: false })).toBeVisible();

  // The new key's connection is made (its safety number can be checked), but nothing goes over it.
  await peopleList(alice).getByRole('button', { name: 'Bob, online, safety number changed' }).click();
  await expect(alice.page.getByText('Held back')).toBeVisible();
  await expect(alice.page.getByRole('button', { name: 'Audio call' })).toBeDisabled();
  await send(alice, 'Is that you?');
  await openChat(newBob, 'Alice');
  // The channel is open on both sides: Alice's app chose to hold it back when it opened (what it would have sent
  // went then), and New Bob's app is connected, which it is once Alice's proof of her key came over that channel.
  await expect(alice.page.getByText('Held back')).toBeVisible();
  await expect(newBob.page.getByText('Direct (P2P)')).toBeVisible();
  await holds('nothing of Alice’s reaches the new key, and what she wrote to it stays queued', async () =>
    (await messages(newBob).getByText(/Are you there\?|Is that you\?/).count()) === 0 && (await statusNow(alice, 'Is that you?')) === 'Queued',
  );

  await warning.getByRole('button', { name: 'Accept new key' }).click();
  await expect(warning).toHaveCount(0);
  await expect(messages(newBob).getByRole('paragraph')).toHaveText(['Are you there?', 'Is that you?']);
  await expect(statusOf(alice, 'Are you there?')).toHaveAccessibleName(/Delivered|Read/);
  await expect(messages(alice).getByText('Bob’s safety number changed, and you accepted the new key.', { exact: false })).toBeVisible();
  await expect(peopleList(alice).getByRole('button', { name: /^Bob, / })).toHaveAccessibleName('Bob, online');
});

test('a signal server in the middle: the two safety numbers differ, and scanning says so', async ({ app }) => {
  const aliceCamera = join(cameras, 'alice.y4m');
  const alice = await newPerson(await browserWithCamera(aliceCamera), 'Alice');
  const bob = await newPerson(await browserWithCamera(join(cameras, 'bob.y4m')), 'Bob');
  // The attacker: one page posing as Bob to Alice, one posing as Alice to Bob, each in a room the lying server made.
  const attacker = await browserWithCamera(join(cameras, 'mallory.y4m'));
  const asBob = await newPerson(attacker, 'Bob');
  const asAlice = await newPerson(attacker, 'Alice');
  people = [alice, bob, asBob, asAlice];

  const roomOfAlice = await createRoom(asBob, app.url);
  const roomOfBob = await createRoom(asAlice, app.url);
  const room = 'Zm9vYmFyYmF6cXV4MTIzNA';
  relay = await startMitmRelay(app.url, room, { Alice: roomOfAlice.split('/r/')[1]!, Bob: roomOfBob.split('/r/')[1]! });
  await openRoom(alice, `${relay.url}/r/${room}`);
  await openRoom(bob, `${relay.url}/r/${room}`);

  // Both believe they talk to each other; the attacker reads and passes on what they say.
  await openChat(alice, 'Bob');
  await openChat(bob, 'Alice');
  await openChat(asBob, 'Alice');
  await openChat(asAlice, 'Bob');
  await send(alice, 'Meet at noon');
  await expect(messages(asBob).getByText('Meet at noon')).toBeVisible();
  await send(asAlice, 'Meet at noon');
  await expect(messages(bob).getByText('Meet at noon')).toBeVisible();
  await expect(statusOf(alice, 'Meet at noon')).toHaveAccessibleName(/Delivered|Read/);

  const aliceSees = await openVerify(alice, 'Bob');
  const bobSees = await openVerify(bob, 'Alice');
  expect(aliceSees).not.toBe(bobSees);

  await scan(alice, 'Bob', bob, 'Alice', aliceCamera);
  await expect(verifyDialog(alice, 'Bob').getByRole('alert')).toHaveText(/^These safety numbers do not match\. Someone may be in the middle of your connection to Bob\./);
  await verifyDialog(alice, 'Bob').getByRole('button', { name: 'Close' }).click();
  await expect(alice.page.getByRole('region', { name: 'Conversation' }).getByText('Verified', { exact: true })).toHaveCount(0);
});

test('with “Only connect to verified contacts” on, nothing goes to or comes from someone until they are verified', async ({ browser, app }) => {
  const room = await meet(browser, app.url, 'Alice', 'Bob');
  people = room.people;
  const [alice, bob] = room.people as [Person, Person];
  await alice.page.getByRole('switch', { name: /^Only connect to verified contacts/ }).check();
  await openChat(alice, 'Bob');
  await expect(alice.page.getByRole('note').filter({ hasText: 'Bob is not verified.' })).toBeVisible();
  await send(alice, 'Held until verified');
  await openChat(bob, 'Alice');
  // Open on both sides (see the test above): what Alice's app would send went when the channel opened.
  await expect(bob.page.getByText('Direct (P2P)')).toBeVisible();
  await expect(alice.page.getByText('Held back')).toBeVisible();
  await holds('nothing reaches Bob before he is verified', async () =>
    (await messages(bob).getByText('Held until verified').count()) === 0 && (await statusNow(alice, 'Held until verified')) === 'Queued',
  );

  await alice.page.getByRole('button', { name: 'Verify Bob' }).click();
  await verifyDialog(alice, 'Bob').getByRole('button', { name: 'Mark as verified' }).click();
  await verifyDialog(alice, 'Bob').getByRole('button', { name: 'Close' }).click();
  await expect(messages(bob).getByText('Held until verified')).toBeVisible();
  await expect(statusOf(alice, 'Held until verified')).toHaveAccessibleName(/Delivered|Read/);
  await expect(alice.page.getByRole('note').filter({ hasText: 'Bob is not verified.' })).toHaveCount(0);

  // The setting is kept: after a reload, the verified contact connects, and so does nothing else.
  await alice.page.reload();
  await expect(alice.page.getByRole('switch', { name: /^Only connect to verified contacts/ })).toBeChecked();
  await send(bob, 'After the reload');
  await openChat(alice, 'Bob');
  await expect(messages(alice).getByText('After the reload')).toBeVisible();
});

test('an unverified contact back with a new key: a warning, a line in the old conversation, and the new key apart', async ({ browser, app }) => {
  const room = await meet(browser, app.url, 'Alice', 'Bob');
  people = room.people;
  const [alice, bob] = room.people as [Person, Person];
  await openChat(alice, 'Bob');
  await send(alice, 'Before');
  await expect(statusOf(alice, 'Before')).toHaveAccessibleName(/Delivered|Read/);
  // Verify is also in the connection's stats.
  await alice.page.getByRole('button', { name: 'Connection stats' }).click();
  await alice.page.getByRole('dialog', { name: 'Connection stats' }).getByRole('button', { name: 'Verify' }).click();
  await expect(verifyDialog(alice, 'Bob').getByRole('group', { name: 'Safety number' })).toHaveText(/^\s*(\d{5}\s*){12}$/);
  await verifyDialog(alice, 'Bob').getByRole('button', { name: 'Close' }).click();

  await clearStorage(bob);
  await comeBack(browser, 'Bob', room.link);
  await expect(alice.page.getByRole('alert').filter({ hasText: 'A device with a new key joined as Bob.' })).toBeVisible();
  await expect(messages(alice).getByText('A device with a new key joined as Bob: a new phone, a reinstall, a browser that cleared Bob’s data (Safari does after 7 days without a visit), or someone else using the name.', { exact: false })).toBeVisible();
  await expect(peopleList(alice).getByRole('button', { name: 'Bob, offline' })).toBeVisible();
  await peopleList(alice).getByRole('button', { name: 'Bob, online, new key, not the Bob you met before' }).click();
  await expect(messages(alice).getByText('Before')).toHaveCount(0);
  await send(alice, 'Hello again');
  await expect(statusOf(alice, 'Hello again')).toHaveAccessibleName(/Delivered|Read/);
});

test('Verify again: the new key of a verified contact, once verified, takes over their conversation and stays verified', async ({ browser, app }) => {
  const room = await meet(browser, app.url, 'Alice', 'Bob');
  people = room.people;
  const [alice, bob] = room.people as [Person, Person];
  await openChat(alice, 'Bob');
  await send(alice, 'First');
  await expect(statusOf(alice, 'First')).toHaveAccessibleName(/Delivered|Read/);
  await markVerified(alice, 'Bob');

  await clearStorage(bob);
  const newBob = await comeBack(browser, 'Bob', room.link);
  // From the old conversation, still open: Verify again reaches the new key.
  const warning = alice.page.getByRole('alert', { name: 'Bob’s safety number changed' });
  await warning.getByRole('button', { name: 'Verify again' }).click();
  await expect(verifyDialog(alice, 'Bob').getByRole('group', { name: 'Safety number' })).toHaveText(/^\s*(\d{5}\s*){12}$/);
  await verifyDialog(alice, 'Bob').getByRole('button', { name: 'Mark as verified' }).click();
  await verifyDialog(alice, 'Bob').getByRole('button', { name: 'Close' }).click();

  await expect(warning).toHaveCount(0);
  await expect(peopleList(alice).getByRole('button', { name: /^Bob, / })).toHaveAccessibleName('Bob, verified, online');
  await expect(messages(alice).getByText('First')).toBeVisible();
  await expect(messages(alice).getByText('Bob’s safety number changed, and you verified the new one.')).toBeVisible();
  await send(alice, 'Second');
  await openChat(newBob, 'Alice');
  await expect(messages(newBob).getByText('Second')).toBeVisible();
});

for (const placement of ['media', 'session'] as const) {
  test(`someone who claims a verified contact’s key, with its fingerprint beside their own (${placement} level), gets nothing and is called out`, async ({ browser, app }) => {
    relay = await startMitmRelay(app.url);
    const { alice, bob, link } = await aliceVerifiesBob(browser, relay.url);
    const bobKey = relay.deviceOf('Bob')!;
    expect(bobKey).toMatch(/^[0-9A-F]{64}$/);

    await clearStorage(bob);
    await expect(peopleList(alice).getByRole('button', { name: 'Bob, verified, offline' })).toBeVisible();
    await openChat(alice, 'Bob');
    await send(alice, 'For Bob only');
    // Sealed to the mailbox key of Bob's old device: Mallory, who has his DTLS key's fingerprint, has not that key.
    await expect(statusOf(alice, 'For Bob only')).toHaveAccessibleName('Waiting in Bob’s mailbox');

    // Mallory joins as Bob, with Bob's key, and Bob's fingerprint beside her own certificate's in each
    // description: in the same media section (refused by Chromium itself, accepted by Firefox), or at session
    // level above hers (Chromium's DTLS checks the media section's).
    relay.impersonate('Bob', bobKey, placement);
    const mallory = await comeBack(browser, 'Bob', link);
    await expect(alice.page.getByRole('alert').filter({ hasText: 'The device that answered as Bob is not the one you know.' })).toBeVisible();
    expect(relay.forged).toBeGreaterThan(0);
    await openChat(mallory, 'Alice');
    // Alice's app has judged the connection (its proof failed): what it would send went before that.
    await expect(alice.page.getByRole('region', { name: 'Conversation' }).getByText('Key changed', { exact: true })).toBeVisible();
    await holds('nothing reaches Mallory, and the message stays waiting', async () =>
      (await messages(mallory).getByText('For Bob only').count()) === 0 && (await statusNow(alice, 'For Bob only')) === 'Waiting in Bob’s mailbox',
    );
  });
}

test('a claim of a verified contact’s key under another name renames no one and cuts no connection; its own connection is refused', async ({ browser, app }) => {
  relay = await startMitmRelay(app.url);
  const { alice, bob, link } = await aliceVerifiesBob(browser, relay.url);
  await send(alice, 'Before');
  await expect(messages(bob).getByText('Before')).toBeVisible();

  // Mallory joins under the name Carol, claiming Bob's key, and tries to connect to Alice with it.
  relay.impersonate('Carol', relay.deviceOf('Bob')!, 'media');
  const mallory = await comeBack(browser, 'Carol', link);
  await expect(peopleList(mallory).getByRole('button', { name: /^Alice, online/ })).toBeVisible();
  await openChat(mallory, 'Alice');
  await send(mallory, 'I am Bob now');
  await expect(alice.page.getByRole('alert').filter({ hasText: 'Someone in the room claimed to be Bob’s device and could not prove it.' })).toBeVisible();

  // Bob is still Bob, verified, and still connected: what Alice writes reaches him, and nothing reaches Mallory.
  await expect(peopleList(alice).getByRole('button', { name: /^Bob, / })).toHaveAccessibleName('Bob, verified, online');
  await expect(peopleList(alice).getByRole('button', { name: /^Carol, / })).toHaveCount(0);
  await send(alice, 'After');
  await expect(messages(bob).getByText('After')).toBeVisible();
  // Mallory's attempt was refused before Alice wrote "After", which has reached Bob since.
  await holds('nothing of Alice’s reaches Mallory, nor Mallory’s her', async () =>
    (await messages(alice).getByText('I am Bob now').count()) === 0 && (await messages(mallory).getByText(/Before|After/).count()) === 0,
  );
  await alice.page.reload();
  await expect(peopleList(alice).getByRole('button', { name: /^Bob, / })).toHaveAccessibleName('Bob, verified, online');
});

test('a new key under a name that only looks like a verified contact’s (Cyrillic letters) is listed apart and called out', async ({ browser, app }) => {
  const { alice, link } = await aliceVerifiesBob(browser, app.url);

  // "Воb" with a Cyrillic В and о, while the verified Bob is here too.
  await comeBack(browser, 'Воb', link);
  await expect(alice.page.getByRole('alert').filter({ hasText: 'Someone joined as Воb with a key that is not the verified Bob’s.' })).toBeVisible();
  await expect(peopleList(alice).getByRole('button', { name: 'Воb, online, new key, not the Bob you met before' })).toBeVisible();
  await expect(peopleList(alice).getByRole('button', { name: 'Bob, verified, online' })).toBeVisible();
  await alice.page.reload();
  await expect(peopleList(alice).getByRole('button', { name: 'Воb, online, new key, not the Bob you met before' })).toBeVisible();
});

test('“Join with a link or QR code”: Bob scans the room’s QR code from Alice’s Share dialog (Chromium’s fake camera, fed her screen) and is in the room', async ({ browser, app }) => {
  const camera = join(cameras, 'bob.y4m');
  const alice = await newPerson(browser, 'Alice');
  const bob = await newPerson(await browserWithCamera(camera), 'Bob', PHONE);
  people = [alice, bob];
  const link = await createRoom(alice, app.url);
  await alice.page.getByRole('button', { name: 'Share' }).click();
  await showOnCamera(alice.page.getByRole('img', { name: 'QR code of the room link' }), camera);
  await bob.page.goto(app.url);
  await bob.page.getByRole('textbox', { name: 'Your name' }).fill('Bob');
  await bob.page.getByRole('button', { name: 'Join' }).click();
  await bob.page.getByRole('form', { name: 'Join with a link or QR code' }).getByRole('button', { name: 'Scan QR code' }).click();
  await expect(bob.page).toHaveURL(link);
  await expect(peopleList(bob).getByRole('button', { name: 'Alice, online' })).toBeVisible();
});
