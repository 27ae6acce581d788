/**
 * The room's conversation: three people, each message to everyone over the pairwise channels, receipts
 * per member, a member away and back, typing by name, and the history across a reload.
 */
import { expect, test } from './fixtures.js';
import { closeAll, closePage, createRoom, meet, messages, newPerson, openRoom, openRoomChat, peopleList, receipts, send, type Person } from './people.js';

let people: Person[] = [];
test.afterEach(() => closeAll(people));

function roomMessage(person: Person, text: string) {
  return messages(person).getByRole('listitem').filter({ hasText: text });
}

test('three people talk in the room: everyone gets each message, receipts count who has it, and a member away gets what was written when back', async ({ browser, app }) => {
  const room = await meet(browser, app.url, 'Alice', 'Bob', 'Carol');
  people = room.people;
  const [alice, bob, carol] = room.people as [Person, Person, Person];
  await openRoomChat(alice);
  await openRoomChat(bob);
  await expect(alice.page.getByText('3 people, 3 online')).toBeVisible();

  await send(alice, 'Hello everyone');
  await expect(roomMessage(bob, 'Hello everyone')).toContainText('Alice');
  await expect(peopleList(carol).getByRole('button', { name: 'Room, 3 people, 1 unread' })).toBeVisible();
  await expect(receipts(alice, 'Hello everyone')).toHaveAccessibleName('Delivered to 2 of 2, read by 1');
  await receipts(alice, 'Hello everyone').click();
  await expect(alice.page.getByRole('list', { name: 'Who has it' }).getByRole('listitem')).toHaveText(['Bob: Read', 'Carol: Delivered']);

  await bob.page.getByRole('textbox', { name: 'Message' }).pressSequentially('Hey there');
  await expect(alice.page.getByText('Bob is typing…')).toBeVisible();
  await bob.page.getByRole('textbox', { name: 'Message' }).press('Enter');
  await expect(roomMessage(alice, 'Hey there')).toContainText('Bob');
  await expect(alice.page.getByText('Bob is typing…')).toBeHidden();

  // Carol closes the app; what is written meanwhile waits for her on each writer's device.
  await closePage(carol);
  await expect(peopleList(alice).getByRole('button', { name: /^Carol, offline/ })).toBeVisible();
  await send(alice, 'While Carol is away');
  await send(bob, 'Me too');
  await expect(receipts(alice, 'While Carol is away')).toHaveAccessibleName('Delivered to 1 of 2, read by 1');

  await openRoom(carol, room.link);
  await openRoomChat(carol);
  for (const text of ['Hello everyone', 'Hey there', 'While Carol is away', 'Me too']) await expect(roomMessage(carol, text)).toHaveCount(1);
  await expect(receipts(alice, 'While Carol is away')).toHaveAccessibleName('Delivered to 2 of 2, read by 2');
  await expect(receipts(bob, 'Me too')).toHaveAccessibleName('Delivered to 2 of 2, read by 2');

  // A reload brings the same history back: nothing lost, nothing twice, in the order it came.
  await alice.page.reload();
  await openRoomChat(alice);
  const texts = messages(alice).getByRole('listitem').filter({ hasText: /Hello everyone|Hey there|While Carol is away|Me too/ });
  await expect(texts).toHaveCount(4);
  await expect(texts.nth(0)).toContainText('Hello everyone');
  await expect(texts.nth(3)).toContainText('Me too');
});

test('“Join with a link or QR code” on the home view: a pasted room link of this server opens the room; another server’s link, a page that is not a room, or text, say why and open nothing', async ({ browser, app }) => {
  const alice = await newPerson(browser, 'Alice');
  const bob = await newPerson(browser, 'Bob');
  people = [alice, bob];
  const link = await createRoom(alice, app.url);
  await bob.page.goto(app.url);
  await bob.page.getByRole('textbox', { name: 'Your name' }).fill('Bob');
  await bob.page.getByRole('button', { name: 'Join' }).click();
  const form = bob.page.getByRole('form', { name: 'Join with a link or QR code' });
  const refused: Array<[string, string]> = [
    [link.replace(new URL(link).origin, 'https://other.example'), 'That room is on another server (other.example): open the link in the browser.'],
    [`${app.url}/settings`, 'That link names no Whisper room.'],
    ['see you there', 'That is not a link. Paste the whole room link, starting with https://'],
  ];
  for (const [text, why] of refused) {
    await form.getByRole('textbox', { name: 'Room link' }).fill(text);
    await form.getByRole('button', { name: 'Join' }).click();
    await expect(form.getByRole('alert')).toHaveText(why);
    await expect(bob.page).toHaveURL(`${app.url}/`);
  }
  await form.getByRole('textbox', { name: 'Room link' }).fill(` ${link} `);
  await form.getByRole('textbox', { name: 'Room link' }).press('Enter');
  await expect(bob.page).toHaveURL(link);
  await expect(peopleList(bob).getByRole('button', { name: 'Alice, online' })).toBeVisible();
  // Back leads home again, as after any room opened from there.
  await bob.page.goBack();
  await expect(bob.page.getByRole('button', { name: 'New room' })).toBeVisible();
});
