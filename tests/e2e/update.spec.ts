import { appendFile, cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchSignal, type SignalProcess } from '../support/signal-process.js';
import { expect, test } from './fixtures.js';

const DIST = join(import.meta.dirname, '../../dist');

let release: string;
let signal: SignalProcess;
test.beforeEach(async () => {
  release = await mkdtemp(join(tmpdir(), 'whisper-release-'));
  await cp(DIST, release, { recursive: true });
  signal = launchSignal({ STATIC_DIR: release });
});
test.afterEach(async () => {
  await signal.stop();
  await rm(release, { recursive: true, force: true });
});

test('a new build is offered with an Update prompt, and only applied when the person says so', async ({ page }) => {
  const port = await signal.listening;
  await page.goto(`http://localhost:${port}/`);
  await page.getByRole('textbox', { name: 'Your name' }).fill('Ada');
  await page.getByRole('button', { name: 'Join' }).click();
  await page.evaluate(async () => navigator.serviceWorker.ready);
  await expect(page.getByRole('button', { name: 'Update' })).toBeHidden();

  // Deploy the next release: a changed service worker, served after SIGHUP without a restart.
  await appendFile(join(release, 'sw.js'), '\n// next release\n');
  for (const compressed of ['sw.js.br', 'sw.js.gz']) await rm(join(release, compressed), { force: true });
  signal.child.kill('SIGHUP');
  await expect.poll(async () => (await (await fetch(`http://localhost:${port}/sw.js`)).text()).includes('next release')).toBe(true);

  await page.evaluate(() => {
    (window as unknown as { marker: boolean }).marker = true;
  });
  // The app checks for a new version when it comes back into view and every hour; here, at once.
  await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.update());
  const prompt = page.getByRole('region', { name: 'New version' });
  await expect(prompt).toBeVisible();
  await expect(prompt).toContainText('A new version of Whisper is ready.');
  // Nothing happens by itself: the new worker waits for the person (installed, not activated, so it can neither
  // take over nor reload anything), and the page is still the same page.
  expect(await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.waiting?.state)).toBe('installed');
  expect(await page.evaluate(() => (window as unknown as { marker?: boolean }).marker)).toBe(true);

  const reloaded = page.waitForEvent('load');
  await prompt.getByRole('button', { name: 'Update' }).click();
  await reloaded;
  expect(await page.evaluate(() => (window as unknown as { marker?: boolean }).marker ?? false)).toBe(false);
  await expect(page.getByRole('button', { name: 'New room' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'New version' })).toBeHidden();
});
