/**
 * Playwright fixtures: each worker runs its own signal process, serving the
 * built app from dist/ on a free loopback port, and stops it at the end.
 */
import { test as base, expect, type Page } from '@playwright/test';
import { join } from 'node:path';
import { launchSignal } from '../support/signal-process.js';

export interface AppServer {
  url: string;
}

/** The problems seen by each test's own `page`. */
const pageProblems = new WeakMap<Page, string[]>();

export const test = base.extend<{ problems: string[] }, { app: AppServer }>({
  app: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const signal = launchSignal({ STATIC_DIR: join(import.meta.dirname, '../../dist') });
      const port = await signal.listening;
      await use({ url: `http://localhost:${port}` });
      await signal.stop();
    },
    { scope: 'worker' },
  ],
  /**
   * The test's own page, for the tests that use one (most open a context per person instead, so none is
   * made for them): its console errors, page errors and CSP violations are checked empty after the test.
   */
  page: async ({ page }, use) => {
    const problems = watchForProblems(page);
    pageProblems.set(page, problems);
    await use(page);
    expect(problems, 'the page reported errors').toEqual([]);
  },
  /** What the test's page reported so far. */
  problems: async ({ page }, use) => {
    await use(pageProblems.get(page)!);
  },
});

export function watchForProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    // Failed loads are reported with their URL by the response listener below.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  void page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`);
    });
  });
  return problems;
}

export { expect };
