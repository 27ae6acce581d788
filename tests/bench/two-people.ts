/**
 * What the browser benchmarks share: Alice and Bob, each in a fresh Chromium
 * context (their own device) or in pages given, in one new room on the given
 * app, with each other's chat open.
 */
import type { Browser, Page } from 'playwright-core';

/** Polls `read` until it gives a value (the polling decides nothing timed: the stamps are taken where things happen). */
export async function until<T>(read: () => Promise<T | null>, what: string, timeoutMs = 30_000): Promise<T> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; ) {
    const value = await read();
    if (value !== null) return value;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`${what} did not happen in ${timeoutMs / 1000} s`);
}

export async function joinAs(page: Page, url: string, name: string): Promise<void> {
  await page.goto(url);
  await page.getByRole('textbox', { name: 'Your name' }).fill(name);
  await page.getByRole('button', { name: 'Join' }).click();
}

/** Alice creates a room at `appUrl`, Bob opens its link; `chats` opens each other's conversation (Alice's, or both). */
export async function twoPeople(browser: Browser, appUrl: string, chats: 'alice' | 'both'): Promise<{ alice: Page; bob: Page }> {
  return meet(await (await browser.newContext()).newPage(), await (await browser.newContext()).newPage(), appUrl, chats);
}

/**
 * As `twoPeople`, in the pages given: each in a browser context of its own, or in one context with Bob at
 * `bobOrigin` (another origin of the same app, so another device: its own storage).
 */
export async function meet(alice: Page, bob: Page, appUrl: string, chats: 'alice' | 'both', bobOrigin?: string): Promise<{ alice: Page; bob: Page }> {
  await joinAs(alice, appUrl, 'Alice');
  await alice.getByRole('button', { name: 'New room' }).click();
  await alice.waitForURL(/\/r\//);
  const link = new URL(alice.url());
  await joinAs(bob, bobOrigin ? new URL(link.pathname, bobOrigin).href : link.href, 'Bob');
  await alice.getByRole('list', { name: 'People' }).getByRole('button', { name: /^Bob, / }).click();
  if (chats === 'both') await bob.getByRole('list', { name: 'People' }).getByRole('button', { name: /^Alice, / }).click();
  return { alice, bob };
}
