/**
 * npm run bench:push — how long a call takes to ring the callee, with the
 * callee's app closed (through Web Push) against the same call with it open,
 * for two callees (BENCH_BROWSERS, default "chromium,firefox"); the caller,
 * Alice, is in Chromium.
 *
 * - closed: Bob's page is closed, his browser and its service worker stay (as
 *   on a phone). Alice's app finds Bob offline and encrypts the push (RFC
 *   8291); the real signal process signs it (VAPID) and POSTs it to our HTTPS
 *   push service on loopback.
 *   - Bob in Firefox: everything after that is Firefox's own. Its push client,
 *     connected to the service's WebSocket side (autopush-server.ts), takes
 *     the push, decrypts it and wakes the worker, which shows the ringing
 *     notification; Firefox hands it to the desktop (a D-Bus notification
 *     server, push-desktop-notifications.ts), which stamps when it is asked.
 *   - Bob in Chromium, which cannot reach a push service here: two stand-ins.
 *     His subscription is a stub whose keys our service holds, and the service
 *     decrypts the push and hands it to the worker through the DevTools
 *     protocol (ServiceWorker.deliverPushMessage). The worker's showNotification
 *     resolving is the stamp.
 * - open: Bob's page is open and connected; the call rings on his screen,
 *   stamped when the ringing dialog's first render is committed.
 *
 * Both contenders are timed alike, on one clock (the machine's: Date.now() in
 * the browsers and in the desktop's server): from Alice's click on "Video
 * call", stamped in her page at the click, to the ring handed to the screen,
 * stamped where it happens. Nothing timed depends on the test's polling.
 *
 * BENCH_ROUNDS rounds (default 5, at least 3 for an interval); each round runs
 * both contenders, in turns (open first in odd rounds, closed first in even
 * ones), each a run of one untimed warm-up call and BENCH_CALLS timed calls
 * (default 10), each cancelled (with the app closed, followed by its "Missed
 * call" notification). Each run gives a median, each round the ratio of its
 * medians (closed / open). The run prints each round, the medians of all calls
 * with their range and the bootstrap 90 % interval of the median, and the
 * ratio over the rounds, read against the claim of docs/benchmarks.md that the
 * push path is no slower than ringing an open app (ratio ≤ 1).
 */
import { chromium, type Page, type Worker } from 'playwright-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser as Firefox } from 'puppeteer-core';
import { FirefoxPerson, launchFirefox, openChatIn, openRoomIn } from '../e2e/firefox.js';
import { CHROMIUM_ARGS } from '../e2e/playwright.config.js';
import { AutopushServer } from '../support/autopush-server.js';
import { DesktopNotifications } from '../support/push-desktop-notifications.js';
import { PushService, stubPushManager } from '../support/push-service.js';
import { launchSignal } from '../support/signal-process.js';
import { bootstrapInterval, explain, judge, median, type Goal } from './statistics.js';
import { STAMP_SHOWN, StandInPushClient } from './stand-in-push.js';
import { joinAs, until } from './two-people.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CALLS = Number(process.env.BENCH_CALLS ?? 10);
/** The claim of docs/benchmarks.md: ringing a closed app takes no longer than ringing an open one. */
const CLAIM: Goal = { at: 1, direction: 'atMost' };
type Mode = 'open' | 'closed';

// Code for the pages and the worker is source text: tsx would otherwise add helpers they lack.
/** Alice's page: when she last clicked (Date.now(), at the click). */
const STAMP_CLICKS = `(() => {
  document.addEventListener('click', () => (self.whClickedAt = Date.now()), { capture: true });
})()`;
/**
 * Bob's page: when each ringing dialog's first render was committed (Lit's firstUpdated; connectedCallback
 * cannot be wrapped once the element is defined: the browser took it at definition).
 */
const STAMP_RINGING = `(() => {
  self.whRung = [];
  customElements.whenDefined('wh-incoming-call').then(() => {
    const element = customElements.get('wh-incoming-call');
    const firstUpdated = element.prototype.firstUpdated;
    element.prototype.firstUpdated = function (...args) {
      firstUpdated?.apply(this, args);
      self.whRung.push(Date.now());
    };
  });
})()`;

const PAIRS = (process.env.BENCH_BROWSERS ?? 'chromium,firefox').split(',');

