/**
 * The WebKit suite: Debian's WebKitGTK (MiniBrowser over WebDriver, see
 * webkit.ts), a browser without WebRTC, against the real signal server; the
 * other person, where there is one, in Chromium. What a person can do there:
 * open the app, pick a name, open a room and see who is in it, find it all
 * again after a reload, use the app as installed (service worker), on a phone's
 * width, and read why messages, files and calls are not offered.
 */
import { join } from 'node:path';
import { startMitmRelay, type FirstScript } from '../support/mitm-relay.js';
import { launchSignal } from '../support/signal-process.js';
import { test as base, expect } from './fixtures.js';
import { closeAll, createRoom, holds, IPHONE_SAFARI, newPerson, openChat, personEntry, send, statusNow, type Person } from './people.js';
import { ERROR_RECORDER, openChatIn, openRoomIn, reportHang, waitForEntryIn, WebKitHang, WebKitPerson, withReplacement } from './webkit.js';

const RECORDER: FirstScript = { path: '/wh-error-recorder.js', source: ERROR_RECORDER };

/** `front`: the app as the worker's signal process serves it, each page loading the error recorder first (see webkit.ts). */
const test = base.extend<object, { front: string }>({
  front: [
    async ({ app }, use) => {
      const front = await startMitmRelay(app.url, '', {}, RECORDER);
      await use(front.url);
      await front.close();
    },
    { scope: 'worker' },
  ],
});

const NOTICE = 'This browser cannot connect to people directly';

let people: Person[] = [];
let kits: WebKitPerson[] = [];
test.afterEach(async ({}, testInfo) => {
  // What WebKitWebDriver and MiniBrowser said, beside a failure (a hang leaves nothing else to read).
  if (testInfo.status !== testInfo.expectedStatus) {
    for (const kit of kits) await testInfo.attach(`webkitwebdriver-output-${kit.name}`, { body: kit.output(), contentType: 'text/plain' });
  }
  await closeAll(people);
  for (const kit of kits.splice(0)) {
    // The steps are done: a browser that hangs while quitting is ended, and said so, without failing them.
    await kit.close().catch(async (error: unknown) => {
      if (!(error instanceof WebKitHang)) throw error;
      await reportHang(testInfo, error, 'while closing, after the steps: its processes were ended');
    });
    expect(kit.problems, `${kit.name}'s page (WebKit) reported errors`).toEqual([]);
  }
});

/** `steps` done by a WebKit person named `name`; if their browser hangs, by a new one, once (see `withReplacement`). */
function asWebKitPerson<T>(name: string, steps: (person: WebKitPerson) => Promise<T>, options?: Parameters<typeof WebKitPerson.open>[1]): Promise<T> {
  const open = async () => {
    const person = await WebKitPerson.open(name, options);
    kits.push(person);
    return person;
  };
  return withReplacement(test.info(), open, steps);
}

/** The person gives their name where the app asks, and is on the home view. */
async function nameAs(person: WebKitPerson): Promise<void> {
  await person.fill('textbox', 'Your name', person.name);
  await person.click('button', 'Join');
  await person.find('button', 'New room');
}

/** The person opens the app at `front` for the first time, gives their name, and is on the home view. */
async function homeAs(person: WebKitPerson, front: string): Promise<void> {
  await person.goto(front);
  await nameAs(person);
}

/** How wide the page is laid out, against the width of the window. */
function widths(person: WebKitPerson) {
  return person.run<{ scroll: number; client: number; window: number }>(
    'return { scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth, window: innerWidth };',
  );
}

/** Where the element is on screen. */
function box(person: WebKitPerson, element: import('selenium-webdriver').WebElement) {
  return person.run<{ left: number; right: number; top: number; bottom: number }>(
    'const r = arguments[0].getBoundingClientRect(); return { left: r.left, right: r.right, top: r.top, bottom: r.bottom };',
    element,
  );
}

test('WebKit: the shell loads with no uncaught error', async ({ front }) => {
  await asWebKitPerson('Bob', async (bob) => {
    await bob.goto(front);
    await bob.find('heading', 'Whisper');
    await bob.find('textbox', 'Your name');
    await bob.find('button', 'Join');
    expect(await bob.count('heading', 'Whisper cannot start')).toBe(0);
    // What the page recorded from its first script on.
    await bob.collectErrors();
    expect(bob.problems).toEqual([]);
  });
});

