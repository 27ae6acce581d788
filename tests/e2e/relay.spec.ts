/**
 * Calls forced through TURN ("Relay only") with the real coturn from the
 * repository's turnserver.conf, started on loopback, and the credentials the
 * signal server hands out. With credentials coturn refuses (a signal server
 * whose secret differs, or a username past its expiry) nothing connects, and
 * the person is told why.
 */
import { test as base, expect, type Page } from '@playwright/test';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { launchCoturn } from '../support/coturn-process.js';
import { launchSignal } from '../support/signal-process.js';
import { call, callScreen, expectRemoteVideoPlaying } from './calls.js';
import { closeAll, createRoom, holds, newPerson, openChat, openRoom, personEntry, send, statusNow, statusOf, type Person } from './people.js';

const SECRET = 'relay-spec-secret-0123456789';

interface RelayServers {
  /** A signal server whose TURN secret is coturn's. */
  url: string;
  /** A signal server that hands out credentials signed with another secret. */
  wrongSecretUrl: string;
}

const test = base.extend<object, { servers: RelayServers }>({
  servers: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const coturn = await launchCoturn(SECRET);
      const dist = join(import.meta.dirname, '../../dist');
      const turn = { STATIC_DIR: dist, TURN_URLS: coturn.urls.join(',') };
      const good = launchSignal({ ...turn, TURN_SECRET: SECRET });
      const wrong = launchSignal({ ...turn, TURN_SECRET: 'not-the-relay-secret-9876543210' });
      await use({ url: `http://localhost:${await good.listening}`, wrongSecretUrl: `http://localhost:${await wrong.listening}` });
      await Promise.all([good.stop(), wrong.stop(), coturn.stop()]);
    },
    { scope: 'worker' },
  ],
});

let people: Person[] = [];
test.afterEach(() => closeAll(people));

async function relayOnly(person: Person): Promise<void> {
  await person.page.getByRole('switch', { name: /Relay only/ }).check();
}

/** Alice and Bob in one room, both with "Relay only" on and each other's chat open. */
async function relayedPair(browser: Parameters<typeof newPerson>[0], url: string, beforeAlice?: (page: Page) => Promise<void>): Promise<[Person, Person]> {
  const alice = await newPerson(browser, 'Alice');
  const bob = await newPerson(browser, 'Bob');
  people = [alice, bob];
  await beforeAlice?.(alice.page);
  const link = await createRoom(alice, url);
  await openRoom(bob, link);
  await relayOnly(alice);
  await relayOnly(bob);
  await openChat(alice, 'Bob');
  await openChat(bob, 'Alice');
  return [alice, bob];
}

/** What the Connection stats panel of the call says about the path. */
async function pathShown(person: Person, other: string): Promise<string[]> {
  await callScreen(person, other).getByRole('button', { name: 'Connection stats' }).click();
  const panel = person.page.getByRole('dialog', { name: 'Connection stats' });
  const value = (term: string) => panel.getByRole('term').filter({ hasText: new RegExp(`^${term}$`) }).locator('xpath=following-sibling::dd[1]');
  await expect(value('Path')).not.toHaveText('—');
  const shown = [await value('Path').textContent(), await value('Local candidate').textContent(), await value('Remote candidate').textContent()];
  await panel.getByRole('button', { name: 'Close' }).click();
  return shown.map((text) => text ?? '');
}

test('with "Relay only", a video call goes through coturn, and Connection stats says Relay', async ({ browser, servers }) => {
  const [alice, bob] = await relayedPair(browser, servers.url);
  await call(alice, 'Video call');
  await bob.page.getByRole('button', { name: 'Accept' }).click();
  await expectRemoteVideoPlaying(alice, 'Bob');
  await expectRemoteVideoPlaying(bob, 'Alice');
  expect(await pathShown(alice, 'Bob')).toEqual(['Relay (TURN)', 'relay', 'relay']);
  expect(await pathShown(bob, 'Alice')).toEqual(['Relay (TURN)', 'relay', 'relay']);
  // Good credentials raise no complaint about the relay.
  await expect(alice.page.getByText('The TURN relay could not be used')).toHaveCount(0);
  await expect(bob.page.getByText('The TURN relay could not be used')).toHaveCount(0);
});

test('credentials signed with another secret: coturn refuses them, nothing connects, and the person is told why', async ({ browser, servers }) => {
  const [alice] = await relayedPair(browser, servers.wrongSecretUrl);
  await expect(alice.page.getByRole('alert')).toContainText('The TURN relay could not be used: it refused the credentials', { timeout: 20_000 });
  await send(alice, 'through a relay that says no');
  await call(alice, 'Video call');
  await expect(alice.page.getByRole('alert')).toContainText('Bob could not be reached.', { timeout: 20_000 });
  await expect(callScreen(alice, 'Bob')).toBeHidden();
  // A connection attempt made after the message was written has ended without a connection: the message is still waiting.
  await holds('the message waits', async () => (await statusNow(alice, 'through a relay that says no')) === 'Queued');
});

