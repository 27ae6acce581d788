/**
 * A browser without WebRTC (Chromium with RTCPeerConnection removed before the
 * app's first script runs, as in builds that lack it): the app still opens,
 * joins the room and lists who is there, says what works and what does not,
 * offers no control that needs a connection, and never tries to make one (it
 * would throw: the constructor is gone, and page errors fail the test).
 * axe-core checks each screen with the notice.
 */
import type { Page } from '@playwright/test';
import { axeViolations } from './axe.js';
import { expect, test } from './fixtures.js';
import { closeAll, createRoom, IPHONE_SAFARI, messages, newPerson, openChat, openRoom, personEntry, send, statusOf, type Person } from './people.js';

let people: Person[] = [];
test.afterEach(() => closeAll(people));

const NOTICE = 'This browser cannot connect to people directly';

async function removeWebRTC(page: Page): Promise<void> {
  await page.addInitScript(() => {
    delete (window as { RTCPeerConnection?: unknown }).RTCPeerConnection;
  });
}

/** Resolves when the server relays a connection offer to the page (the app's WebSocket must not be open yet). */
function offerReceived(page: Page): Promise<void> {
  return new Promise((resolve) => {
    page.on('websocket', (socket) =>
      socket.on('framereceived', ({ payload }) => {
        if (String(payload).includes('"type":"signal"') && String(payload).includes('"type":"offer"')) resolve();
      }),
    );
  });
}

test('without WebRTC, the app explains what works and what does not, lists who is in the room, and never tries to connect', async ({ browser, app }) => {
  const alice = await newPerson(browser, 'Alice');
  const bob = await newPerson(browser, 'Bob');
  people = [alice, bob];
  await removeWebRTC(bob.page);
  const offerToBob = offerReceived(bob.page);

  await bob.page.goto(app.url);
  const notice = bob.page.getByRole('region', { name: NOTICE });
  await expect(notice).toBeVisible();
  await expect(bob.page.getByRole('textbox', { name: 'Your name' })).toBeVisible();
  await expect(notice).toContainText('Here you can open rooms, see who is in them and read the history kept on this device, but not send anything.');
  await expect(notice).toContainText('Whisper sends messages, files and calls straight from one device to another over WebRTC, which this browser does not have.');
  await expect(notice).toContainText('To talk with people, open Whisper in a current Chrome, Firefox, Safari or Edge.');
  const found = await axeViolations(bob, 'no-WebRTC notice, name form');

  const link = await createRoom(alice, app.url);
  await openRoom(bob, link);
  await expect(notice).toBeVisible();
  await expect(personEntry(bob, 'Alice')).toHaveAccessibleName('Alice, online');
  await expect(personEntry(alice, 'Bob')).toHaveAccessibleName('Bob, online');
  await expect(alice.page.getByRole('region', { name: NOTICE })).toHaveCount(0);
  // The settings of connections are there only where connections can be made.
  await expect(alice.page.getByRole('switch', { name: /^Relay only/ })).toBeVisible();
  await expect(bob.page.getByRole('switch', { name: /^Relay only/ })).toHaveCount(0);
  found.push(...(await axeViolations(bob, 'no-WebRTC notice, room')));

  // Alice writes to Bob: her app offers him a connection, which his must leave unanswered.
  await openChat(alice, 'Bob');
  await send(alice, 'Hello Bob');
  await offerToBob;
  // A task of Bob's page after the one that received the offer: had it tried to connect, it has thrown.
  await bob.page.evaluate(() => undefined);
  await expect(statusOf(alice, 'Hello Bob')).toHaveAccessibleName('Queued');
  // Bob's app answers that it has no WebRTC: Alice's stops trying, and says why.
  await expect(alice.page.getByText('No WebRTC there')).toBeVisible();
  await expect(alice.page.getByRole('note')).toHaveText(
    'Bob’s browser cannot connect directly: it has no WebRTC, so nothing can reach Bob there. In a current Chrome, Firefox, Safari or Edge, Bob can join this room as a new device.',
  );
  found.push(...(await axeViolations(alice, 'a person without WebRTC')));

  await openChat(bob, 'Alice');
  await expect(messages(bob)).toContainText('No messages on this device.');
  for (const control of ['Attach file', 'Send', 'Audio call', 'Video call', 'Ping', 'Connection stats']) {
    await expect(bob.page.getByRole('button', { name: control }), control).toHaveCount(0);
  }
  await expect(bob.page.getByRole('textbox', { name: 'Message' })).toHaveCount(0);
  await expect(bob.page.getByRole('note')).toHaveText(
    'Messages, files and calls to Alice cannot be sent from this browser: they need WebRTC, which it does not have. Open this room in a current Chrome, Firefox, Safari or Edge to talk with Alice.',
  );
  found.push(...(await axeViolations(bob, 'no-WebRTC conversation')));

  await bob.page.reload();
  await expect(notice).toBeVisible();
  await expect(personEntry(bob, 'Alice')).toHaveAccessibleName('Alice, online');
  expect(found).toEqual([]);
});

test('Chromium saying it is an iPhone’s Safari with neither IndexedDB nor WebRTC (what Lockdown Mode turns off, removed by the test): Whisper names Lockdown Mode and the per-site way out', async ({ browser, app }) => {
  const context = await browser.newContext({ userAgent: IPHONE_SAFARI, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  try {
    await page.addInitScript(() => {
      delete (window as { RTCPeerConnection?: unknown }).RTCPeerConnection;
      delete (window as { indexedDB?: unknown }).indexedDB;
    });
    await page.goto(app.url);
    await expect(page.getByRole('heading', { name: 'Whisper cannot start' })).toBeVisible();
    await expect(page.getByRole('alert')).toContainText('Lockdown Mode seems to be on for this device');
    await expect(page.getByRole('alert')).toContainText('turn Lockdown Mode off for this website');
  } finally {
    await context.close();
  }
});
