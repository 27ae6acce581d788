// Component tests, and unit tests that need a browser's IndexedDB: each web/**/*.browser-test.ts runs in a real Chromium page.
// (They are not *.test.ts, which vitest runs in Node.)
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { playwrightLauncher } from '@web/test-runner-playwright';

/**
 * Playwright waits this long for an element before a command fails, less than the test timeout. Bounds for a
 * failure only: a test goes on the moment what it waits for holds. A fresh-clone run with three suites beside it
 * took more than 2 s for one click.
 */
const FIND_TIMEOUT_MS = 10_000;

/**
 * Lets tests find elements the way a person does, by role and accessible name,
 * through Playwright's role locators (which see into shadow roots and compute
 * names as the browser's accessibility tree does), and click them with the mouse.
 *   'click-by-role' { role, name }  clicks the one visible match (fails on none or several)
 *   'read-by-role'  { role, name? } the text of every visible match, in document order
 */
function byRoleCommands() {
  return {
    name: 'by-role-commands',
    async executeCommand({ command, payload, session }) {
      if (command !== 'click-by-role' && command !== 'read-by-role') return undefined;
      const page = session.browser.getPage(session.id);
      const locator = page.getByRole(payload.role, payload.name === undefined ? {} : { name: payload.name, exact: true });
      if (command === 'click-by-role') {
        await locator.click({ timeout: FIND_TIMEOUT_MS });
        return true;
      }
      // innerText is the text as laid out on screen; SVG elements only have textContent.
      return Promise.all((await locator.all()).map((element) => element.evaluate((node) => ('innerText' in node ? node.innerText : (node.textContent ?? '')))));
    },
  };
}

export default {
  files: ['web/**/*.browser-test.ts'],
  nodeResolve: true,
  // esbuild's resolveImport maps the '.js' in relative imports from .ts files to the .ts file that exists.
  plugins: [esbuildPlugin({ ts: true, target: 'es2022', tsconfig: 'tsconfig.json' }), byRoleCommands()],
  browsers: [
    playwrightLauncher({
      product: 'chromium',
      launchOptions: {
        executablePath: '/usr/bin/chromium',
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      },
      // "Copy link" writes to the clipboard, which needs the permission a person grants.
      createBrowserContext: ({ browser }) => browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] }),
    }),
  ],
  filterBrowserLogs: ({ args }) => !String(args[0]).startsWith('Lit is in dev mode'),
  // Each test's bound, for a failure only (see FIND_TIMEOUT_MS): its waits end at 20 s.
  testFramework: { config: { timeout: 60_000 } },
  // Three pages at a time (the default is half the cores: one here). The files mostly wait (IndexedDB, WebRTC,
  // timers): 53 s one at a time, 28–30 s three at a time, on two cores.
  concurrency: 3,
};
