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
  /** Console errors, page errors and CSP violations seen by the test's page; checked empty after each test. */
  problems: [
    async ({ page }, use) => {
      const problems = watchForProblems(page);
      await use(problems);
      expect(problems, 'the page reported errors').toEqual([]);
    },
    { auto: true },
  ],
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