test('an expired credential: coturn refuses it and the person is told why; fresh ones connect', async ({ browser, servers }) => {
  // Alice's browser gets a credential that coturn's secret did sign, but for a time already past
  // (as a phone that slept through the credential's hour would hold).
  let rewrite = true;
  const expired = async (page: Page) => {
    await page.routeWebSocket(/\/ws$/, (socket) => {
      const server = socket.connectToServer();
      socket.onMessage((message) => server.send(message));
      server.onMessage((message) => {
        const frame = JSON.parse(String(message)) as { type: string; iceServers?: Array<{ username?: string; credential?: string }> };
        if (rewrite && (frame.type === 'welcome' || frame.type === 'ice-servers')) {
          for (const server of frame.iceServers ?? []) {
            if (!server.username) continue;
            server.username = `${Math.floor(Date.now() / 1000) - 60}:${server.username.split(':')[1]}`;
            server.credential = createHmac('sha1', SECRET).update(server.username).digest('base64');
          }
        }
        socket.send(JSON.stringify(frame));
      });
    });
  };
  const [alice, bob] = await relayedPair(browser, servers.url, expired);
  await expect(alice.page.getByRole('alert')).toContainText('The TURN relay could not be used: it refused the credentials', { timeout: 20_000 });
  await send(alice, 'held back until the relay lets me in');
  // Through coturn, once it lets a credential in, the chat connects in well under this hold here (as after the reload below).
  await holds('the message waits', async () => (await statusNow(alice, 'held back until the relay lets me in')) === 'Queued');

  // With fresh credentials (a reload, no longer rewritten), the same relay carries the chat and a call.
  rewrite = false;
  await alice.page.reload();
  await expect(statusOf(alice, 'held back until the relay lets me in')).toHaveAccessibleName(/Delivered|Read/, { timeout: 20_000 });
  await call(bob, 'Audio call');
  await alice.page.getByRole('button', { name: 'Accept' }).click();
  expect(await pathShown(bob, 'Alice')).toEqual(['Relay (TURN)', 'relay', 'relay']);
});

test('someone Bob has not reached yet learns no address of his: their connection is answered through the relay until he opens their chat, then it is direct', async ({ browser, servers }) => {
  const alice = await newPerson(browser, 'Alice');
  const bob = await newPerson(browser, 'Bob');
  people = [alice, bob];
  const link = await createRoom(alice, servers.url);
  await openRoom(bob, link);
  // Alice writes first; Bob has not opened her chat.
  await openChat(alice, 'Bob');
  await send(alice, 'Hello, stranger');
  await expect(statusOf(alice, 'Hello, stranger')).toHaveAccessibleName('Delivered');
  const badge = (person: Person) => person.page.getByRole('region', { name: 'Conversation' }).getByText(/^(Relay \(TURN\)|Direct \(P2P\))$/);
  await expect(badge(alice)).toHaveText('Relay (TURN)');
  await alice.page.getByRole('button', { name: 'Connection stats' }).click();
  const panel = alice.page.getByRole('dialog', { name: 'Connection stats' });
  const remote = panel.getByRole('term').filter({ hasText: /^Remote candidate$/ }).locator('xpath=following-sibling::dd[1]');
  await expect(remote).toHaveText('relay');
  await panel.getByRole('button', { name: 'Close' }).click();

  // Bob opens Alice's chat: he reaches her now, and the connection becomes direct (after a reload too).
  await openChat(bob, 'Alice');
  await expect(badge(bob)).toHaveText('Direct (P2P)', { timeout: 20_000 });
  await expect(badge(alice)).toHaveText('Direct (P2P)', { timeout: 20_000 });
  await bob.page.reload();
  await expect(personEntry(alice, 'Bob')).toHaveAccessibleName(/^Bob, online/);
  await send(alice, 'After his reload');
  await expect(statusOf(alice, 'After his reload')).toHaveAccessibleName('Delivered');
  await alice.page.getByRole('button', { name: 'Connection stats' }).click();
  // Direct: Bob's own address (host), or as coturn, which is also a STUN server, saw it (srflx, prflx).
  await expect(remote).toHaveText(/^(host|srflx|prflx)$/);
});

test('Relay only while alone in a room says nothing false: the relay comes with the first person to join', async ({ browser, servers }) => {
  const alice = await newPerson(browser, 'Alice');
  const bob = await newPerson(browser, 'Bob');
  people = [alice, bob];
  const link = await createRoom(alice, servers.url);
  // Alone, Alice holds no TURN credentials (no one to relay to): that is no reason to say the server has none.
  await relayOnly(alice);
  await alice.page.reload();
  await expect(alice.page.getByRole('switch', { name: /Relay only/ })).toBeChecked();
  await openRoom(bob, link);
  await openChat(alice, 'Bob');
  await send(alice, 'through the relay, alone no more');
  await expect(statusOf(alice, 'through the relay, alone no more')).toHaveAccessibleName('Delivered');
  await expect(alice.page.getByText('this server offers no TURN relay', { exact: false })).toHaveCount(0);
  await alice.page.getByRole('button', { name: 'Connection stats' }).click();
  const panel = alice.page.getByRole('dialog', { name: 'Connection stats' });
  await expect(panel.getByRole('term').filter({ hasText: /^Local candidate$/ }).locator('xpath=following-sibling::dd[1]')).toHaveText('relay');
});
