/**
 * axe-core on every screen, as two people use the app: Alice on a desktop,
 * Bob on a phone (390×844, where the chat covers the people list). Every
 * screen is checked, and all violations are listed at the end, by screen, so
 * that one run shows them all. The goal is none.
 */
import AxeBuilder from '@axe-core/playwright';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, callScreen, incomingCall } from './calls.js';
import { attach, fileEntry, holdStoring, randomFile } from './files.js';
import { expect, test } from './fixtures.js';
import { closeAll, createRoom, newPerson, openChat, openRoom, openRoomChat, peopleList, personEntry, send, type Person } from './people.js';

const PHONE_390 = { width: 390, height: 844 };

let people: Person[] = [];
let dir: string;
test.beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'whisper-a11y-'));
});
test.afterEach(async () => {
  await closeAll(people);
  await rm(dir, { recursive: true, force: true });
});

/** What axe finds on the person's page now, one line per rule and element. */
async function axe(person: Person, screen: string): Promise<string[]> {
  // Only violations are collected: far less work than the full report, on a busy machine.
  const { violations } = await new AxeBuilder({ page: person.page }).options({ resultTypes: ['violations'] }).analyze();
  return violations.flatMap((v) => v.nodes.map((node) => `${screen} (${person.name}): ${v.id} [${v.impact}] ${node.target.join(' ')}: ${v.help}`));
}

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