const service = await PushService.start();
const dataDir = await mkdtemp(join(tmpdir(), 'whisper-bench-push-'));
const signal = launchSignal({
  STATIC_DIR: join(import.meta.dirname, '../../dist'),
  DATA_DIR: dataDir,
  ...service.signalEnv('mailto:bench@whisper.example'),
  // Two pushes per call, dozens in a row to one phone: above the default limit of 6 a minute.
  PUSHES_PER_MINUTE: '1000',
});
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
/** What the Firefox pair started: its push connection, its desktop, the browser; stopped at the end. */
const firefoxSides: Array<{ autopush: AutopushServer; desktop: DesktopNotifications; firefox: Firefox; downloads: string }> = [];

const ms = (v: number) => `${v.toFixed(0)} ms`;
const two = (v: number) => v.toFixed(2);

/** The two contenders on one pair of browsers: Bob's app open or closed, and one call that rings him, timed. */
interface Pair {
  name: string;
  bobsApp(mode: Mode): Promise<void>;
  ring: Record<Mode, () => Promise<number>>;
}

/** Alice in Chromium, in a new room: her "Video call", stamped at the click, and the end of a call. */
async function aliceInRoom(appUrl: string) {
  const context = await browser.newContext();
  await context.addInitScript({ content: STAMP_CLICKS });
  const page = await context.newPage();
  await joinAs(page, appUrl, 'Alice');
  await page.getByRole('button', { name: 'New room' }).click();
  await page.waitForURL(/\/r\//);
  const videoCall = page.getByRole('button', { name: 'Video call', exact: true });
  return {
    context,
    page,
    room: page.url(),
    videoCall,
    cancel: page.getByRole('region', { name: 'Call with Bob' }).getByRole('button', { name: /^(Cancel|Hang up)$/ }),
    clickedAt: () => page.evaluate(() => (self as unknown as { whClickedAt: number }).whClickedAt),
    /** Her call over: her call screen gone, "Video call" back. */
    callOver: async () => {
      await videoCall.waitFor({ state: 'visible' });
      await page.waitForFunction(() => !document.querySelector('wh-app')?.shadowRoot?.querySelector('wh-call-view'));
    },
    /** Bob's subscription reached her device (over the data channel): his entry can be called while he is away. */
    hasBobsSubscription: () => until(async () => ((await page.evaluate(`document.querySelector('wh-app').phase.session.people.some((p) => p.pushable)`)) ? true : null), 'Bob’s subscription on Alice’s device'),
    bobOffline: () => page.getByRole('list', { name: 'People' }).getByRole('button', { name: /^Bob, offline/ }).waitFor(),
    bobConnected: () => page.getByText('Direct (P2P)').waitFor(),
  };
}

/**
 * Bob in Chromium. Chromium cannot reach a push service here: his subscription is a stub whose keys our service
 * holds, and the service decrypts each push and hands it to his worker through the DevTools protocol.
 */
async function chromiumPair(appUrl: string): Promise<Pair> {
  const alice = await aliceInRoom(appUrl);
  const bobContext = await browser.newContext();
  const bobSubscription = service.subscribe();
  await stubPushManager(alice.context, service, service.subscribe());
  await stubPushManager(bobContext, service, bobSubscription);
  await bobContext.grantPermissions(['notifications'], { origin: appUrl });
  await bobContext.addInitScript({ content: STAMP_RINGING });
  let bob: Page | null = await bobContext.newPage();
  await joinAs(bob, alice.room, 'Bob');
  await bob.evaluate(() => navigator.serviceWorker.ready);
  await alice.page.getByRole('list', { name: 'People' }).getByRole('button', { name: /^Bob, / }).click();
  await bob.getByRole('list', { name: 'People' }).getByRole('button', { name: /^Alice, / }).click();
  await alice.bobConnected();
  const away = bob.getByRole('switch', { name: /Notify me when I’m away/ });
  await away.click();
  await until(async () => ((await away.isChecked()) ? true : null), 'Bob’s “Notify me when I’m away”');
  await alice.hasBobsSubscription();

  // Bob's browser as the push client (DevTools keeps the worker running; a replaced one is reported).
  const bobsBrowser = await StandInPushClient.attach(bobContext, appUrl);
  /** Bob's worker as it runs now, stamping what it shows (the browser may have started it anew since). */
  const stampingWorker = () => bobsBrowser.worker('whShown', STAMP_SHOWN);
  /** The first notification titled `title` that `worker` showed after its `after` first ones; when. */
  const shownAfter = (worker: Worker, after: number, title: string) =>
    until(async () => {
      const shown = (await worker.evaluate(`self.whShown ? self.whShown.slice(${after}) : 'replaced'`)) as Array<{ title: string; at: number }> | 'replaced';
      if (shown === 'replaced') throw new Error("Bob's service worker was replaced during the run: its notifications can no longer be timed");
      return shown.find((s) => s.title === title)?.at ?? null;
    }, `Bob's worker showing "${title}"`);
  /** The next push the service receives, decrypted and handed to Bob's worker. */
  const deliverNext = async () => {
    const received = await service.waitFor(service.received.length + 1, 20_000);
    if (received.problem) throw new Error(`push service: ${received.problem}`);
    const data = service.decrypt(bobSubscription, received.body).toString();
    await bobsBrowser.deliver(data);
  };

  return {
    name: `Chromium ${browser.version()} to Chromium, stand-in subscription and delivery (DevTools)`,
    async bobsApp(mode) {
      if (mode === 'closed' && bob) {
        await bob.close();
        bob = null;
        await alice.bobOffline();
      } else if (mode === 'open' && !bob) {
        bob = await bobContext.newPage();
        await bob.goto(alice.room);
        const name = bob.getByRole('textbox', { name: 'Your name' });
        await name.or(bob.getByRole('button', { name: 'Share' })).first().waitFor();
        if (await name.isVisible()) {
          await name.fill('Bob');
          await bob.getByRole('button', { name: 'Join' }).click();
        }
        await alice.bobConnected();
      }
    },
    ring: {
      /** Bob's app open: click → the ringing dialog's first render committed in his page. */
      open: async () => {
        const page = bob!;
        const before = await page.evaluate(() => (self as unknown as { whRung: number[] }).whRung.length);
        await alice.videoCall.click();
        const rung = await until(() => page.evaluate((n) => (self as unknown as { whRung: number[] }).whRung[n] ?? null, before), 'the ringing dialog on Bob’s page');
        const took = rung - (await alice.clickedAt());
        await alice.cancel.click();
        await page.getByRole('dialog', { name: 'Alice' }).waitFor({ state: 'hidden' });
        await alice.callOver();
        return took;
      },
      /** Bob's app closed: click → the ringing notification shown by his worker. */
      closed: async () => {
        const worker = await stampingWorker();
        const shown = (await worker.evaluate('self.whShown.length')) as number;
        const delivering = deliverNext();
        await alice.videoCall.click();
        await delivering;
        const took = (await shownAfter(worker, shown, 'Alice is calling')) - (await alice.clickedAt());
        const missed = deliverNext();
        await alice.cancel.click();
        await missed;
        await shownAfter(worker, shown, 'Missed call from Alice');
        await alice.callOver();
        return took;
      },
    },
  };
}

/**
 * Bob in Firefox, all his side Firefox's own: it subscribed through its push client (connected to our
 * service's WebSocket side), decrypts each push itself and shows the notification on the desktop (the D-Bus
 * notification server of push-desktop-notifications.ts), which stamps when it is asked to show it.
 */
async function firefoxPair(appUrl: string): Promise<Pair> {
  const autopush = await AutopushServer.start(service);
  const desktop = await DesktopNotifications.start();
  const downloads = await mkdtemp(join(tmpdir(), 'whisper-bench-push-firefox-'));
  // Firefox takes one of 16 from a subscription's quota for each push after which no notification of the site is
  // visible 3 s later; here it counts every push (observed: after the 16th it dropped the subscription, unregister
  // code 201 "quota exceeded"), and a run sends dozens. A quota the run cannot use up keeps it to what is timed.
  const firefox = await launchFirefox(downloads, { pushServer: autopush.url, desktopBus: desktop.address, prefs: { 'dom.push.maxQuotaPerSubscription': 100_000 } });
  firefoxSides.push({ autopush, desktop, firefox, downloads });
  const alice = await aliceInRoom(appUrl);
  const bob = await FirefoxPerson.open(firefox, 'Bob');
  let open = true;
  await bob.page.evaluateOnNewDocument(STAMP_RINGING);
  await openRoomIn(bob, alice.room);
  await bob.page.evaluate(async () => Boolean(await navigator.serviceWorker.ready));
  await alice.page.getByRole('list', { name: 'People' }).getByRole('button', { name: /^Bob, / }).click();
  await openChatIn(bob, 'Alice');
  await alice.bobConnected();
  await bob.click('switch', /Notify me when I’m away/);
  await alice.hasBobsSubscription();

  return {
    name: `Chromium ${browser.version()} to Firefox ${await firefox.version()}, Firefox's own push client, decryption and desktop notification`,
    async bobsApp(mode) {
      if (mode === 'closed' && open) {
        await bob.page.close();
        open = false;
        await alice.bobOffline();
      } else if (mode === 'open' && !open) {
        const page = await bob.context.newPage();
        await bob.watch(page);
        await page.evaluateOnNewDocument(STAMP_RINGING);
        await openRoomIn(bob, alice.room);
        open = true;
        await alice.bobConnected();
      }
    },
    ring: {
      open: async () => {
        const page = bob.page;
        const before = await page.evaluate(() => (self as unknown as { whRung: number[] }).whRung.length);
        await alice.videoCall.click();
        const rung = await until(() => page.evaluate((n: number) => (self as unknown as { whRung: number[] }).whRung[n] ?? null, before), 'the ringing dialog on Bob’s page');
        const took = rung - (await alice.clickedAt());
        await alice.cancel.click();
        await bob.gone('dialog', 'Alice');
        await alice.callOver();
        return took;
      },
      closed: async () => {
        const after = desktop.shown.length;
        await alice.videoCall.click();
        const ringing = await desktop.showing('Alice is calling', { after });
        const took = ringing.at - (await alice.clickedAt());
        await alice.cancel.click();
        // Bob closes it, as he would: the desktop does not fill up with missed calls.
        desktop.dismiss(await desktop.showing('Missed call from Alice', { after }));
        await alice.callOver();
        return took;
      },
    },
  };
}

/** Both contenders of a pair, in rounds: open first in odd rounds, closed first in even ones. */
async function runRounds(pair: Pair): Promise<void> {
  const calls: Record<Mode, number[]> = { open: [], closed: [] };
  const ratios: number[] = [];
  console.log(`${pair.name}: ${ROUNDS} rounds, each run a warm-up call and ${CALLS} timed video calls:`);
  for (let round = 1; round <= ROUNDS; round++) {
    const order: Mode[] = round % 2 === 1 ? ['open', 'closed'] : ['closed', 'open'];
    const medians = {} as Record<Mode, number>;
    for (const mode of order) {
      await pair.bobsApp(mode);
      await pair.ring[mode]();
      const run: number[] = [];
      for (let i = 0; i < CALLS; i++) run.push(await pair.ring[mode]());
      calls[mode].push(...run);
      medians[mode] = median(run);
      process.stderr.write(`  round ${round}, app ${mode}: ${run.map((v) => v.toFixed(0)).join(' ')} ms\n`);
    }
    ratios.push(medians.closed / medians.open);
    console.log(`  round ${round} (${order[0]} first): app closed median ${ms(medians.closed)}, app open median ${ms(medians.open)}, ratio ${two(medians.closed / medians.open)}`);
  }
  /** All calls of a contender: median, range, and the bootstrap 90 % interval of the median. */
  const describe = (samples: number[]) => {
    const interval = bootstrapInterval(samples, median);
    return `median ${ms(median(samples))}, range ${ms(Math.min(...samples))}–${ms(Math.max(...samples))}, bootstrap 90 % interval of the median ${ms(interval.low)}–${ms(interval.high)} (${samples.length} calls)`;
  };
  console.log(`  app closed: "Video call" → the ringing notification shown: ${describe(calls.closed)}`);
  console.log(`  app open: "Video call" → the ringing dialog rendered: ${describe(calls.open)}`);
  const interval = bootstrapInterval(ratios, median);
  console.log(`  ratio closed / open, per round: median ${two(median(ratios))}, range ${two(Math.min(...ratios))}–${two(Math.max(...ratios))}, bootstrap 90 % interval of the median ${two(interval.low)}–${two(interval.high)}`);
  const verdict = judge(interval, CLAIM);
  const said = ROUNDS < 3 ? `cannot tell from ${ROUNDS} round${ROUNDS === 1 ? '' : 's'} (at least 3 give an interval)` : explain(verdict, interval, CLAIM, two);
  console.log(`  Claim (ringing a closed app takes no longer than an open one, ratio ≤ 1): ${said}`);
}

try {
  const appUrl = `http://localhost:${await signal.listening}`;
  console.log('Ringing the callee with the app closed (Web Push) and open, on loopback (the signal process on Node.js, our push service):');
  for (const name of PAIRS) {
    if (name === 'chromium') await runRounds(await chromiumPair(appUrl));
    else if (name === 'firefox') await runRounds(await firefoxPair(appUrl));
    else throw new Error(`unknown BENCH_BROWSERS entry ${name} (chromium, firefox)`);
  }
} finally {
  await browser.close();
  for (const side of firefoxSides) {
    await side.firefox.close();
    await side.autopush.stop();
    await side.desktop.stop();
    await rm(side.downloads, { recursive: true, force: true });
  }
  await signal.stop();
  await service.stop();
  await rm(dataDir, { recursive: true, force: true });
}
// Chromium's DevTools pipe can keep the event loop alive after the browser closed.
process.exit(0);
