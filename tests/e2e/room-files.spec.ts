/**
 * Files sent to the room: each member is offered the file in the room's conversation and accepts or
 * declines it for themselves; the sender's one entry shows how far each member got. A member away gets the
 * offer when back; a sender that reloads mid-way sees the entry once, picks the file again, and it goes on.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from '@playwright/test';
import { expect, test } from './fixtures.js';
import { attach, fileEntry, holdStoring, randomFile as randomFileIn, saved } from './files.js';
import { closeAll, closePage, meet, openChat, openRoom, openRoomChat, peopleList, type Person } from './people.js';

let people: Person[] = [];
let dir: string;
test.beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'whisper-room-files-'));
});
test.afterEach(async () => {
  await closeAll(people);
  await rm(dir, { recursive: true, force: true });
});

const randomFile = (name: string, bytes: number) => randomFileIn(dir, name, bytes);

/** Alice, Bob and Carol in a new room, and its link. */
async function roomOfThree(browser: Browser, appUrl: string): Promise<{ alice: Person; bob: Person; carol: Person; link: string }> {
  const room = await meet(browser, appUrl, 'Alice', 'Bob', 'Carol');
  people = room.people;
  const [alice, bob, carol] = room.people as [Person, Person, Person];
  return { alice, bob, carol, link: room.link };
}

/** The person attaches the file in the room's conversation. */
async function sendToRoom(person: Person, path: string): Promise<void> {
  await openRoomChat(person);
  await attach(person, path);
}

/** Each member's line in the sender's entry for the file ("Bob: 45%", "Carol: Declined"), in the order of their names. */
function perMember(person: Person, name: string) {
  return fileEntry(person, name).getByRole('list', { name: 'Progress per member' }).getByRole('listitem');
}

test('a file sent to a room of three: Bob accepts and gets it byte-identical, Carol declines, and Alice sees each', async ({ browser, app }) => {
  test.setTimeout(120_000);
  const { alice, bob, carol } = await roomOfThree(browser, app.url);
  const file = await randomFile('minutes.pdf', 3 * 1024 * 1024);
  await sendToRoom(alice, file.path);
  await expect(perMember(alice, 'minutes.pdf')).toHaveText(['Bob: Waiting', 'Carol: Waiting']);
  await expect(fileEntry(alice, 'minutes.pdf').getByRole('status')).toHaveText('Received by 0 of 2');

  await expect(peopleList(bob).getByRole('button', { name: 'Room, 3 people, 1 unread' })).toBeVisible();
  await openRoomChat(bob);
  const bobs = fileEntry(bob, 'minutes.pdf');
  await expect(bobs.getByRole('paragraph')).toHaveText('Alice');
  await expect(bobs).toContainText('Wants to send you this file.');
  await bobs.getByRole('button', { name: 'Accept' }).click();

  await openRoomChat(carol);
  await fileEntry(carol, 'minutes.pdf').getByRole('button', { name: 'Decline' }).click();
  await expect(fileEntry(carol, 'minutes.pdf')).toContainText('You declined this file.');

  await expect(bobs).toContainText('Received and verified.');
  await expect(perMember(alice, 'minutes.pdf')).toHaveText(['Bob: Received', 'Carol: Declined']);
  await expect(fileEntry(alice, 'minutes.pdf').getByRole('status')).toHaveText('Received by 1 of 2');
  expect(await saved(bob, 'minutes.pdf')).toBe(file.sha256);
  // The room's, not the one-to-one conversation's.
  await openChat(bob, 'Alice');
  await expect(fileEntry(bob, 'minutes.pdf')).toHaveCount(0);
});

test('a member away gets the offer when back, and accepts it then', async ({ browser, app }) => {
  test.setTimeout(120_000);
  const { alice, bob, carol, link } = await roomOfThree(browser, app.url);
  // Carol closes the app.
  await closePage(carol);
  await expect(peopleList(alice).getByRole('button', { name: /^Carol, offline/ })).toBeVisible();

  const file = await randomFile('photos.zip', 2 * 1024 * 1024);
  await sendToRoom(alice, file.path);
  await openRoomChat(bob);
  await fileEntry(bob, 'photos.zip').getByRole('button', { name: 'Accept' }).click();
  await expect(perMember(alice, 'photos.zip')).toHaveText(['Bob: Received', 'Carol: Waiting']);

  await openRoom(carol, link);
  await openRoomChat(carol);
  const carols = fileEntry(carol, 'photos.zip');
  await expect(carols.getByRole('paragraph')).toHaveText('Alice');
  await carols.getByRole('button', { name: 'Accept' }).click();
  await expect(carols).toContainText('Received and verified.');
  await expect(perMember(alice, 'photos.zip')).toHaveText(['Bob: Received', 'Carol: Received']);
  await expect(fileEntry(alice, 'photos.zip').getByRole('status')).toHaveText('Received by 2 of 2');
  expect(await saved(carol, 'photos.zip')).toBe(file.sha256);
});

