import { expect, takeExpected, test } from './fixtures.js';
import { closeAll, meet, messageTexts, openChat, send, statusOf, type Person } from './people.js';

let people: Person[] = [];
test.afterEach(() => closeAll(people));

test('the installed app opens offline with its history, queues what is written, and sends it when back online', async ({ browser, app }) => {
  const room = await meet(browser, app.url, 'Alice', 'Bob');
  people = room.people;
  const [alice, bob] = room.people as [Person, Person];
  await openChat(alice, 'Bob');
  await send(alice, 'written online');
  await expect(statusOf(alice, 'written online')).toHaveAccessibleName('Delivered');
  await alice.page.evaluate(async () => navigator.serviceWorker.ready);

  await alice.context.setOffline(true);
  await alice.page.reload();
  await expect(alice.page.getByRole('status').filter({ hasText: 'You are offline' })).toBeVisible();
  await expect(alice.page.getByRole('heading', { name: 'Bob' })).toBeVisible();
  await expect(messageTexts(alice)).toHaveText(['written online']);
  await send(alice, 'written offline');
  await expect(statusOf(alice, 'written offline')).toHaveAccessibleName('Queued');

  await alice.context.setOffline(false);
  await expect(statusOf(alice, 'written offline')).toHaveAccessibleName('Delivered', { timeout: 20_000 });
  await openChat(bob, 'Alice');
  await expect(messageTexts(bob)).toHaveText(['written online', 'written offline']);
  // While offline, the app's attempts to reach the signal server failed, as they must (and were reported): those
  // are taken out by what they say; anything else is still checked.
  expect(takeExpected(alice.problems, /net::ERR_INTERNET_DISCONNECTED/)).not.toEqual([]);
});
