import { expect, test } from './fixtures.js';
import { closeAll, closePage, createRoom, holds, meet, messageTexts, messages, newPerson, openChat, openRoom, personEntry, send, statusNow, statusOf, type Person } from './people.js';

let people: Person[] = [];
test.afterEach(() => closeAll(people));

test('two people meet by link and chat both ways, with statuses reaching Read', async ({ browser, app }) => {
  const alice = await newPerson(browser, 'Alice');
  const bob = await newPerson(browser, 'Bob');
  people = [alice, bob];
  const link = await createRoom(alice, app.url);

  await alice.page.getByRole('button', { name: 'Share' }).click();
  const share = alice.page.getByRole('dialog', { name: 'Share this room' });
  await expect(share.getByRole('img', { name: 'QR code of the room link' })).toBeVisible();
  await expect(share.getByText(link)).toBeVisible();
  await expect(share.getByRole('status')).toHaveText('Link copied.');
  expect(await alice.page.evaluate(() => navigator.clipboard.readText())).toBe(link);
  await share.getByRole('button', { name: 'Close' }).click();
  await expect(share).toBeHidden();

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

test('typing shows on the other side, and Ping measures the round trip', async ({ browser, app }) => {
  const room = await meet(browser, app.url, 'Alice', 'Bob');
  people = room.people;
  const [alice, bob] = room.people as [Person, Person];
  await openChat(alice, 'Bob');
  await openChat(bob, 'Alice');

  await alice.page.getByRole('textbox', { name: 'Message' }).pressSequentially('Hel');
  await expect(bob.page.getByText('Alice is typing…')).toBeVisible();
  await alice.page.getByRole('textbox', { name: 'Message' }).press('Enter');
  await expect(bob.page.getByText('Alice is typing…')).toBeHidden();
  await expect(messages(bob).getByText('Hel')).toBeVisible();

  await alice.page.getByRole('button', { name: 'Ping' }).click();
  await expect(alice.page.getByRole('status', { name: 'Round-trip time' })).toHaveText(/^\d+(\.\d)? ms$/);
  await expect(alice.page.getByText('Direct (P2P)')).toBeVisible();

  await alice.page.getByRole('button', { name: 'Connection stats' }).click();
  const stats = alice.page.getByRole('dialog', { name: 'Connection stats' });
  await expect(stats).toBeVisible();
  await expect(stats.getByRole('definition').first()).toHaveText('Direct (P2P)');
  await expect(stats.getByText('host').first()).toBeVisible();
  await stats.getByRole('button', { name: 'Close' }).click();
  await expect(stats).toBeHidden();
});

test('history stays after a reload, with no duplicates', async ({ browser, app }) => {
  const room = await meet(browser, app.url, 'Alice', 'Bob');
  people = room.people;
  const [alice, bob] = room.people as [Person, Person];
  await openChat(alice, 'Bob');
  for (const text of ['one', 'two', 'three']) await send(alice, text);
  await expect(statusOf(alice, 'three')).toHaveAccessibleName('Delivered');

  await bob.page.reload();
  // The name is remembered: no question this time.
  await expect(bob.page.getByRole('button', { name: 'Share' })).toBeVisible();
  await expect(bob.page.getByRole('textbox', { name: 'Your name' })).toHaveCount(0);
  await openChat(bob, 'Alice');
  await expect(messageTexts(bob)).toHaveText(['one', 'two', 'three']);
  await expect(statusOf(alice, 'three')).toHaveAccessibleName('Read');

  await alice.page.reload();
  await openRoom(alice, room.link);
  await openChat(alice, 'Bob');
  await expect(messageTexts(alice)).toHaveText(['one', 'two', 'three']);
  await send(alice, 'four');
  await expect(messages(bob).getByText('four')).toBeVisible();
  await expect(messageTexts(bob)).toHaveText(['one', 'two', 'three', 'four']);
});

test('a message written while the other is away waits, then goes out by itself when they are back', async ({ browser, app }) => {
  const room = await meet(browser, app.url, 'Alice', 'Bob');
  people = room.people;
  const [alice, bob] = room.people as [Person, Person];
  await openChat(alice, 'Bob');
  await send(alice, 'before');
  await expect(statusOf(alice, 'before')).toHaveAccessibleName('Delivered');

  await closePage(bob);
  await expect(personEntry(alice, 'Bob')).toHaveAccessibleName('Bob, offline');
  await send(alice, 'while you were away');
  await send(alice, 'and a second one');
  // Kept on her device, and sealed in Bob's mailbox on the server (mailbox.spec.ts tests that way in).
  await expect(statusOf(alice, 'and a second one')).toHaveAccessibleName('Waiting in Bob’s mailbox');

  // Alice reloads too: the queue is on her device, not in the page. Her app starts again with the room, where
  // Bob is away: anything it would send him, it would send now; the two stay waiting.
  await alice.page.reload();
  await openRoom(alice, room.link);
  await openChat(alice, 'Bob');
  await expect(personEntry(alice, 'Bob')).toHaveAccessibleName('Bob, offline');
  const waiting = 'Waiting in Bob’s mailbox';
  await holds('both stay waiting while Bob is away', async () => (await statusNow(alice, 'while you were away')) === waiting && (await statusNow(alice, 'and a second one')) === waiting);

  await openRoom(bob, room.link);
  await expect(statusOf(alice, 'and a second one')).toHaveAccessibleName('Delivered');
  await openChat(bob, 'Alice');
  await expect(messageTexts(bob)).toHaveText(['before', 'while you were away', 'and a second one']);
  await expect(statusOf(alice, 'and a second one')).toHaveAccessibleName('Read');
});

/**
 * Holds what each page sends through the signal server from its first connection offer on, until every one of
 * `who` has sent an offer; then lets it all through, in order. The offers cross (glare), whichever page would
 * otherwise have been quicker. Call before the pages open the app.
 */
async function crossOffers(...who: Person[]): Promise<void> {
  const held = new Map<Person, Array<() => void>>();
  const releaseWhenAllOffered = () => {
    if (held.size < who.length) return;
    for (const sends of held.values()) for (const send of sends.splice(0)) send();
    released = true;
  };
  let released = false;
  for (const person of who) {
    await person.page.routeWebSocket(/\/ws$/, (socket) => {
      const server = socket.connectToServer();
      socket.onMessage((message) => {
        const text = String(message);
        if (!released && (held.has(person) || (text.includes('"type":"signal"') && text.includes('"type":"offer"')))) {
          held.set(person, [...(held.get(person) ?? []), () => server.send(message)]);
          releaseWhenAllOffered();
          return;
        }
        server.send(message);
      });
      server.onMessage((message) => socket.send(message));
    });
  }
}

test('both sending at once (glare) connects and delivers both', async ({ browser, app }) => {
  const alice = await newPerson(browser, 'Alice');
  const bob = await newPerson(browser, 'Bob');
  people = [alice, bob];
  await crossOffers(alice, bob);
  await openRoom(bob, await createRoom(alice, app.url));
  // Neither has a connection yet; both open the chat and send, and their offers cross.
  const aliceBox = alice.page.getByRole('textbox', { name: 'Message' });
  const bobBox = bob.page.getByRole('textbox', { name: 'Message' });
  await Promise.all([personEntry(alice, 'Bob').click(), personEntry(bob, 'Alice').click()]);
  await Promise.all([aliceBox.fill('from Alice'), bobBox.fill('from Bob')]);
  await Promise.all([aliceBox.press('Enter'), bobBox.press('Enter')]);
  await expect(messages(alice).getByText('from Bob')).toBeVisible();
  await expect(messages(bob).getByText('from Alice')).toBeVisible();
  await expect(statusOf(alice, 'from Alice')).toHaveAccessibleName('Read');
  await expect(statusOf(bob, 'from Bob')).toHaveAccessibleName('Read');
});

test('three people: everyone sees everyone, and conversations stay apart', async ({ browser, app }) => {
  const room = await meet(browser, app.url, 'Alice', 'Bob', 'Carol');
  people = room.people;
  const [alice, bob, carol] = room.people as [Person, Person, Person];
  for (const [person, others] of [[alice, ['Bob', 'Carol']], [bob, ['Alice', 'Carol']], [carol, ['Alice', 'Bob']]] as const) {
    for (const other of others) await expect(personEntry(person, other)).toHaveAccessibleName(`${other}, online`);
  }
  await openChat(alice, 'Bob');
  await send(alice, 'just for Bob');
  await openChat(alice, 'Carol');
  await send(alice, 'just for Carol');
  await expect(personEntry(bob, 'Alice')).toHaveAccessibleName('Alice, online, 1 unread');
  await expect(personEntry(carol, 'Alice')).toHaveAccessibleName('Alice, online, 1 unread');
  await openChat(carol, 'Alice');
  await expect(messages(carol).getByText('just for Carol')).toBeVisible();
  // A later message to Carol arrives, in order, on the same channel: one for Bob that went astray would be there by now.
  await send(alice, 'and this, Carol');
  await expect(messageTexts(carol)).toHaveText(['just for Carol', 'and this, Carol']);
  await holds(
    'what Alice wrote to one stays out of the other’s conversation',
    async () => (await messages(carol).getByText('just for Bob').count()) === 0 && (await personEntry(bob, 'Alice').getAttribute('aria-label')) === 'Alice, online, 1 unread',
  );

  await carol.page.close();
  await expect(personEntry(alice, 'Carol')).toHaveAccessibleName('Carol, offline');
  await expect(personEntry(bob, 'Carol')).toHaveAccessibleName('Carol, offline');
});

test('Relay only without a TURN server says why nothing connects', async ({ browser, app }) => {
  const room = await meet(browser, app.url, 'Alice', 'Bob');
  people = room.people;
  const [alice] = room.people as [Person, Person];
  await alice.page.getByRole('switch', { name: /Relay only/ }).check();
  await expect(alice.page.getByRole('alert')).toContainText('this server offers no TURN relay');
  await openChat(alice, 'Bob');
  await send(alice, 'through the relay, please');
  // Bob is online, and a direct connection takes milliseconds here (as the end shows, once Relay only is off):
  // an app that ignored Relay only would have delivered it within this hold.
  await holds('the message waits: nothing connects without a relay', async () => (await statusNow(alice, 'through the relay, please')) === 'Queued');
  await alice.page.getByRole('button', { name: 'Dismiss' }).click();
  await alice.page.getByRole('switch', { name: /Relay only/ }).uncheck();
  await expect(statusOf(alice, 'through the relay, please')).toHaveAccessibleName('Delivered');
});

test('channels that open before the answer is applied on the offerer’s page: no false "Key changed", and nothing lost', async ({ browser, app }) => {
  const room = await meet(browser, app.url, 'Alice', 'Bob');
  people = room.people;
  const [alice, bob] = room.people as [Person, Person];
  // What a busy page can see: the connection is up and its channels open while the task that applies
  // the answer (and makes remoteDescription visible) has not run yet, on whichever side offers.
  // The answer stays unseen until the channels are open, however quickly or slowly this machine opens them.
  const slowToSeeTheAnswer = () => {
    const apply = RTCPeerConnection.prototype.setRemoteDescription as (this: RTCPeerConnection, description?: RTCSessionDescriptionInit) => Promise<void>;
    const create = RTCPeerConnection.prototype.createDataChannel;
    const channels = new WeakMap<RTCPeerConnection, RTCDataChannel[]>();
    RTCPeerConnection.prototype.createDataChannel = function (this: RTCPeerConnection, ...args: Parameters<typeof create>) {
      const channel = create.apply(this, args);
      channels.set(this, [...(channels.get(this) ?? []), channel]);
      return channel;
    };
    const hidden = new WeakSet<RTCPeerConnection>();
    const remote = Object.getOwnPropertyDescriptor(RTCPeerConnection.prototype, 'remoteDescription')!;
    Object.defineProperty(RTCPeerConnection.prototype, 'remoteDescription', {
      get(this: RTCPeerConnection) {
        return hidden.has(this) ? null : remote.get!.call(this);
      },
    });
    RTCPeerConnection.prototype.setRemoteDescription = async function (this: RTCPeerConnection, description?: RTCSessionDescriptionInit) {
      if (description?.type !== 'answer' || this.currentRemoteDescription) return apply.call(this, description);
      hidden.add(this);
      await apply.call(this, description);
      const opening = (channels.get(this) ?? []).filter((channel) => channel.readyState !== 'open');
      await Promise.all(opening.map((channel) => new Promise((resolve) => channel.addEventListener('open', resolve, { once: true }))));
      hidden.delete(this);
    };
  };
  await alice.page.evaluate(slowToSeeTheAnswer);
  await bob.page.evaluate(slowToSeeTheAnswer);
  await openChat(bob, 'Alice');
  await send(bob, 'written before Alice connects');
  await openChat(alice, 'Bob');
  await send(alice, 'first words');
  await expect(statusOf(alice, 'first words')).toHaveAccessibleName('Read');
  await expect(statusOf(bob, 'written before Alice connects')).toHaveAccessibleName('Read');
  // Both connections' keys were checked when their channels opened, before anything was read: held a moment
  // longer, a "Key changed" that came late shows too.
  for (const person of [alice, bob]) {
    await holds(`${person.name} sees no "Key changed" and no alert`, async () => (await person.page.getByText('Key changed').count()) === 0 && (await person.page.getByRole('alert').count()) === 0);
  }
});
