/**
 * The one request for notification permission a tap makes. WebKit spends a tap's activation on
 * `Notification.requestPermission`, and `PushManager.subscribe` needs one while permission is still "default"
 * (PushManager.cpp: "Push notification prompting can only be done from a user gesture"): called in the same tap,
 * the subscribe is refused. So a tap asks here, once, however many parts of the app want the answer, and
 * subscribing waits for it: once permission is granted, subscribe needs no tap in any engine.
 * (Shared with the service worker's bundle through call-notification.ts; it never calls this.)
 */
type NotificationWithRequest = typeof Notification & { requestPermission?: () => Promise<NotificationPermission> };

let asking: Promise<NotificationPermission> | null = null;

/** Call synchronously in the tap. Resolves at once with a permission already decided (or "denied" without notifications). */
export function askNotificationPermission(): Promise<NotificationPermission> {
  const notification = globalThis.Notification as NotificationWithRequest | undefined;
  if (!notification) return Promise.resolve('denied');
  if (notification.permission !== 'default' || !notification.requestPermission) return Promise.resolve(notification.permission);
  asking ??= notification
    .requestPermission()
    .catch(() => notification.permission)
    .finally(() => (asking = null));
  return asking;
}
