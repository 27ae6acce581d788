/**
 * Installing Whisper. Chromium's own installability check (a persistent
 * profile: an incognito one is never installable); the Install button, fed
 * a `beforeinstallprompt` the test makes as Chromium gives it (headless
 * Chromium never offers installing by itself), with a stand-in `prompt()`;
 * and the "Add to Home Screen" guide that an iPhone's Safari gets instead,
 * here in Chromium that says it is one (its user agent, a phone's screen and
 * touch). The same guide in a WebKit saying so is in webkit.spec.ts.
 */
import { chromium, type Browser, type Page } from '@playwright/test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_CHROMIUM_ARGS } from './playwright.config.js';
import { expect, test, watchContext } from './fixtures.js';
import { closeAll, createRoom, IPHONE_SAFARI, newPerson, type Person } from './people.js';

let people: Person[] = [];
test.afterEach(() => closeAll(people));

/** What Chromium hands a page that may be installed: `prompt()` shows its dialog, `userChoice` says what the person chose. */
async function offerInstall(page: Page, outcome: 'accepted' | 'dismissed'): Promise<void> {
  await page.evaluate((choice) => {
    const event = Object.assign(new Event('beforeinstallprompt', { cancelable: true }), {
      prompt: async () => {
        (window as unknown as { prompted: number }).prompted = ((window as unknown as { prompted?: number }).prompted ?? 0) + 1;
      },
      userChoice: Promise.resolve({ outcome: choice }),
    });
    window.dispatchEvent(event);
  }, outcome);
}

