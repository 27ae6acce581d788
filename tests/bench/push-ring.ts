/**
 * npm run bench:push — how long a call takes to ring a phone whose app is
 * closed: from "Video call" pressed on the caller's page to the notification
 * shown by the callee's service worker. On the way: the caller's app finds the
 * callee offline, encrypts the push (RFC 8291), the real signal process signs
 * and POSTs it to our own HTTPS push service on loopback, which decrypts it as
 * the callee's browser would and hands it to the worker (DevTools protocol,
 * ServiceWorker.deliverPushMessage), which shows it. BENCH_CALLS calls (20).
 *
 * Baseline in the same run: the same call to the callee while its app is
 * open, from "Video call" to its ringing screen (no push involved).
 */
import { chromium } from 'playwright-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS } from '../e2e/playwright.config.js';
import { PushService, PUSH_SERVICE_CA, stubPushManager } from '../support/push-service.js';
import { launchSignal } from '../support/signal-process.js';
import { percentile } from './statistics.js';
import { joinAs } from './two-people.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 20);
const stats = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: percentile(sorted, 50), p95: percentile(sorted, 95), min: sorted[0]!, max: sorted.at(-1)! };
};
const ms = (v: number) => `${v.toFixed(0)} ms`;

// Code for the service worker is source text: tsx would otherwise add helpers the worker lacks.
/**
 * Notes when each notification the worker shows is up (its showNotification resolved). Headless Chromium
 * may drop a shown notification from getNotifications() at once (it keeps no notification centre), so the
 * worker's own word is what is timed. DevTools keeps the worker running; a replaced one is reported.
 */
const RECORD_SHOWN = `(() => {
  self.whShown = [];
  const show = ServiceWorkerRegistration.prototype.showNotification;
  ServiceWorkerRegistration.prototype.showNotification = function (title, options) {
    return show.call(this, title, options).then((result) => (self.whShown.push({ title, at: Date.now() }), result));
  };
})()`;
/** When the `n`-th notification titled `title` was shown (ms since the epoch), waiting up to 2 s; null if not yet. */
const shownAt = (title: string, n: number) => `(async () => {
  if (!self.whShown) return 'replaced';
  for (const end = Date.now() + 2000; Date.now() < end; await new Promise((r) => setTimeout(r, 2))) {
    const shown = self.whShown.filter((s) => s.title === ${JSON.stringify(title)});
    if (shown.length >= ${n}) return shown[${n} - 1].at;
  }
  return null;
})()`;

const service = await PushService.start();
const dataDir = await mkdtemp(join(tmpdir(), 'whisper-bench-push-'));
const signal = launchSignal({
  STATIC_DIR: join(import.meta.dirname, '../../dist'),
  VAPID_SUBJECT: 'mailto:bench@whisper.example',
  DATA_DIR: dataDir,
  PUSH_ALLOWED_HOSTS: `localhost:${service.port}`,
  PUSH_ALLOW_PRIVATE_ADDRESSES: 'true',
  NODE_EXTRA_CA_CERTS: PUSH_SERVICE_CA,
  // Two pushes per call, forty in a row to one phone: above the default limit of 6 a minute.
  PUSHES_PER_MINUTE: '1000',
});
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });

