/// <reference lib="webworker" />
/**
 * A click on a Whisper notification: an incoming call the page showed, or one
 * a push brought (the app may be closed), a missed call, a new message.
 *
 * - With a Whisper page open, it is focused and told what the person chose.
 * - With none, "Accept" opens the app in the room, which answers the call as
 *   soon as it rings there (the caller keeps ringing meanwhile); "Decline"
 *   tells the caller through the server without opening anything; a plain
 *   click opens the conversation.
 */
import * as v from 'valibot';
import { CallNotificationDataSchema, type CallActionMessage } from '../web/calls/call-notification.js';
import { PushDataSchema, pushUrl, type PushData } from '../web/push/push-wire.js';
import { declineThroughServer } from './push-notifications.js';

declare const self: ServiceWorkerGlobalScope;

const PushedSchema = v.object({ push: PushDataSchema });

export function handleCallNotifications(): void {
  self.addEventListener('notificationclick', (event) => {
    event.notification.close();
    const action: CallActionMessage['action'] = event.action === 'accept' || event.action === 'decline' ? event.action : 'open';
    const pushed = v.safeParse(PushedSchema, event.notification.data);
    const call = v.safeParse(CallNotificationDataSchema, event.notification.data);
    if (call.success) event.waitUntil(onCall(call.output.call, call.output.url, action, pushed.success ? pushed.output.push : null));
    else if (pushed.success) event.waitUntil(openApp(pushUrl(self.location.origin, pushed.output.push)));
  });
}

async function onCall(call: string, url: string, action: CallActionMessage['action'], push: PushData | null): Promise<void> {
  if (new URL(url).origin !== self.location.origin) return;
  const page = await whisperPage(url);
  if (page) {
    // Declining needs no screen; accepting and opening bring the call to the front.
    if (action !== 'decline') await page.focus().catch(() => undefined);
    page.postMessage({ type: 'whisper-call-action', call, action } satisfies CallActionMessage);
    return;
  }
  if (action === 'decline') {
    if (push?.kind === 'call') await declineThroughServer(push);
    return;
  }
  // No page: open the app in the room; with Accept, it answers this call when it rings there.
  const target = new URL(url);
  if (action === 'accept' && push?.kind === 'call') target.searchParams.set('answer', call);
  await self.clients.openWindow(target.href);
}

async function openApp(url: string): Promise<void> {
  const page = await whisperPage(url);
  if (page) {
    await page.focus().catch(() => undefined);
    if (page.url !== url) await page.navigate(url).catch(() => undefined);
    return;
  }
  await self.clients.openWindow(url);
}

/** The page showing `url`, or any Whisper page. */
async function whisperPage(url: string): Promise<WindowClient | undefined> {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  return windows.find((client) => client.url.split('?')[0] === url.split('?')[0]) ?? windows.find((client) => new URL(client.url).origin === self.location.origin);
}
