/**
 * Incoming calls while Whisper is hidden or in the background: a system
 * notification shown through the service worker, with "Accept" and
 * "Decline" actions. The worker (`sw/call-notifications.ts`) passes a click
 * back to the page as a message, which the page validates like any input;
 * an Accept it also records (pending-answer.ts), which is what lets the app,
 * opened by it or frozen meanwhile, answer that call when it rings there.
 */
import * as v from 'valibot';
import { CallIdSchema, DeviceKeySchema, RoomIdSchema } from '../../signal/protocol/messages.js';
import { askNotificationPermission } from '../push/notification-permission.js';
import { CALL_PUSH_TTL_S } from '../push/push-wire.js';

/**
 * What a call notification carries, for the worker to find and focus the right page, and, for a one-to-one
 * call, what an Accept records: the room, the caller's device and the end of the ringing window.
 */
export const CallNotificationDataSchema = v.object({
  call: CallIdSchema,
  url: v.pipe(v.string(), v.url(), v.maxLength(2048)),
  room: v.optional(RoomIdSchema),
  device: v.optional(DeviceKeySchema),
  until: v.optional(v.pipe(v.number(), v.finite())),
});
export type CallNotificationData = v.InferOutput<typeof CallNotificationDataSchema>;

/** From the worker to the page: the person clicked the notification ("open") or one of its actions. */
export const CallActionMessageSchema = v.object({
  type: v.literal('whisper-call-action'),
  call: CallIdSchema,
  action: v.picklist(['accept', 'decline', 'open']),
});
export type CallActionMessage = v.InferOutput<typeof CallActionMessageSchema>;

export const callNotificationTag = (call: string) => `whisper-call-${call}`;

/**
 * Shows in progress. Chromium forgets a notification whose show is still in progress when
 * `getNotifications()` is called meanwhile: it would stay on screen, never found to be closed.
 */
const showing = new Set<Promise<void>>();

/**
 * `device`: the caller's, for a one-to-one call; `room`: the call is the room's (a group call), which
 * "Accept" joins on this page.
 */
export async function showCallNotification(call: string, name: string, video: boolean, device: string, room = false): Promise<void> {
  if (!('Notification' in globalThis) || Notification.permission !== 'granted' || !navigator.serviceWorker) return;
  const registration = await navigator.serviceWorker.getRegistration();
  if (!registration) return;
  const roomId = /^\/r\/([^/?#]+)/.exec(location.pathname)?.[1];
  const data: CallNotificationData = { call, url: location.href, ...(!room && roomId ? { room: roomId, device, until: Date.now() + CALL_PUSH_TTL_S * 1000 } : {}) };
  const shown = registration.showNotification(room ? `${name} is calling the room` : `${name} is calling`, {
    body: room ? 'Group call on Whisper' : video ? 'Incoming video call on Whisper' : 'Incoming audio call on Whisper',
    tag: callNotificationTag(call),
    icon: '/icons/icon-192.png',
    requireInteraction: true,
    data,
    navigate: data.url,
    actions: [
      { action: 'accept', title: 'Accept' },
      { action: 'decline', title: 'Decline' },
    ],
  } as NotificationOptions);
  showing.add(shown);
  try {
    await shown;
  } finally {
    showing.delete(shown);
  }
}

export async function closeCallNotification(call: string): Promise<void> {
  await Promise.allSettled([...showing]);
  const registration = await navigator.serviceWorker?.getRegistration();
  // By its tag, and by the call's id in its data: an iPhone ignores tags.
  for (const notification of (await registration?.getNotifications()) ?? []) {
    if (notification.tag === callNotificationTag(call) || (notification.data as { call?: unknown } | null)?.call === call) notification.close();
  }
}

/**
 * Asks once for permission to announce calls, at a moment the person can see
 * why: when they make or answer a call, never at first load.
 */
export function askToAnnounceCalls(): void {
  void askNotificationPermission();
}

/** Calls `handler` with each valid call action the service worker passes on. */
export function listenForCallActions(handler: (message: CallActionMessage) => void): () => void {
  const listener = (event: MessageEvent) => {
    const result = v.safeParse(CallActionMessageSchema, event.data);
    if (result.success) handler(result.output);
  };
  navigator.serviceWorker?.addEventListener('message', listener);
  return () => navigator.serviceWorker?.removeEventListener('message', listener);
}
