/**
 * The cross-browser suite: one person in Chromium (Playwright), the other in
 * Firefox ESR (puppeteer-core over WebDriver BiDi), talking through the real
 * signal server in the private network namespace. Everything a pair of people
 * does is done once each way where the direction matters.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { test as base, expect } from './fixtures.js';
import { attachIn, entryIn, FirefoxPerson, launchFirefox, openChatIn, openRoomIn, personEntryIn, savedIn, sendIn, statusIn } from './firefox.js';
import { closeAll, createRoom, messages, messageTexts, newPerson, openChat, personEntry, send, statusOf, type Person } from './people.js';

interface Firefox {
  browser: Browser;
  /** Where Firefox saves what Save hands it. */
  downloads: string;
}

const test = base.extend<object, { firefox: Firefox }>({
  firefox: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const downloads = await mkdtemp(join(tmpdir(), 'whisper-firefox-downloads-'));
      const browser = await launchFirefox(downloads);
      await use({ browser, downloads });
      await browser.close();
      await rm(downloads, { recursive: true, force: true });
    },
    { scope: 'worker' },
  ],
});

let people: Person[] = [];
let foxes: FirefoxPerson[] = [];
test.afterEach(async () => {
  await closeAll(people);
  for (const fox of foxes.splice(0)) {
    const problems = fox.problems.splice(0);
    await fox.close();
    expect(problems, `${fox.name}'s page (Firefox) reported errors`).toEqual([]);
  }
});

/** Alice in Chromium creates a room; Bob opens its link in Firefox. */
async function chromiumAndFirefox(browser: import('@playwright/test').Browser, firefox: Firefox, url: string): Promise<[Person, FirefoxPerson]> {
  const alice = await newPerson(browser, 'Alice');
  people = [alice];
  const bob = await FirefoxPerson.open(firefox.browser, 'Bob');
  foxes = [bob];
  await openRoomIn(bob, await createRoom(alice, url));
  return [alice, bob];
}

test('Chromium and Firefox: presence, chat both ways with receipts to Read, and history after a reload on each side', async ({ browser, firefox, app }) => {
  const [alice, bob] = await chromiumAndFirefox(browser, firefox, app.url);
  await expect(personEntry(alice, 'Bob')).toHaveAccessibleName('Bob, online');
  expect(await bob.accessibleName(await personEntryIn(bob, 'Alice'))).toBe('Alice, online');

  await openChat(alice, 'Bob');
  await send(alice, 'Hello Firefox');
  await expect(statusOf(alice, 'Hello Firefox')).toHaveAccessibleName('Delivered');
  await openChatIn(bob, 'Alice');
  await entryIn(bob, 'Hello Firefox');
  await expect(statusOf(alice, 'Hello Firefox')).toHaveAccessibleName('Read');

  await sendIn(bob, 'Hello Chromium');
  await expect(messages(alice).getByText('Hello Chromium')).toBeVisible();
  await statusIn(bob, 'Hello Chromium', 'Read');

  await bob.page.reload();
  await openChatIn(bob, 'Alice');
  const list = await bob.find('list', 'Messages');
  await bob.waitForText(list, /Hello Firefox.*Hello Chromium/);
  expect(await bob.count('listitem', undefined, { within: list })).toBe(2);
  await statusIn(bob, 'Hello Chromium', 'Read');
  await alice.page.reload();
  await openChat(alice, 'Bob');
  await expect(messageTexts(alice)).toHaveText(['Hello Firefox', 'Hello Chromium']);

  // After both reloads they reconnect, and a new message goes each way.
  await sendIn(bob, 'Still here');
  await expect(messages(alice).getByText('Still here')).toBeVisible();
  await send(alice, 'Me too');
  await entryIn(bob, 'Me too');
  await statusIn(bob, 'Still here', 'Read');
});
