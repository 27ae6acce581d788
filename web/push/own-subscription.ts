/**
 * This device's Web Push subscription: made with the server's VAPID key when
 * the person opts in (making or answering a call, or "Notify me when I'm
 * away"), and checked on every start against the key the server gives, since
 * a subscription made with an older key no longer works.
 *
 * Safari on iOS allows it only in an app added to the Home Screen, and asks
 * for permission only inside a tap, which its first prompt spends: so
 * `subscribeNow`, called synchronously in the click handler, asks for
 * permission there (once per tap, shared with the call's own request:
 * notification-permission.ts), and subscribes once it is granted, when no tap
 * is needed any more.
 */
import { fromBase64url, toBase64url } from './base64url.js';
import { askNotificationPermission } from './notification-permission.js';
import type { PushSubscriptionKeys } from './push-wire.js';

let registration: ServiceWorkerRegistration | null = null;

/** Fetches the service worker registration, so that a later click can subscribe at once. */
export function preparePush(): void {
  if (!pushSupported()) return;
  void navigator.serviceWorker.ready.then((ready) => (registration = ready));
}

export function pushSupported(): boolean {
  return typeof navigator !== 'undefined' && 'serviceWorker' in navigator && typeof PushManager !== 'undefined' && typeof Notification !== 'undefined';
}

/** iPhone and iPad: push works only in the app added to the Home Screen. */
export function needsHomeScreen(): boolean {
  const ios = /iPad|iPhone|iPod/.test(navigator.userAgent) || (navigator.userAgent.includes('Macintosh') && navigator.maxTouchPoints > 1);
  const standalone = matchMedia('(display-mode: standalone)').matches || (navigator as { standalone?: boolean }).standalone === true;
  return ios && !standalone;
}

export function keysOf(subscription: PushSubscription): PushSubscriptionKeys | null {
  const p256dh = subscription.getKey('p256dh');
  const auth = subscription.getKey('auth');
  if (!p256dh || !auth) return null;
  return { endpoint: subscription.endpoint, p256dh: toBase64url(new Uint8Array(p256dh)), auth: toBase64url(new Uint8Array(auth)) };
}

function sameKey(subscription: PushSubscription, vapidKey: string): boolean {
  const key = subscription.options?.applicationServerKey;
  return !key || toBase64url(new Uint8Array(key)) === vapidKey;
}

/**
 * The current subscription, if it was made with `vapidKey`. One made with
 * another key (the server's keys were replaced) is dropped, and, where
 * notifications are allowed, replaced by a new one.
 */
export async function currentSubscription(vapidKey: string): Promise<PushSubscriptionKeys | null> {
  if (!pushSupported()) return null;
  const ready = registration ?? (await navigator.serviceWorker.ready);
  registration = ready;
  const existing = await ready.pushManager.getSubscription().catch(() => null);
  if (!existing) return null;
  if (sameKey(existing, vapidKey)) return keysOf(existing);
  await existing.unsubscribe().catch(() => false);
  if (Notification.permission !== 'granted') return null;
  const renewed = await ready.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: fromBase64url(vapidKey) }).catch(() => null);
  return renewed ? keysOf(renewed) : null;
}

export type SubscribeResult = { ok: true; keys: PushSubscriptionKeys } | { ok: false; reason: string };

/** Subscribes; call it synchronously from a click handler (see above). */
export function subscribeNow(vapidKey: string): Promise<SubscribeResult> {
  if (!pushSupported()) return Promise.resolve({ ok: false, reason: 'This browser cannot notify you while Whisper is closed.' });
  if (needsHomeScreen()) return Promise.resolve({ ok: false, reason: 'On iPhone and iPad, add Whisper to your Home Screen first (Share, then Add to Home Screen), and open it from there.' });
  // Before any await: the gesture must still be running when permission is asked for.
  const subscribing = askNotificationPermission().then(async (permission) => {
    if (permission !== 'granted') throw new DOMException('Notifications are not allowed.', 'NotAllowedError');
    const ready = registration ?? (await navigator.serviceWorker.ready);
    return ready.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: fromBase64url(vapidKey) });
  });
  return subscribing.then(
    async (subscription) => {
      if (!sameKey(subscription, vapidKey)) {
        // Subscribed earlier with another key, and the browser gave that one back: replace it.
        await subscription.unsubscribe();
        return subscribeNow(vapidKey);
      }
      const keys = keysOf(subscription);
      return keys ? { ok: true as const, keys } : { ok: false as const, reason: 'The browser gave a subscription without keys.' };
    },
    async (error: unknown) => {
      // Chromium refuses a new key while a subscription made with another one exists: drop that one, once.
      const held = Notification.permission === 'granted' ? await (registration ?? (await navigator.serviceWorker.ready)).pushManager.getSubscription().catch(() => null) : null;
      if (held && !sameKey(held, vapidKey) && (await held.unsubscribe().catch(() => false))) return subscribeNow(vapidKey);
      return {
        ok: false as const,
        reason:
          Notification.permission === 'denied'
            ? 'Notifications are blocked for Whisper: allow them in the browser’s site settings.'
            : Notification.permission === 'default'
              ? 'Whisper was not allowed to notify you.'
              : `The browser could not subscribe (${error instanceof Error ? error.message : String(error)}).`,
      };
    },
  );
}

/**
 * A new subscription in place of the current one (a new endpoint and keys): whoever held the old one can no
 * longer push to this device. Null when there was none, or the browser would not make a new one.
 */
export async function renewSubscription(vapidKey: string): Promise<PushSubscriptionKeys | null> {
  if (!pushSupported()) return null;
  const ready = registration ?? (await navigator.serviceWorker.ready);
  registration = ready;
  const existing = await ready.pushManager.getSubscription();
  if (!existing) return null;
  await existing.unsubscribe();
  const renewed = await ready.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: fromBase64url(vapidKey) });
  return keysOf(renewed);
}

export async function unsubscribe(): Promise<void> {
  if (!pushSupported()) return;
  const ready = registration ?? (await navigator.serviceWorker.ready);
  await (await ready.pushManager.getSubscription())?.unsubscribe();
}
