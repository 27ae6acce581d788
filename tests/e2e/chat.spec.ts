import { expect, test } from './fixtures.js';
import { createRoom, messages, newPerson, openChat, openRoom, personEntry, send, statusOf, type Person } from './people.js';

let people: Person[] = [];
test.afterEach(async () => {
  for (const person of people) {
    expect(person.problems, `${person.name}'s page reported errors`).toEqual([]);
    await person.context.close();
  }
  people = [];
});

test('two people meet by link and chat both ways, with statuses reaching Read', async ({ browser, app }) => {
  const alice = await newPerson(browser, 'Alice');
  const bob = await newPerson(browser, 'Bob');
  people = [alice, bob];
  const link = await createRoom(alice, app.url);
  await openRoom(bob, link);

  await expect(personEntry(alice, 'Bob')).toHaveAccessibleName('Bob, online');
  await expect(personEntry(bob, 'Alice')).toHaveAccessibleName('Alice, online');

  await openChat(alice, 'Bob');
  await send(alice, 'Hello Bob, see https://example.org/a?b=1 <b>not bold</b>');
  await expect(statusOf(alice, 'Hello Bob')).toHaveAccessibleName('Delivered');
  await expect(personEntry(bob, 'Alice')).toHaveAccessibleName('Alice, online, 1 unread');

  await openChat(bob, 'Alice');
  const received = messages(bob).getByRole('listitem').filter({ hasText: 'Hello Bob' });
  await expect(received).toContainText('<b>not bold</b>');
  await expect(received.getByRole('link', { name: 'https://example.org/a?b=1' })).toHaveAttribute('href', 'https://example.org/a?b=1');
  await expect(statusOf(alice, 'Hello Bob')).toHaveAccessibleName('Read');

  await send(bob, 'Hi Alice!');
  await expect(messages(alice).getByText('Hi Alice!')).toBeVisible();
  await expect(statusOf(bob, 'Hi Alice!')).toHaveAccessibleName('Read');
});
