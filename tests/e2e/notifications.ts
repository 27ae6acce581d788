/**
 * Reading the notifications a page or a service worker shows, without losing
 * one. In Chromium, `getNotifications()` called while a `showNotification()`
 * is still in progress in that registration makes the browser forget the
 * notification being shown: it stays on screen, but `getNotifications()`
 * never returns it again. So each global counts its shows in flight, and the
 * notifications are read only when none is.
 *
 * The code that runs in the page or the worker is source text: tsx would
 * otherwise add helpers that neither has.
 */
import type { Page, Worker } from '@playwright/test';

export interface Shown {
  title: string;
  body: string;
  tag: string;
  actions: string[];
  requireInteraction: boolean;
}

/** Counts the shows in flight in this global (a page or a worker), once. */
const TRACK_SHOWS = `(() => {
  if (self.whShowing !== undefined) return;
  self.whShowing = 0;
  const show = ServiceWorkerRegistration.prototype.showNotification;
  ServiceWorkerRegistration.prototype.showNotification = function (...args) {
    self.whShowing++;
    return show.apply(this, args).finally(() => self.whShowing--);
  };
})()`;

const READ = `(async () => {
  while (self.whShowing > 0) await new Promise((resolve) => setTimeout(resolve, 10));
  const registration = self.registration ?? (await navigator.serviceWorker.ready);
  return (await registration.getNotifications()).map((n) => ({
    title: n.title,
    body: n.body,
    tag: n.tag,
    actions: n.actions.map((a) => a.title),
    requireInteraction: n.requireInteraction,
  }));
})()`;

/** Runs source text in a page or a worker (both take it; their typings differ in every other form). */
const run = (target: Page | Worker, code: string): Promise<unknown> => (target as { evaluate(code: string): Promise<unknown> }).evaluate(code);

/** Starts counting the shows of `target`: call it before anything may show a notification there. */
export async function trackShows(target: Page | Worker): Promise<void> {
  await run(target, TRACK_SHOWS);
}

/** The notifications shown through `target`'s registration, read once no show is in progress there. */
export async function notificationsOf(target: Page | Worker): Promise<Shown[]> {
  return (await run(target, READ)) as Shown[];
}
