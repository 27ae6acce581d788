/**
 * Whisper as self-hosted: through Caddy's HTTPS origin (Caddyfile, LAN mode),
 * with TURN from coturn (turnserver.conf), as docker-compose.yml wires them
 * (tests/e2e/topology-fixtures.ts).
 */
import type { Locator } from '@playwright/test';
import { CONTENT_SECURITY_POLICY, PERMISSIONS_POLICY } from '../../signal/transport/security-headers.js';
import { call, callScreen, expectRemoteVideoPlaying } from './calls.js';
import { closeAll, createRoom, meet, messages, newPerson, openChat, openRoom, send, statusOf, type Person } from './people.js';
import { expect, test } from './topology-fixtures.js';

let people: Person[] = [];
test.afterEach(() => closeAll(people));

/** Turns on "Relay only": this person's connections may use only TURN relay candidates. */
async function relayOnly(person: Person): Promise<void> {
  await person.page.getByRole('switch', { name: /Relay only/ }).check();
  await expect(person.page.getByRole('switch', { name: /Relay only/ })).toBeChecked();
}

/** Opens Connection stats from `scope` and returns the dialog. */
async function openStats(person: Person, scope: Locator = person.page.locator('body')): Promise<Locator> {
  await scope.getByRole('button', { name: 'Connection stats' }).last().click();
  return person.page.getByRole('dialog', { name: 'Connection stats' });
}

/** The value beside `term` in the stats panel. */
function stat(panel: Locator, term: string): Locator {
  return panel.getByRole('term').filter({ hasText: new RegExp(`^${term}$`) }).locator('xpath=following-sibling::dd[1]');
}

test('two people meet and chat through Caddy’s HTTPS origin, in a secure context, under the app’s own CSP with no violation', async ({ browser, deployment }) => {
  const alice = await newPerson(browser, 'Alice');
  const bob = await newPerson(browser, 'Bob');
  people = [alice, bob];
  const documents: Array<{ url: string; headers: Array<{ name: string; value: string }> }> = [];
  alice.page.on('response', async (response) => {
    if (response.request().resourceType() === 'document') documents.push({ url: response.url(), headers: await response.headersArray() });
  });

  const link = await createRoom(alice, deployment.origin);
  expect(link.startsWith(`${deployment.origin}/r/`)).toBe(true);
  await openRoom(bob, link);
  await openChat(alice, 'Bob');
  await send(alice, 'Hello over HTTPS');
  await openChat(bob, 'Alice');
  await expect(messages(bob).getByText('Hello over HTTPS')).toBeVisible();
  await expect(statusOf(alice, 'Hello over HTTPS')).toHaveAccessibleName('Read');
  await send(bob, 'Hi Alice');
  await expect(messages(alice).getByText('Hi Alice')).toBeVisible();

  // What the browser got for the page: the app's policies, each once, and no HSTS on a LAN address.
  expect(documents.length).toBeGreaterThan(0);
  for (const { url, headers } of documents) {
    const named = (name: string) => headers.filter((header) => header.name.toLowerCase() === name).map((header) => header.value);
    expect(named('content-security-policy'), url).toEqual([CONTENT_SECURITY_POLICY]);
    expect(named('permissions-policy'), url).toEqual([PERMISSIONS_POLICY]);
    expect(named('strict-transport-security'), url).toEqual([]);
    expect(named('cache-control'), url).toEqual(['no-cache']);
  }

  // A secure context: the service worker runs (camera and microphone are allowed too).
  const page = await alice.page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    const script = document.querySelector<HTMLScriptElement>('script[type="module"][src]')!.src;
    const headersOf = async (url: string) => {
      const response = await fetch(url, { cache: 'no-store' });
      return { csp: response.headers.get('content-security-policy'), cache: response.headers.get('cache-control') };
    };
    return { secure: window.isSecureContext, worker: registration.active?.scriptURL, sw: await headersOf('/sw.js'), script: { url: script, ...(await headersOf(script)) } };
  });
  expect(page.secure).toBe(true);
  expect(page.worker).toBe(`${deployment.origin}/sw.js`);
  expect(page.sw).toEqual({ csp: CONTENT_SECURITY_POLICY, cache: 'no-cache' });
  expect(page.script.url).toMatch(new RegExp(`^${deployment.origin}/assets/`));
  expect(page.script.cache).toBe('public, max-age=31536000, immutable');
  // closeAll checks that neither page reported a console error or a CSP violation.
});

test('Relay only: the chat goes through coturn, and the badge and Connection stats say Relay (TURN)', async ({ browser, deployment }) => {
  const room = await meet(browser, deployment.origin, 'Alice', 'Bob');
  people = room.people;
  const [alice, bob] = room.people as [Person, Person];
  await relayOnly(alice);
  await openChat(alice, 'Bob');
  await send(alice, 'only through the relay');
  await expect(statusOf(alice, 'only through the relay')).toHaveAccessibleName('Delivered');
  await expect(alice.page.getByText('Relay (TURN)')).toBeVisible();

  const panel = await openStats(alice);
  await expect(stat(panel, 'Path')).toHaveText('Relay (TURN)');
  await expect(stat(panel, 'Local candidate')).toHaveText('relay');
  await expect(stat(panel, 'Protocol')).toHaveText(/^(UDP|TCP)$/);

  await openChat(bob, 'Alice');
  await expect(messages(bob).getByText('only through the relay')).toBeVisible();
  await expect(bob.page.getByText('Relay (TURN)')).toBeVisible();
});

test('a video call forced through coturn: both videos play, and Connection stats shows Relay (TURN)', async ({ browser, deployment }) => {
  const room = await meet(browser, deployment.origin, 'Alice', 'Bob');
  people = room.people;
  const [alice, bob] = room.people as [Person, Person];
  await relayOnly(alice);
  await relayOnly(bob);
  await openChat(alice, 'Bob');
  await openChat(bob, 'Alice');

  await call(alice, 'Video call');
  await bob.page.getByRole('button', { name: 'Accept' }).click();
  await expectRemoteVideoPlaying(alice, 'Bob');
  await expectRemoteVideoPlaying(bob, 'Alice');

  const panel = await openStats(alice, callScreen(alice, 'Bob'));
  await expect(stat(panel, 'Path')).toHaveText('Relay (TURN)');
  await expect(stat(panel, 'Local candidate')).toHaveText('relay');
  await expect(stat(panel, 'Remote candidate')).toHaveText('relay');
  const media = panel.getByRole('table', { name: 'Call media' });
  await expect(media.getByRole('columnheader')).toHaveText(['Sending video', 'Sending audio', 'Receiving video', 'Receiving audio'], { timeout: 15_000 });
  await expect(media.getByRole('row', { name: /^Resolution/ }).getByRole('cell').nth(2)).toHaveText(/^\d+×\d+$/);
  await panel.getByRole('button', { name: 'Close' }).click();
  await alice.page.getByRole('button', { name: 'Hang up' }).click();
  await expect(callScreen(bob, 'Alice')).toBeHidden();
});