test('WebKit: without WebRTC, the name, home and room screens say what works and what does not, and offer nothing that needs a connection', async ({ front }) => {
  await asWebKitPerson('Bob', async (bob) => {
    await bob.goto(front);
    // The premise: this WebKit has no WebRTC at all.
    expect(await bob.run('return typeof RTCPeerConnection;')).toBe('undefined');

    const notice = await bob.find('region', NOTICE);
    expect(await bob.text(notice)).toBe(
      `${NOTICE} Whisper sends messages, files and calls straight from one device to another over WebRTC, which this browser does not have. ` +
        'Here you can open rooms, see who is in them and read the history kept on this device, but not send anything. ' +
        'To talk with people, open Whisper in a current Chrome, Firefox, Safari or Edge.',
    );
    await nameAs(bob);
    const onHome = await bob.find('region', NOTICE);
    expect((await box(bob, onHome)).top).toBeGreaterThanOrEqual(0);

    await bob.click('button', 'New room');
    await bob.find('button', 'Share');
    const inRoom = await bob.find('region', NOTICE);
    const { bottom } = await box(bob, inRoom);
    expect(bottom, 'the explanation is on screen without scrolling').toBeLessThanOrEqual(await bob.run<number>('return innerHeight;'));
    expect(await bob.count('switch', /^Relay only/)).toBe(0);
    expect(await bob.count('switch', /^Notify me when I’m away/)).toBe(0);
  });
});

test('WebKit: started at its start address after a tap on a call’s notification (the room the worker writes down, written by the test as the worker writes it), the app goes to that room, once', async ({ front }) => {
  await asWebKitPerson('Bob', async (bob) => {
    await homeAs(bob, front);
    const room = 'Zm9vYmFyYmF6cXV4MTIzNA';
    await bob.run(
      `const request = indexedDB.open('whisper');
       request.onsuccess = () => {
         const tx = request.result.transaction('settings', 'readwrite');
         tx.objectStore('settings').put({ room: arguments[0], until: Date.now() + 60000 }, 'pendingRoute');
         tx.oncomplete = () => { request.result.close(); window.whWritten = true; };
       };`,
      room,
    );
    await expect.poll(() => bob.run<boolean>('return window.whWritten === true;')).toBe(true);
    await bob.goto(front);
    await bob.find('button', 'Share');
    expect(await bob.run<string>('return location.pathname;')).toBe(`/r/${room}`);
    await bob.goto(front);
    await bob.find('button', 'New room');
    expect(await bob.run<string>('return location.pathname;')).toBe('/');
  });
});

test('WebKit told it is an iPhone’s Safari (its user agent): the guide says the Home Screen app starts afresh, and the notice that Safari deletes the data shows exactly where WebKit’s own storage says it is not kept', async ({ front }) => {
  await asWebKitPerson(
    'Bob',
    async (bob) => {
      await homeAs(bob, front);
      const guide = await bob.find('region', 'Add Whisper to your Home Screen');
      await bob.waitForText(guide, /It starts afresh there, as a new device with an empty history/);
      // WebKit's answer decides: a notice exactly where it says the data is not kept (this WebKitGTK has no
      // StorageManager at all: it says nothing, and nothing is claimed).
      const persisted = await bob.run<boolean | null>('return navigator.storage?.persisted ? navigator.storage.persisted() : null;');
      expect(await bob.count('region', 'Whisper’s data on this device')).toBe(persisted === false ? 1 : 0);
      if (persisted === false) await bob.waitForText(await bob.find('region', 'Whisper’s data on this device'), /Safari deletes Whisper’s data on this device after 7 days without a visit/);
    },
    { userAgent: IPHONE_SAFARI },
  );
});