/** Alice, in Chromium that says it is Safari on an iPhone (its user agent, an iPhone's screen, touch). */
async function aliceInChromiumAsAnIPhone(browser: Browser): Promise<Person> {
  const context = await browser.newContext({ userAgent: IPHONE_SAFARI, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const problems = watchContext(context);
  const alice: Person = { name: 'Alice', context, page: await context.newPage(), problems };
  people = [alice];
  return alice;
}

/** What Safari 17 on a Mac says it is. */
const MAC_SAFARI_17 = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15';

const prompted = (page: Page) => page.evaluate(() => (window as unknown as { prompted?: number }).prompted ?? 0);

test('Chromium finds Whisper installable: no installability error, in a persistent profile', async ({ app }) => {
  const profile = await mkdtemp(join(tmpdir(), 'whisper-install-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: TEST_CHROMIUM_ARGS });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(app.url);
    await page.evaluate(() => navigator.serviceWorker.ready);
    const cdp = await context.newCDPSession(page);
    const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as { installabilityErrors: unknown[] };
    expect(installabilityErrors).toEqual([]);
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  }
});

test('the Install button (a beforeinstallprompt made by the test, its prompt() a stand-in): offered when the browser offers it, on the home screen and in the room, prompts, and goes once installed', async ({ browser, app }) => {
  const alice = await newPerson(browser, 'Alice');
  people = [alice];
  const { page } = alice;
  await page.goto(app.url);
  await page.getByRole('textbox', { name: 'Your name' }).fill('Alice');
  await page.getByRole('button', { name: 'Join' }).click();
  await expect(page.getByRole('button', { name: 'New room' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Install' })).toHaveCount(0);

  // The person says no: the offer is used up, and the button goes until the browser offers again.
  await offerInstall(page, 'dismissed');
  await page.getByRole('button', { name: 'Install' }).click();
  expect(await prompted(page)).toBe(1);
  await expect(page.getByRole('button', { name: 'Install' })).toHaveCount(0);

  // In a room it sits in the header, beside Share.
  await page.getByRole('button', { name: 'New room' }).click();
  await expect(page.getByRole('button', { name: 'Share' })).toBeVisible();
  await offerInstall(page, 'accepted');
  await page.getByRole('button', { name: 'Install' }).click();
  expect(await prompted(page)).toBe(2);
  await expect(page.getByRole('button', { name: 'Install' })).toHaveCount(0);

  // Installed from the browser's own menu instead: the button goes too.
  await page.reload();
  await expect(page.getByRole('button', { name: 'Share' })).toBeVisible();
  await offerInstall(page, 'accepted');
  await expect(page.getByRole('button', { name: 'Install' })).toBeVisible();
  await page.evaluate(() => window.dispatchEvent(new Event('appinstalled')));
  await expect(page.getByRole('button', { name: 'Install' })).toHaveCount(0);
});

test('Chromium saying it is an iPhone’s Safari (its user agent): an “Add to Home Screen” guide instead, which says calls ring only from there, until dismissed', async ({ browser, app }) => {
  const alice = await aliceInChromiumAsAnIPhone(browser);
  await createRoom(alice, app.url);
  const guide = alice.page.getByRole('region', { name: 'Add Whisper to your Home Screen' });
  await expect(guide).toContainText('tap Share, then Add to Home Screen');
  await expect(guide).toContainText('Calls ring only in Whisper opened from the Home Screen.');
  await expect(alice.page.getByRole('button', { name: 'Install' })).toHaveCount(0);
  await guide.getByRole('button', { name: 'Got it' }).click();
  await expect(guide).toHaveCount(0);
  await alice.page.reload();
  await expect(alice.page.getByRole('button', { name: 'Share' })).toBeVisible();
  await expect(guide).toHaveCount(0);

  // What Safari reads when the app is added: the full-screen web-app tags, its title, and a 180 px icon that loads.
  const meta = (name: string) => alice.page.locator(`meta[name="${name}"]`).getAttribute('content');
  expect(await meta('apple-mobile-web-app-capable')).toBe('yes');
  expect(await meta('mobile-web-app-capable')).toBe('yes');
  expect(await meta('apple-mobile-web-app-status-bar-style')).toBe('black-translucent');
  expect(await meta('apple-mobile-web-app-title')).toBe('Whisper');
  expect(await alice.page.locator('meta[name="viewport"]').getAttribute('content')).toContain('viewport-fit=cover');
  const icon = await alice.page.locator('link[rel="apple-touch-icon"]').getAttribute('href');
  const size = await alice.page.evaluate(async (src) => {
    const image = new Image();
    image.src = src;
    await image.decode();
    return [image.naturalWidth, image.naturalHeight];
  }, icon!);
  expect(size).toEqual([180, 180]);
});

test('Chromium saying it is an iPhone’s Safari, its storage not persisted (Chromium’s own answer to persisted(), which is Safari’s in a tab): a notice says Safari deletes the data after 7 days and how to keep it, and stays on the home view once the guide, which says the Home Screen app starts afresh, is dismissed (rooms give the space back); none where the storage is persisted', async ({ browser, app }) => {
  const alice = await aliceInChromiumAsAnIPhone(browser);
  await createRoom(alice, app.url);
  expect(await alice.page.evaluate(() => navigator.storage.persisted())).toBe(false);
  const notice = alice.page.getByRole('region', { name: 'Whisper’s data on this device' });
  await expect(notice).toContainText('Safari deletes Whisper’s data on this device after 7 days without a visit');
  await expect(notice).toContainText('Add Whisper to your Home Screen to keep them.');
  const guide = alice.page.getByRole('region', { name: 'Add Whisper to your Home Screen' });
  await expect(guide).toContainText('It starts afresh there, as a new device with an empty history: join your rooms again with “Join with a link or QR code”');
  await guide.getByRole('button', { name: 'Got it' }).click();
  await expect(guide).toHaveCount(0);
  // Rooms keep their space once it was read; the home view keeps saying it.
  await expect(notice).toHaveCount(0);
  await alice.page.goto(app.url);
  await expect(alice.page.getByRole('button', { name: 'New room' })).toBeVisible();
  await expect(notice).toBeVisible();

  // Where the browser says it keeps the data (persisted() answering true, set by the test), nothing is said.
  await alice.context.addInitScript(() => Object.defineProperty(navigator.storage, 'persisted', { value: async () => true }));
  await alice.page.reload();
  await expect(alice.page.getByRole('button', { name: 'New room' })).toBeVisible();
  await expect(alice.page.getByRole('form', { name: 'Join with a link or QR code' })).toBeVisible();
  await expect(notice).toHaveCount(0);
});

test('Chromium saying it is a Mac’s Safari 17 (its user agent): an “Add to Dock” guide, and the notice that Safari deletes the data after 7 days says the Dock keeps it', async ({ browser, app }) => {
  const context = await browser.newContext({ userAgent: MAC_SAFARI_17 });
  const alice: Person = { name: 'Alice', context, page: await context.newPage(), problems: watchContext(context) };
  people = [alice];
  await createRoom(alice, app.url);
  const guide = alice.page.getByRole('region', { name: 'Add Whisper to your Dock' });
  await expect(guide).toContainText('choose File, then Add to Dock');
  await expect(alice.page.getByRole('region', { name: 'Add Whisper to your Home Screen' })).toHaveCount(0);
  await expect(alice.page.getByRole('region', { name: 'Whisper’s data on this device' })).toContainText('Add Whisper to your Dock to keep them.');
  await guide.getByRole('button', { name: 'Got it' }).click();
  await expect(guide).toHaveCount(0);
});

test('Chromium saying it is an iPhone’s Safari, its display-mode made standalone (as opened from the home screen): neither the button nor the guide', async ({ browser, app }) => {
  const alice = await aliceInChromiumAsAnIPhone(browser);
  // What an app opened from the home screen reports: a stand-in for matchMedia's answer.
  await alice.context.addInitScript(() => {
    const matchMedia = window.matchMedia.bind(window);
    window.matchMedia = (query: string) => (query === '(display-mode: standalone)' ? ({ ...matchMedia(query), matches: true, media: query, addEventListener: () => undefined } as unknown as MediaQueryList) : matchMedia(query));
  });
  await createRoom(alice, app.url);
  await offerInstall(alice.page, 'accepted');
  await expect(alice.page.getByRole('button', { name: 'Share' })).toBeVisible();
  await expect(alice.page.getByRole('region', { name: 'Add Whisper to your Home Screen' })).toHaveCount(0);
  await expect(alice.page.getByRole('region', { name: 'Whisper’s data on this device' })).toHaveCount(0);
  await expect(alice.page.getByRole('button', { name: 'Install' })).toHaveCount(0);
});
