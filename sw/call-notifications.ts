/// <reference lib="webworker" />
/**
 * A click on an incoming-call notification (or its "Accept"/"Decline"
 * action) focuses the page the call rings in, opening it if it was closed,
 * and tells it what the person chose.
 */
import * as v from 'valibot';
import { CallNotificationDataSchema, type CallActionMessage } from '../web/calls/call-notification.js';

declare const self: ServiceWorkerGlobalScope;

export function handleCallNotifications(): void {
  self.addEventListener('notificationclick', (event) => {
    const result = v.safeParse(CallNotificationDataSchema, event.notification.data);
    if (!result.success) return;
    const { call, url } = result.output;
    event.notification.close();
    const action: CallActionMessage['action'] = event.action === 'accept' || event.action === 'decline' ? event.action : 'open';
    event.waitUntil(focusCall(url, { type: 'whisper-call-action', call, action }));
  });
}

async function focusCall(url: string, message: CallActionMessage): Promise<void> {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const page = windows.find((client) => client.url === url) ?? windows.find((client) => new URL(client.url).origin === self.location.origin);
  if (page) {
    // Declining needs no screen; accepting and opening bring the call to the front.
    if (message.action !== 'decline') await page.focus().catch(() => undefined);
    page.postMessage(message);
    return;
  }
  // The page was closed: the call cannot be picked up any more, but open the conversation.
  if (message.action !== 'decline' && new URL(url).origin === self.location.origin) await self.clients.openWindow(url);
}