test('the sender reloads mid-way: the entry is there once, the file picked again goes on to each member, and both get it whole', async ({ browser, app }) => {
  test.setTimeout(150_000);
  const { alice, bob, carol } = await roomOfThree(browser, app.url);
  const size = 40 * 1024 * 1024;
  const file = await randomFile('lecture.mp4.bin', size);
  await sendToRoom(alice, file.path);
  await openRoomChat(bob);
  // Bob's device stores a third of the file (its progress comes every 16 chunks, about 4 MiB), then nothing until
  // the test lets it: the transfer is mid-way when Alice reloads, however fast this machine would have finished it.
  const release = await holdStoring(bob, size / 3);
  await fileEntry(bob, 'lecture.mp4.bin').getByRole('button', { name: 'Accept' }).click();
  const progress = fileEntry(bob, 'lecture.mp4.bin').getByRole('progressbar');
  await expect.poll(async () => Number(await progress.getAttribute('value')), { timeout: 60_000 }).toBeGreaterThanOrEqual(20);
  await expect(perMember(alice, 'lecture.mp4.bin').first()).toHaveText(/^Bob: \d+%$/);

  await alice.page.reload();
  await openRoomChat(alice);
  await expect(fileEntry(alice, 'lecture.mp4.bin')).toHaveCount(1);
  await expect(fileEntry(alice, 'lecture.mp4.bin').getByRole('status')).toHaveText('Pick the file again to continue sending it.');
  await expect(perMember(alice, 'lecture.mp4.bin')).toHaveText(['Bob: Paused', 'Carol: Waiting']);
  // Only now does Bob's device store the rest of what it had received (Alice sends a window ahead of what he
  // stored): after it told Alice's new page where it stood. Alice must go on from where it then stands, not from
  // where it stood when he told her (she sent again what Bob had, which he drops without a word, and waited for
  // ever for his acknowledgement: found under load, 1 run in 4, when his storing lagged so by chance).
  await release();
  // Carol accepts while Alice's page has no file: her transfer waits for it too.
  await openRoomChat(carol);
  await fileEntry(carol, 'lecture.mp4.bin').getByRole('button', { name: 'Accept' }).click();
  await expect(perMember(alice, 'lecture.mp4.bin')).toHaveText(['Bob: Paused', 'Carol: Paused']);

  const chooser = alice.page.waitForEvent('filechooser');
  await fileEntry(alice, 'lecture.mp4.bin').getByRole('button', { name: 'Pick the file again' }).click();
  await (await chooser).setFiles(file.path);
  await expect(fileEntry(bob, 'lecture.mp4.bin')).toContainText('Received and verified.', { timeout: 90_000 });
  await expect(fileEntry(carol, 'lecture.mp4.bin')).toContainText('Received and verified.', { timeout: 90_000 });
  await expect(perMember(alice, 'lecture.mp4.bin')).toHaveText(['Bob: Received', 'Carol: Received']);
  expect(await saved(bob, 'lecture.mp4.bin')).toBe(file.sha256);
  expect(await saved(carol, 'lecture.mp4.bin')).toBe(file.sha256);

  // Once more after the end: one entry, as it ended, on the sender's side and on a receiver's.
  await alice.page.reload();
  await openRoomChat(alice);
  await expect(fileEntry(alice, 'lecture.mp4.bin')).toHaveCount(1);
  await expect(fileEntry(alice, 'lecture.mp4.bin').getByRole('status')).toHaveText('Received by 2 of 2');
  await bob.page.reload();
  await openRoomChat(bob);
  await expect(fileEntry(bob, 'lecture.mp4.bin')).toHaveCount(1);
  await expect(fileEntry(bob, 'lecture.mp4.bin')).toContainText('Received and verified.');
});
