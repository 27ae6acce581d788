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
  workers: 2,
  // One retry, reported as "flaky" in the output (never hidden): on these shared 2-core machines a
  // first connection between two busy browser contexts now and then stalls past a test's wait
  // (docs/architecture.md, "Known issues").
  retries: 1,
  reporter: 'list',
  outputDir: '../../test-results/e2e',
  projects: [
    { name: 'app', testIgnore: /files\.spec\.ts/ },
    // File transfers load both cores for a while: they run after the latency-sensitive suites, not beside them.
    { name: 'files', testMatch: /files\.spec\.ts/, dependencies: ['app'] },
  ],
  use: {
    browserName: 'chromium',
    launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
