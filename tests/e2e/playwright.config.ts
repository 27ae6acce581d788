import { defineConfig } from '@playwright/test';

/** Debian's Chromium (test tools cannot download their own browser here), with fake camera and microphone. */
const BASE_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
  '--use-fake-ui-for-media-stream',
];

/**
 * For benchmarks: two fake cameras at their own rate (20 fps, 720p when asked, as the app asks), so that
 * "Switch camera" has somewhere to go and a call costs what it would.
 */
export const CHROMIUM_ARGS = [...BASE_ARGS, '--use-fake-device-for-media-stream=device-count=2'];

/**
 * For tests: the same two cameras at 5 fps. Each frame is encoded, decoded and drawn in software on these
 * two cores: a video call between two pages took 1.55 cores at 20 fps and 0.85 at 5 fps (measured per
 * process). Every check of "video playing" still sees frames advance.
 */
export const TEST_CHROMIUM_ARGS = [...BASE_ARGS, '--use-fake-device-for-media-stream=device-count=2,fps=5'];

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
    // Test by test across both workers, not file by file: the app suite ends with both workers busy until its
    // last test, since the next suites wait for all of it.
    { name: 'app', testIgnore: /(files|faults|firefox|webkit)\.spec\.ts/, fullyParallel: true },
    // File transfers load both cores for a while: they run after the latency-sensitive suites, not beside them.
    // Test by test too: beside the engines, which end first, the files would otherwise leave a worker idle.
    { name: 'files', testMatch: /files\.spec\.ts/, dependencies: ['app'], fullyParallel: true },
    // Chromium with Firefox (puppeteer-core over WebDriver BiDi), and WebKitGTK (WebDriver): other engines, beside
    // the files and the faults, test by test (each launches its own browsers).
    { name: 'engines', testMatch: /(firefox|webkit)\.spec\.ts/, dependencies: ['app'], fullyParallel: true },
    // The fault-injection suite, after the transfers: its round beside its focused tests (each person on a network
    // of their own, named by the worker's process; the CPU it starves is one page's, by DevTools, not the machine's).
    { name: 'faults', testMatch: /faults\.spec\.ts/, dependencies: ['files'], fullyParallel: true },
  ],
  use: {
    browserName: 'chromium',
    launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: TEST_CHROMIUM_ARGS },
    // A trace of every test, kept when it fails (actions, console, network), without screenshots (a screencast of
    // every page for the whole test: Chromium's GPU process took 1.3 cores of these two during a video call) or DOM
    // snapshots (one per action: a fifth of the CPU time of chat.spec and verify.spec, 80 s against 64 s). A
    // failure still leaves its screenshot and the page's accessibility tree (error-context.md).
    trace: { mode: 'retain-on-failure', screenshots: false, snapshots: false },
    screenshot: 'only-on-failure',
  },
});
