/// <reference lib="webworker" />
/**
 * Web Push in the service worker: every push shows a notification (iOS
 * revokes subscriptions that push silently). A call rings with Accept and
 * Decline until it expires; its "ended" push, sent with the same tag, turns it
 * into a missed call; a message says only who wrote. The payload is validated
 * like any input, and shown only when it proves its sender (trusted-push.ts),
 * under the name kept for them here: anything else shows one plain notification.
 */
import * as v from 'valibot';
import type { CallNotificationData } from '../web/calls/call-notification.js';
import { openDatabase } from '../web/storage/database.js';
import { showMailboxPush } from './mailbox-notifications.js';
import { trustedPushSender, type PushSender } from '../web/push/trusted-push.js';
import { PushPayloadSchema, notificationText, pushTag, pushUrl, type PushData } from '../web/push/push-wire.js';

declare const self: ServiceWorkerGlobalScope;

/** Long enough to be felt in a pocket, repeated by the notification's requireInteraction. */
const CALL_VIBRATION = [400, 200, 400, 200, 400, 1000, 400, 200, 400];

export function handlePushes(): void {
  self.addEventListener('push', (event) => {
    event.waitUntil(show(event.data));
  });
}

/** Shows what a push carries. */
async function show(message: PushMessageData | null): Promise<void> {
  let raw: unknown = null;
  try {
    raw = message?.json();
  } catch {
    raw = null;
  }
  const result = v.safeParse(PushPayloadSchema, raw);
  if (!result.success) {
    await self.registration.showNotification('Whisper', { body: 'Something happened while you were away. Open Whisper to see it.', tag: 'whisper-unknown', icon: '/icons/icon-192.png' });
    return;
  }
  const { data, navigate } = result.output.notification;
  const sender = navigate === pushUrl(self.location.origin, data) ? await trustedPushSender(await openDatabase(), data) : null;
  if (!sender) {
    // Not from a contact this device gave its subscription to (or one it took it back from): nothing of it is
    // shown, and one notification stands for all of them.
    await self.registration.showNotification('Whisper', { body: 'A notification came that Whisper could not trust, so it shows nothing of it.', tag: 'whisper-untrusted', icon: '/icons/icon-192.png' });
    return;
  }
  if (data.kind === 'call' && Date.now() < data.expires) await showCall(data, sender);
  else if (data.kind === 'message' || data.kind === 'receipt') await showMailboxPush(data, sender, () => showMissedOrMessage(data, sender));
  else await showMissedOrMessage(data, sender);
}

async function showCall(data: Extract<PushData, { kind: 'call' }>, sender: PushSender): Promise<void> {
  const { title, body } = notificationText(data, sender.name);
  const notificationData: CallNotificationData & { push: PushData } = { call: data.call, url: pushUrl(self.location.origin, data), room: data.room, device: sender.device, until: data.expires, push: data };
  await self.registration.showNotification(title, {
    body,
    tag: pushTag(data),
    icon: '/icons/icon-192.png',
    requireInteraction: true,
    vibrate: CALL_VIBRATION,
    data: notificationData,
    // Where Safari (18.5+) opens the room if the worker's click handler does not run; it does here, and says so.
    navigate: notificationData.url,
    actions: [
      { action: 'accept', title: 'Accept' },
      { action: 'decline', title: 'Decline' },
    ],
  } as NotificationOptions);
}

async function showMissedOrMessage(data: PushData, sender: PushSender): Promise<void> {
  // A call that expired before it was shown is a missed call too.
  const kind = data.kind === 'call' ? 'call-ended' : data.kind;
  // The same tag replaces the ringing notification (or an earlier message's) in place. Closing it first
  // would race: the close can land after the new one is shown, under the same id, and remove it.
  const tag = pushTag({ ...data, kind });
  const { title, body } = notificationText({ kind, video: 'video' in data ? data.video : false }, sender.name);
  const url = pushUrl(self.location.origin, data);
  await self.registration.showNotification(title, { body, tag, icon: '/icons/icon-192.png', data: { url, push: data }, navigate: url } as NotificationOptions);
  // An iPhone ignores `tag`: its ringing notification would stay beside the missed call. Closed by the call's id
  // (only a ringing one carries it at the top of its data), once the missed call is shown.
  if (data.kind === 'call' || data.kind === 'call-ended') await closeRingingOf(data.call);
}

/** Closes the notifications that ring for `call` (this worker's or the page's), wherever their tag put them. */
async function closeRingingOf(call: string): Promise<void> {
  for (const notification of await self.registration.getNotifications()) {
    if ((notification.data as { call?: unknown } | null)?.call === call) notification.close();
  }
}

/**
 * "Decline" with the app closed: tell the caller through the server, on a
 * socket opened for that alone (no join, so nobody sees this device come or
 * go). If the server cannot be reached in time, the caller's call times out.
 */
export function declineThroughServer(data: Extract<PushData, { kind: 'call' }>, timeoutMs = 5000): Promise<boolean> {
  return new Promise((resolve) => {
    let socket: WebSocket;
    try {
      socket = new WebSocket(`${self.location.origin.replace(/^http/, 'ws')}/ws`);
    } catch {
      resolve(false);
      return;
    }
    const finish = (delivered: boolean) => {
      clearTimeout(timer);
      socket.onopen = socket.onmessage = socket.onerror = socket.onclose = null;
      socket.close();
      resolve(delivered);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.onopen = () => socket.send(JSON.stringify({ type: 'decline-call', room: data.room, to: data.caller, call: data.call }));
    socket.onmessage = (event) => {
      const answer = (() => {
        try {
          return JSON.parse(String(event.data)) as { type?: string; delivered?: boolean };
        } catch {
          return null;
        }
      })();
      if (answer?.type === 'decline-result') finish(answer.delivered === true);
    };
    socket.onerror = () => finish(false);
    socket.onclose = () => finish(false);
  });
}
