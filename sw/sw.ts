/// <reference lib="webworker" />
/**
 * Whisper's service worker: serves the app shell from the precache so the app
 * opens offline, and waits for the page's word before taking over (the update
 * is offered, never forced mid-call).
 */
import { clientsClaim } from 'workbox-core';
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';

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

self.addEventListener('message', (event) => {
  if ((event.data as { type?: string } | null)?.type === 'SKIP_WAITING') void self.skipWaiting();
});
