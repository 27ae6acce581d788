import { expect, test } from './fixtures.js';

test.describe('app shell served by the signal process', () => {
  test('loads under the strict CSP with no violations and registers its service worker', async ({ page, app, problems }) => {
    const response = await page.goto(app.url);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await expect(page.getByRole('heading', { name: 'Whisper' })).toBeVisible();
    const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
    expect(scope).toBe(`${app.url}/`);
    expect(problems).toEqual([]);
  });

  test('blocks an injected inline script, as the CSP promises', async ({ page, app, problems }) => {
    await page.goto(app.url);
    const ran = await page.evaluate(async () => {
      const script = document.createElement('script');
      script.textContent = 'window.__injected = true';
      document.body.append(script);
      await new Promise((resolve) => setTimeout(resolve, 100));
      return (window as unknown as { __injected?: boolean }).__injected === true;
    });
    expect(ran).toBe(false);
    expect(problems.splice(0)).toContainEqual(expect.stringContaining('CSP violation: script-src-elem blocked inline'));
  });

  test('opens a room link as an app route', async ({ page, app }) => {
    const response = await page.goto(`${app.url}/r/Zm9vYmFyYmF6cXV4MTIzNA`);
    expect(response?.status()).toBe(200);
    await expect(page.getByRole('heading', { name: 'Whisper' })).toBeVisible();
  });

  test('reloads offline from the precache', async ({ page, app, context }) => {
    await page.goto(app.url);
    await page.evaluate(async () => navigator.serviceWorker.ready);
    await expect.poll(() => page.evaluate(async () => (await caches.keys()).length)).toBeGreaterThan(0);
    // The first load is not controlled yet; reload so that the worker serves the page.
    await page.reload();
    await context.setOffline(true);
    await page.reload();
    await expect(page.getByRole('heading', { name: 'Whisper' })).toBeVisible();
    await context.setOffline(false);
  });
});
