import { defineConfig } from '@playwright/test';

/** Debian's Chromium (test tools cannot download their own browser here), with fake camera and microphone. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
  '--use-fake-ui-for-media-stream',
  // Two fake cameras, so that "Switch camera" has somewhere to go.
  '--use-fake-device-for-media-stream=device-count=2',
];

export default defineConfig({
  testDir: '.',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  // Two, one per core: with three, the call tests starve each other (tried: tests ran out of time, and the
  // suite was no faster).
  workers: 2,
  // No retries: a test that passes only on a second try is a bug in the product or in the test.
  retries: 0,
  reporter: 'list',
  outputDir: '../../test-results/e2e',
  projects: [
    { name: 'app', testIgnore: /(files|faults|firefox|webkit)\.spec\.ts/ },
    // File transfers load both cores for a while: they run after the latency-sensitive suites, not beside them.
    { name: 'files', testMatch: /files\.spec\.ts/, dependencies: ['app'] },
    // Chromium with Firefox (puppeteer-core over WebDriver BiDi), and WebKitGTK (WebDriver): other engines, beside the files.
    { name: 'engines', testMatch: /(firefox|webkit)\.spec\.ts/, dependencies: ['app'] },
    // The fault-injection suite starves a page's CPU on purpose: it runs alone, last.
    { name: 'faults', testMatch: /faults\.spec\.ts/, dependencies: ['files', 'engines'] },
  ],
  use: {
    browserName: 'chromium',
    launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
