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
      // The browser reports the blocked script in an event of its own: waited for, not given 100 ms.
      const reported = new Promise((resolve) => document.addEventListener('securitypolicyviolation', resolve, { once: true }));
      const script = document.createElement('script');
      script.textContent = 'window.__injected = true';
      document.body.append(script);
      await reported;
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

  test('is installable: a complete manifest with icons, a maskable icon and screenshots that all load', async ({ page, app }) => {
    await page.goto(app.url);
    const href = await page.locator('link[rel="manifest"]').getAttribute('href');
    expect(href).toBeTruthy();
    const manifestUrl = new URL(href!, app.url).href;
    const response = await page.request.get(manifestUrl);
    expect(response.headers()['content-type']).toBe('application/manifest+json');
    const manifest = (await response.json()) as Record<string, unknown> & {
      icons: Array<{ src: string; sizes: string; purpose?: string }>;
      screenshots: Array<{ src: string; sizes: string; form_factor?: string }>;
    };
    expect(manifest).toMatchObject({ name: 'Whisper', short_name: 'Whisper', id: '/', start_url: '/', display: 'standalone' });
    expect(manifest.description).toEqual(expect.any(String));
    expect(manifest.theme_color).toMatch(/^#/);
    expect(manifest.background_color).toMatch(/^#/);
    const sizes = (purpose: string) => manifest.icons.filter((icon) => (icon.purpose ?? 'any') === purpose).map((icon) => icon.sizes);
    expect(sizes('any')).toEqual(expect.arrayContaining(['192x192', '512x512']));
    expect(sizes('maskable').length).toBeGreaterThan(0);
    expect(manifest.screenshots.map((shot) => shot.form_factor).sort()).toEqual(['narrow', 'wide']);
    for (const image of [...manifest.icons, ...manifest.screenshots]) {
      const file = await page.request.get(new URL(image.src, manifestUrl).href);
      expect(file.status(), image.src).toBe(200);
      expect(file.headers()['content-type']).toBe('image/png');
      const bytes = await file.body();
      const [width, height] = image.sizes.split('x').map(Number);
      expect([bytes.readUInt32BE(16), bytes.readUInt32BE(20)], image.src).toEqual([width, height]);
    }
  });
});
