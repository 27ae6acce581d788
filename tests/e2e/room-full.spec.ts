/**
 * A room at the server's size limit (MAX_ROOM_SIZE, two people here): the next
 * person who opens its link is told that it is full, with a way forward:
 * Whisper asks again by itself, "Try again now" comes in once someone has
 * left, and "New room" starts a room of their own. The screen is checked with
 * axe-core.
 */
import { join } from 'node:path';
import { metricsOf, sample } from '../signal/support/metrics.js';
import { launchSignal, type SignalProcess } from '../support/signal-process.js';
import { axeViolations } from './axe.js';
import { expect, test } from './fixtures.js';
import { PHONE, closeAll, createRoom, newPerson, openRoom, personEntry, type Person } from './people.js';

let people: Person[] = [];
let signal: SignalProcess;
test.afterEach(async () => {
  await closeAll(people);
  await signal.stop();
});

/** Opens the room's link as a newcomer: a name, then the room, which turns them away. */
async function arrive(person: Person, link: string): Promise<void> {
  await person.page.goto(link);
  await person.page.getByRole('textbox', { name: 'Your name' }).fill(person.name);
  await person.page.getByRole('button', { name: 'Join' }).click();
}

function fullNotice(person: Person) {
  return person.page.getByRole('alert').filter({ hasText: 'This room is full' });
}

test('a third person in a room of two is told it is full; Try again now comes in once someone left; New room starts one of their own', async ({ browser }) => {
  signal = launchSignal({ STATIC_DIR: join(import.meta.dirname, '../../dist'), MAX_ROOM_SIZE: '2' });
  const port = await signal.listening;
  const peersInRooms = async () => sample(await metricsOf(`http://127.0.0.1:${port}`), 'whisper_peers');
  const alice = await newPerson(browser, 'Alice');
  const bob = await newPerson(browser, 'Bob');
  const carol = await newPerson(browser, 'Carol', PHONE);
  const dan = await newPerson(browser, 'Dan');
  people = [alice, bob, carol, dan];
  const link = await createRoom(alice, `http://localhost:${port}/`);
  await openRoom(bob, link);
  await expect(personEntry(alice, 'Bob')).toHaveAccessibleName(/^Bob, online/);

  await arrive(carol, link);
  const full = fullNotice(carol);
  await expect(full).toContainText('This room is full: it takes at most 2 people.');
  await expect(full).toContainText(/Whisper tries again by itself at \d/);
  await expect(carol.page.getByRole('list', { name: 'People' }).getByRole('button', { name: /^(Alice|Bob), / })).toHaveCount(0);
  expect(await axeViolations(carol, 'room is full')).toEqual([]);

  // Bob closes his tab; once the server has seen him leave, Carol's Try again now takes his place.
  await bob.page.close({ runBeforeUnload: true });
  await expect.poll(peersInRooms).toBe(1);
  await full.getByRole('button', { name: 'Try again now' }).click();
  await expect(full).toHaveCount(0);
  await expect(personEntry(carol, 'Alice')).toHaveAccessibleName(/^Alice, online/);
  await expect(personEntry(alice, 'Carol')).toHaveAccessibleName(/^Carol, online/);

  // Dan finds it full again, and starts a room of his own instead.
  await arrive(dan, link);
  await expect(fullNotice(dan)).toContainText('This room is full');
  await fullNotice(dan).getByRole('button', { name: 'New room' }).click();
  await expect(dan.page).toHaveURL(/\/r\/[A-Za-z0-9_-]{22}$/);
  expect(dan.page.url()).not.toBe(link);
  await expect(dan.page.getByRole('button', { name: 'Share' })).toBeVisible();
  await expect(fullNotice(dan)).toHaveCount(0);
  await expect(dan.page.getByRole('status').filter({ hasText: 'Connecting to the room' })).toHaveCount(0);
  await expect.poll(peersInRooms).toBe(3);
});
