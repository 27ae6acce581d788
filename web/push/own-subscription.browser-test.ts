/**
 * Subscribing from the tap that makes or answers a call, in a browser that behaves as WebKit does (emulated
 * here, in Chromium, and named so): a tap's activation is spent by the first of `Notification.requestPermission`
 * and `PushManager.subscribe`, and subscribe needs one while permission is still "default". The call asks for
 * permission in that tap too, so the app must subscribe only once permission is granted, not beside the request.
 */
import { expect } from 'chai';
import { sendMouse } from '@web/test-runner-commands';
import { askToAnnounceCalls } from '../calls/call-notification.js';
import { subscribeNow, type SubscribeResult } from './own-subscription.js';

declare const describe: (title: string, body: () => void) => void;
declare const it: (title: string, body: () => Promise<void>) => void;

const VAPID_KEY = 'BOr6Z2s8mRmOaRk7tW4u5O2tHkAvtWIRUC3z5kC5pSjRb1Y_4bB0Eu2T9ul7cdlLSEZp4F2cAa8z4q8r1QHuZlE';

/** What the emulated WebKit was asked, in order, and whether a tap's activation was there to spend. */
function emulateWebKit(answer: NotificationPermission, initial: NotificationPermission = 'default'): { calls: string[] } {
  let permission = initial;
  let activation = false;
  const calls: string[] = [];
  window.addEventListener('pointerdown', (event) => (activation ||= event.isTrusted), { capture: true });
  Object.defineProperty(Notification, 'permission', { configurable: true, get: () => permission });
  Notification.requestPermission = async () => {
    calls.push(`requestPermission(${activation ? 'tap' : 'no tap'})`);
    if (!activation) return permission;
    activation = false;
    await new Promise((resolve) => setTimeout(resolve, 20)); // The prompt, answered.
    permission = answer;
    return permission;
  };
  const bytes = (length: number) => new Uint8Array(length).fill(7).buffer;
  const pushManager = {
    subscribe: async () => {
      calls.push(`subscribe(${permission}, ${activation ? 'tap' : 'no tap'})`);
      if (permission === 'default' && !activation) throw new DOMException('Push notification prompting can only be done from a user gesture', 'NotAllowedError');
      activation = false;
      if (permission !== 'granted') throw new DOMException('Permission denied', 'NotAllowedError');
      return { endpoint: 'https://push.example/1', options: {}, getKey: (name: string) => bytes(name === 'p256dh' ? 65 : 16) };
    },
    getSubscription: async () => null,
  };
  Object.defineProperty(navigator.serviceWorker, 'ready', { configurable: true, value: Promise.resolve({ pushManager }) });
  return { calls };
}

/** A real click on a button whose handler does what making a call does: ask to announce calls, then opt in to pushes. */
async function tapCall(): Promise<SubscribeResult> {
  const button = document.createElement('button');
  button.textContent = 'Video call';
  Object.assign(button.style, { position: 'fixed', left: '0', top: '0', width: '40px', height: '40px' });
  document.body.append(button);
  let subscribing: Promise<SubscribeResult> | null = null;
  button.addEventListener('click', () => {
    askToAnnounceCalls();
    subscribing = subscribeNow(VAPID_KEY);
  });
  await sendMouse({ type: 'click', position: [20, 20] });
  button.remove();
  expect(subscribing, 'the click ran the handler').to.not.equal(null);
  return subscribing!;
}

describe('subscribing to push from a call’s tap (WebKit’s activation rules, emulated in Chromium)', () => {
  it('asks for permission once in the tap, and subscribes once it is granted: never both in the same tap', async () => {
    const webkit = emulateWebKit('granted');
    const result = await tapCall();
    expect(webkit.calls).to.deep.equal(['requestPermission(tap)', 'subscribe(granted, no tap)']);
    expect(result.ok).to.equal(true);
  });

  it('says in words that notifications are blocked when the person blocks them at the prompt, and subscribes nothing', async () => {
    const webkit = emulateWebKit('denied');
    const result = await tapCall();
    expect(webkit.calls).to.deep.equal(['requestPermission(tap)']);
    expect(result).to.deep.equal({ ok: false, reason: 'Notifications are blocked for Whisper: allow them in the browser’s site settings.' });
  });

  it('subscribes at once where permission was granted before, without asking again', async () => {
    const webkit = emulateWebKit('granted', 'granted');
    const result = await tapCall();
    expect(webkit.calls).to.deep.equal(['subscribe(granted, tap)']);
    expect(result.ok).to.equal(true);
  });
});
