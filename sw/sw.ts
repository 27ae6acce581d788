/// <reference lib="webworker" />
/**
 * Whisper's service worker: serves the app shell from the precache so the app
 * opens offline, waits for the page's word before taking over (the update
 * is offered, never forced mid-call), shows what Web Push brings (calls and
 * messages while the app is closed), and turns clicks on notifications into
 * messages to the page, or opens it.
 */
import { clientsClaim } from 'workbox-core';
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { openDatabase } from '../web/storage/database.js';
import { handleCallNotifications } from './call-notifications.js';
import { handlePushes } from './push-notifications.js';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: Array<{ url: string; revision: string | null }> };

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
registerRoute(
  new NavigationRoute(createHandlerBoundToURL('index.html'), {
    denylist: [/^\/ws/, /^\/healthz/, /^\/readyz/, /^\/metrics/],
  }),
);

// Take charge of pages at once: the first visit works offline without a reload. An update only
// gets here after the person chose "Update" (SKIP_WAITING), and the page then reloads itself.
clientsClaim();

handleCallNotifications();
handlePushes();

self.addEventListener('message', (event) => {
  if ((event.data as { type?: string } | null)?.type === 'SKIP_WAITING') void self.skipWaiting();
});

/** Files that may wait at once: a share sheet hands a few; more is someone filling the device. */
const MAX_SHARED_FILES = 50;

/**
 * Files shared into Whisper from the system share sheet (the manifest's
 * share_target) arrive here as a POST: they wait in IndexedDB, and the app
 * opens to let the person choose whom to send them to (or discard them).
 * Any web page could post a form here too: a POST that another site's page
 * made (its referrer says so) is not kept. The share sheet sends no referrer.
 */
registerRoute(
  ({ url, request }) => url.pathname === '/share-target' && request.method === 'POST',
  async ({ request }) => {
    if (request.referrer !== '' && new URL(request.referrer).origin !== self.location.origin) return Response.redirect('/', 303);
    const form = await request.formData();
    const files = form.getAll('files').filter((entry): entry is File => entry instanceof File);
    const db = await openDatabase();
    const tx = db.transaction('shared', 'readwrite');
    const room = MAX_SHARED_FILES - (await tx.store.count());
    for (const file of files.slice(0, Math.max(0, room))) void tx.store.add(file);
    await tx.done;
    return Response.redirect('/?shared', 303);
  },
  'POST',
);
