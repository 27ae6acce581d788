/**
 * Chromium as a push client, for the benchmarks (as tests/e2e/push-phone.ts is for the tests). Chromium cannot
 * reach a push service here: a person's subscription is a stub whose keys our push service holds
 * (stubPushManager), and what the service receives for it is decrypted and handed to their service worker
 * through the DevTools protocol (ServiceWorker.deliverPushMessage), as their browser would after decrypting it.
 * A page outside Whisper holds the DevTools session.
 */
import type { BrowserContext, CDPSession, Worker } from 'playwright-core';
import { until } from './two-people.js';

/**
 * A worker's own word on each notification it shows: when its showNotification resolved. Headless Chromium may
 * drop a shown notification from getNotifications() at once (it keeps no notification centre). Source text:
 * tsx would otherwise add helpers the worker lacks.
 */
export const STAMP_SHOWN = `(() => {
  self.whShown = [];
  const show = ServiceWorkerRegistration.prototype.showNotification;
  ServiceWorkerRegistration.prototype.showNotification = function (title, options) {
    return show.call(this, title, options).then((result) => (self.whShown.push({ title, body: options && options.body, at: Date.now() }), result));
  };
})()`;

export class StandInPushClient {
  private constructor(
    private readonly context: BrowserContext,
    private readonly cdp: CDPSession,
    private readonly appUrl: string,
    private readonly registrationId: string,
  ) {}

  /** The person's browser (`context`), once Whisper's worker is registered in it. */
  static async attach(context: BrowserContext, appUrl: string): Promise<StandInPushClient> {
    const blank = await context.newPage();
    const cdp = await context.newCDPSession(blank);
    const registrations: Array<{ registrationId: string; scopeURL: string; isDeleted: boolean }> = [];
    cdp.on('ServiceWorker.workerRegistrationUpdated', (event: { registrations: typeof registrations }) => registrations.push(...event.registrations));
    await cdp.send('ServiceWorker.enable');
    const registrationId = await until(async () => registrations.find((r) => r.scopeURL.startsWith(appUrl) && !r.isDeleted)?.registrationId ?? null, 'the worker’s registration');
    return new StandInPushClient(context, cdp, appUrl, registrationId);
  }

  /** Hands a push's plaintext to the worker. */
  async deliver(data: string): Promise<void> {
    await this.cdp.send('ServiceWorker.deliverPushMessage', { origin: this.appUrl, registrationId: this.registrationId, data });
  }

  /** Whisper's worker as it runs now (the browser may have started it anew), with `code` run in it once: `installed` names the global it sets. */
  async worker(installed: string, code: string): Promise<Worker> {
    const worker = this.context.serviceWorkers().filter((w) => w.url().startsWith(this.appUrl)).at(-1)!;
    if (!(await worker.evaluate(`Boolean(self.${installed})`))) await worker.evaluate(code);
    return worker;
  }
}
