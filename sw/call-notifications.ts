/// <reference lib="webworker" />
/**
 * A click on a Whisper notification: an incoming call the page showed, or one
 * a push brought (the app may be closed), a missed call, a new message.
 *
 * - "Accept" on a one-to-one call is recorded in IndexedDB (pending-answer.ts)
 *   before anything else: the room's page answers that call, from that device,
 *   when it rings there, once, within its ringing window. No address carries an
 *   answer: a link can open a room, never answer a call.
 * - With a Whisper page open, it is focused (brought to the call's room when
 *   the Accept came from a push) and told what the person chose.
 * - With none, "Accept" opens the app in the room; "Decline" tells the caller
 *   through the server without opening anything; a plain click (the only one
 *   an iPhone has: no action buttons) opens the room, where the call rings.
 *   The room is written down first (pending-route.ts): an iPhone's Home
 *   Screen app opens its start address instead, and goes there from it.
 */
import * as v from 'valibot';
import { CallNotificationDataSchema, type CallActionMessage, type CallNotificationData } from '../web/calls/call-notification.js';
import { recordPendingRoute } from '../web/app/pending-route.js';
import { recordPendingAnswer } from '../web/calls/pending-answer.js';
import { openDatabase } from '../web/storage/database.js';
import { PushDataSchema, pushUrl, type PushData } from '../web/push/push-wire.js';
import { declineThroughServer } from './push-notifications.js';

declare const self: ServiceWorkerGlobalScope;

const PushedSchema = v.object({ push: PushDataSchema });

export function handleCallNotifications(): void {
  self.addEventListener('notificationclick', (event) => {
    // Every click is this handler's: not the browser's opening of the notification's `navigate` address as well
    // (where it has one: Safari 18.5+, which opens it unless the click is taken).
    event.preventDefault();
    event.notification.close();
    const action: CallActionMessage['action'] = event.action === 'accept' || event.action === 'decline' ? event.action : 'open';
    const pushed = v.safeParse(PushedSchema, event.notification.data);
    const call = v.safeParse(CallNotificationDataSchema, event.notification.data);
    if (call.success) event.waitUntil(onCall(call.output, action, pushed.success ? pushed.output.push : null));
    else if (pushed.success) event.waitUntil(openApp(pushUrl(self.location.origin, pushed.output.push)));
  });
}

async function onCall(data: CallNotificationData, action: CallActionMessage['action'], push: PushData | null): Promise<void> {
  const { call, url } = data;
  if (new URL(url).origin !== self.location.origin) return;
  if (action === 'accept' && data.room && data.device && data.until !== undefined) {
    await recordPendingAnswer(await openDatabase(), { call, room: data.room, device: data.device, until: data.until });
  }
  const page = await whisperPage(url);
  if (page) {
    // Declining needs no screen; accepting and opening bring the call to the front, in its room.
    if (action !== 'decline') {
      await page.focus().catch(() => undefined);
      if (push && page.url.split('?')[0] !== url) await page.navigate(url).catch(() => undefined);
    }
    page.postMessage({ type: 'whisper-call-action', call, action } satisfies CallActionMessage);
    return;
  }
  if (action === 'decline') {
    if (push?.kind === 'call') await declineThroughServer(push);
    return;
  }
  // No page: open the app in the room; with Accept, it answers the recorded call when it rings there.
  await openWindow(url);
}

async function openApp(url: string): Promise<void> {
  const page = await whisperPage(url);
  if (page) {
    await page.focus().catch(() => undefined);
    if (page.url !== url) await page.navigate(url).catch(() => undefined);
    return;
  }
  await openWindow(url);
}

/**
 * Opens the app at `url`, a room, and writes the room down for an app that opens at its start address instead
 * (an iPhone's Home Screen app), which goes there when it starts (pending-route.ts). The window is asked for at
 * once, beside the write: Firefox lets a notification's click open one only for about a second, which opening
 * the database first could use up on a busy phone (seen here under load). A Home Screen app that starts before
 * the write is done opens at its start page, from where the room is one tap away.
 */
async function openWindow(url: string): Promise<void> {
  const recorded = openDatabase().then((db) => recordPendingRoute(db, url, self.location.origin));
  await Promise.all([self.clients.openWindow(url), recorded]);
}

/** The page showing `url`, or any Whisper page. */
async function whisperPage(url: string): Promise<WindowClient | undefined> {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  return windows.find((client) => client.url.split('?')[0] === url.split('?')[0]) ?? windows.find((client) => new URL(client.url).origin === self.location.origin);
}