test('WebKit with Chromium: presence from the signal server both ways, and after a reload the name, the room and the people met come back from IndexedDB', async ({ browser, app, front }) => {
  // Alice is made with Bob: if his browser hangs, a new Bob meets a new Alice in a new room.
  await asWebKitPerson('Bob', async (bob) => {
    const alice = await newPerson(browser, 'Alice');
    people.push(alice);
    // Bob opens the same room through the front, on the same signal process.
    const link = (await createRoom(alice, app.url)).replace(app.url, front);
    await openRoomIn(bob, link);
    await waitForEntryIn(bob, 'Alice', 'Alice, online');
    await expect(personEntry(alice, 'Bob')).toHaveAccessibleName('Bob, online');
    // Alice writes: her app offers Bob's a connection, which it leaves unanswered (without an error).
    await openChat(alice, 'Bob');
    await send(alice, 'Hello Bob');

    await openChatIn(bob, 'Alice');
    expect(await bob.text(await bob.find('note'))).toBe(
      'Messages, files and calls to Alice cannot be sent from this browser: they need WebRTC, which it does not have. Open this room in a current Chrome, Firefox, Safari or Edge to talk with Alice.',
    );
    expect(await bob.text(await bob.find('list', 'Messages'))).toBe('No messages on this device.');
    for (const control of ['Attach file', 'Send', 'Audio call', 'Video call', 'Ping', 'Connection stats']) expect(await bob.count('button', control), control).toBe(0);
    expect(await bob.count('textbox', 'Message')).toBe(0);
    // Bob's app has had the room, and Alice's offer, for as long as these steps took: her message still waits.
    await holds('Alice’s message waits', async () => (await statusNow(alice, 'Hello Bob')) === 'Queued');

    // Alice leaves: from now on only Bob's own storage knows her.
    await closeAll(people);
    await waitForEntryIn(bob, 'Alice', 'Alice, offline');
    await bob.reload();
    await bob.find('button', 'Share');
    expect(await bob.count('textbox', 'Your name')).toBe(0);
    await waitForEntryIn(bob, 'Alice', 'Alice, offline');

    await bob.goto(front);
    await bob.find('paragraph', undefined, { hasText: 'Hello, Bob.' });
    const room = new URL(link).pathname.slice('/r/'.length);
    const recent = await bob.find('link', `Room ${room.slice(0, 6)}…`, { within: await bob.find('navigation', 'Recent rooms') });
    expect(await recent.getAttribute('href')).toBe(link);
  });
});

test('WebKit: the service worker installs, precaches the shell, and opens the app while the server is down', async () => {
  await asWebKitPerson('Bob', async (bob) => {
    // A server of its own, stopped halfway (a new one if Bob's browser hangs and he starts again), and a front of
    // its own, which stays.
    const signal = launchSignal({ STATIC_DIR: join(import.meta.dirname, '../../dist') });
    const front = await startMitmRelay(`http://localhost:${await signal.listening}`, '', {}, RECORDER);
    try {
      const url = `${front.url}/`;
      await bob.goto(url);
      await bob.find('textbox', 'Your name');
      const installed = await bob.bounded('read the service worker and its caches', () =>
        bob.driver.executeAsyncScript<{ scope: string; caches: string[]; shell: string[] } | { error: string }>(`
        const done = arguments[arguments.length - 1];
        navigator.serviceWorker.ready.then(async (registration) => {
          const names = await caches.keys();
          const shell = [];
          for (const name of names) for (const request of await (await caches.open(name)).keys()) shell.push(new URL(request.url).pathname);
          done({ scope: registration.scope, caches: names, shell });
        }, (error) => done({ error: String(error) }));`),
      );
      if ('error' in installed) throw new Error(`navigator.serviceWorker.ready failed: ${installed.error}`);
      expect(installed.scope).toBe(url);
      expect(installed.caches).toContainEqual(expect.stringMatching(/^workbox-precache-v2-/));
      expect(installed.shell).toContain('/index.html');
      expect(installed.shell.filter((path) => /^\/assets\/.+\.js$/.test(path)).length).toBeGreaterThan(0);

      await signal.stop();
      await bob.reload();
      await bob.find('textbox', 'Your name');
      await bob.find('region', NOTICE);
      expect(await bob.run('return navigator.serviceWorker.controller !== null;'), 'the page came from the service worker').toBe(true);
    } finally {
      await signal.stop();
      await front.close();
    }
  });
});

test('WebKit: at 390 × 844 the home screen and the room fit the width, the explanation in view', async ({ front }) => {
  await asWebKitPerson(
    'Bob',
    async (bob) => {
      await homeAs(bob, front);
      await bob.openWindow(front, 390, 844);
      expect(await bob.run('return [innerWidth, innerHeight];')).toEqual([390, 844]);

      await bob.find('button', 'New room');
      const home = await widths(bob);
      expect(home.scroll, 'no horizontal scroll on the home screen').toBeLessThanOrEqual(home.client);
      expect((await box(bob, await bob.find('region', NOTICE))).right).toBeLessThanOrEqual(390);

      await bob.click('button', 'New room');
      const share = await bob.find('button', 'Share');
      const room = await widths(bob);
      expect(room.scroll, 'no horizontal scroll in the room').toBeLessThanOrEqual(room.client);
      // The room clips what is wider than the screen rather than scrolling: what matters must be inside.
      for (const element of [share, await bob.find('region', NOTICE), await bob.find('paragraph', undefined, { hasText: 'No one else is here yet' })]) {
        const { left, right, bottom } = await box(bob, element);
        expect(left).toBeGreaterThanOrEqual(0);
        expect(right).toBeLessThanOrEqual(390);
        expect(bottom).toBeLessThanOrEqual(844);
      }
    },
    { windows: true },
  );
});