try {
  const appUrl = `http://localhost:${await signal.listening}`;
  const aliceContext = await browser.newContext();
  const bobContext = await browser.newContext();
  const bobSubscription = service.subscribe();
  await stubPushManager(aliceContext, service, service.subscribe());
  await stubPushManager(bobContext, service, bobSubscription);
  await bobContext.grantPermissions(['notifications'], { origin: appUrl });
  const alice = await aliceContext.newPage();
  const bob = await bobContext.newPage();
  await joinAs(alice, appUrl, 'Alice');
  await alice.getByRole('button', { name: 'New room' }).click();
  await alice.waitForURL(/\/r\//);
  await joinAs(bob, alice.url(), 'Bob');
  await bob.evaluate(() => navigator.serviceWorker.ready);
  await alice.getByRole('list', { name: 'People' }).getByRole('button', { name: /^Bob, / }).click();
  await bob.getByRole('list', { name: 'People' }).getByRole('button', { name: /^Alice, / }).click();
  await alice.getByText('Direct (P2P)').waitFor();
  const away = bob.getByRole('switch', { name: /Notify me when I’m away/ });
  await away.click();
  // Bob's subscription reached Alice's device (over the data channel): his entry can be called while he is away.
  await away.waitFor();
  while (!(await away.isChecked())) await new Promise((r) => setTimeout(r, 50));
  const pushable = () => alice.evaluate(`document.querySelector('wh-app').phase.session.people.some((p) => p.pushable)`);
  while (!(await pushable())) await new Promise((r) => setTimeout(r, 50));

  const videoCall = alice.getByRole('button', { name: 'Video call', exact: true });
  const cancel = alice.getByRole('region', { name: 'Call with Bob' }).getByRole('button', { name: /^(Cancel|Hang up)$/ });

  // Baseline: Bob's app is open; the call rings on his screen.
  const open: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const started = Date.now();
    await videoCall.click();
    await bob.getByRole('dialog', { name: 'Alice' }).waitFor();
    open.push(Date.now() - started);
    process.stderr.write(`open ${i + 1}: ${open.at(-1)} ms\n`);
    await cancel.click();
    await bob.getByRole('dialog', { name: 'Alice' }).waitFor({ state: 'hidden' });
    await videoCall.waitFor({ state: 'visible' });
    await alice.waitForFunction(() => !document.querySelector('wh-app')?.shadowRoot?.querySelector('wh-call-view'));
  }

  // Bob closes the app; his browser and its service worker stay.
  await bob.close();
  await alice.getByRole('list', { name: 'People' }).getByRole('button', { name: /^Bob, offline/ }).waitFor();
  const blank = await bobContext.newPage();
  const cdp = await bobContext.newCDPSession(blank);
  const registrations: Array<{ registrationId: string; scopeURL: string; isDeleted: boolean }> = [];
  cdp.on('ServiceWorker.workerRegistrationUpdated', (event: { registrations: typeof registrations }) => registrations.push(...event.registrations));
  await cdp.send('ServiceWorker.enable');
  while (!registrations.some((r) => r.scopeURL.startsWith(appUrl) && !r.isDeleted)) await new Promise((r) => setTimeout(r, 20));
  const registrationId = registrations.find((r) => r.scopeURL.startsWith(appUrl) && !r.isDeleted)!.registrationId;
  const worker = bobContext.serviceWorkers().find((w) => w.url().startsWith(appUrl))!;
  await worker.evaluate(RECORD_SHOWN);
  /** When Bob's worker showed its `n`-th notification titled `title`. */
  const shown = async (title: string, n: number): Promise<number> => {
    for (const end = Date.now() + 30_000; Date.now() < end; ) {
      const at = (await worker.evaluate(shownAt(title, n))) as number | 'replaced' | null;
      if (at === 'replaced') throw new Error("Bob's service worker was replaced during the run: its notifications can no longer be timed");
      if (at !== null) return at;
    }
    throw new Error(`Bob's service worker did not show "${title}" (${n}) in 30 s`);
  };
  const deliver = async (count: number) => {
    const received = await service.waitFor(count, 20_000);
    if (received.problem) throw new Error(`push service: ${received.problem}`);
    const data = service.decrypt(bobSubscription, received.body).toString();
    await cdp.send('ServiceWorker.deliverPushMessage', { origin: appUrl, registrationId, data });
  };

  const closed: number[] = [];
  let count = service.received.length;
  for (let i = 1; i <= CALLS; i++) {
    const started = Date.now();
    await videoCall.click();
    await deliver(++count);
    closed.push((await shown('Alice is calling', i)) - started);
    process.stderr.write(`closed ${i}: ${closed.at(-1)} ms\n`);
    await cancel.click();
    await deliver(++count);
    await shown('Missed call from Alice', i);
    await videoCall.waitFor({ state: 'visible' });
    await alice.waitForFunction(() => !document.querySelector('wh-app')?.shadowRoot?.querySelector('wh-call-view'));
  }

  const push = stats(closed);
  const base = stats(open);
  console.log(`Ringing a phone over ${CALLS} video calls on loopback (Chromium ${browser.version()}, the signal process on Node.js, our push service):`);
  console.log(`  app closed: "Video call" -> notification shown by the callee's service worker: median ${ms(push.median)}, p95 ${ms(push.p95)}, min ${ms(push.min)}, max ${ms(push.max)}`);
  console.log(`  baseline, app open: "Video call" -> the callee's ringing screen: median ${ms(base.median)}, p95 ${ms(base.p95)}, min ${ms(base.min)}, max ${ms(base.max)}`);
  console.log(`  ratio (median, closed / open): ${(push.median / base.median).toFixed(2)}`);
} finally {
  await browser.close();
  await signal.stop();
  await service.stop();
  await rm(dataDir, { recursive: true, force: true });
}
// Chromium's DevTools pipe can keep the event loop alive after the browser closed.
process.exit(0);
