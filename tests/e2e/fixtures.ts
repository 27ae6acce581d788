/**
 * Playwright fixtures: each worker runs its own signal process, serving the
 * built app from dist/ on a free loopback port, and stops it at the end.
 */
import { test as base, expect, type BrowserContext, type Frame, type Page, type Request } from '@playwright/test';
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
   * made for them): what every page of its context reports (see `watchContext`) is checked empty after the test.
   */
  page: async ({ page }, use) => {
    const problems = watchContext(page.context());
    pageProblems.set(page, problems);
    await use(page);
    expect(problems, 'the page reported errors').toEqual([]);
  },
  /** What the test's page (and any other page of its context) reported so far. */
  problems: async ({ page }, use) => {
    await use(pageProblems.get(page)!);
  },
});

/**
 * Records what goes wrong in `target`, from its first script on: console errors, uncaught errors, CSP
 * violations, HTTP errors, and requests that got no answer at all (refused, reset, aborted). A context is
 * watched for every page it opens, reopened ones included, and for its service worker's requests.
 */
function watch(target: Page | BrowserContext): string[] {
  const problems: string[] = [];
  // Both classes emit these events with the same arguments; their listeners are typed per class.
  const on = target.on.bind(target) as Page['on'];
  on('console', (message) => {
    // Failed loads are reported with their URL by the response and requestfailed listeners below.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(`console: ${message.text()}`);
  });
  if ('newPage' in target) target.on('weberror', (error) => problems.push(`page error: ${error.error().message}`));
  else target.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  // A request the page's own navigation cut (a reload, a goto: the document that asked for it is gone, as the
  // favicon a reload cancels) is no failure; one aborted while its document stayed (the app's own abort) is.
  // A request asked for while a navigation of its frame is on its way may be the leaving document's (it asked
  // between the navigation's start and the new document's arrival): cut with it, it is no failure either.
  const navigations = new WeakMap<Frame, number>();
  const navigating = new WeakMap<Frame, Request>();
  const issuedAt = new WeakMap<Request, { navigation: number; duringOne: boolean }>();
  on('request', (request) => {
    const frame = frameOf(request);
    if (!frame) return;
    if (request.isNavigationRequest()) {
      navigations.set(frame, (navigations.get(frame) ?? 0) + 1);
      navigating.set(frame, request);
    } else issuedAt.set(request, { navigation: navigations.get(frame) ?? 0, duringOne: navigating.has(frame) });
  });
  const navigationDone = (request: Request) => {
    const frame = frameOf(request);
    if (frame && navigating.get(frame) === request) navigating.delete(frame);
  };
  on('requestfinished', navigationDone);
  on('requestfailed', (request) => {
    navigationDone(request);
    const frame = frameOf(request);
    const issued = issuedAt.get(request);
    const cutByNavigation = request.failure()?.errorText === 'net::ERR_ABORTED' && frame !== null && issued !== undefined && (issued.duringOne || issued.navigation !== navigations.get(frame));
    if (!cutByNavigation) problems.push(`request failed (${request.failure()?.errorText ?? 'no answer'}): ${request.method()} ${request.url()}`);
  });
  void target.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`);
    });
  });
  return problems;
}

/** The frame a request is for; none for a service worker's own requests. */
function frameOf(request: Request): Frame | null {
  try {
    return request.frame();
  } catch {
    return null;
  }
}

/** What every page of `context` reports, from each one's first script to its close. */
export function watchContext(context: BrowserContext): string[] {
  return watch(context);
}

/** What one page reports, from its first script to its close. */
export function watchForProblems(page: Page): string[] {
  return watch(page);
}

/**
 * Takes out of `problems` those a test expects (it must say why), and returns them for the test to assert
 * on: what is left is still checked empty at the end.
 */
export function takeExpected(problems: string[], expected: RegExp): string[] {
  const taken = problems.filter((problem) => expected.test(problem));
  problems.splice(0, Infinity, ...problems.filter((problem) => !expected.test(problem)));
  return taken;
}

export { expect };
