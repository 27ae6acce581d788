/**
 * Reaching people whose app is closed, through Web Push, for one room:
 *
 * - This device's subscription goes to each person over the data channel
 *   (`push-sub`) when a connection whose key DTLS proved opens, with a secret
 *   for that person alone (their pushes are shown only when signed with it:
 *   trusted-push.ts); theirs is kept with their contact. The signal server
 *   never holds a subscription. The person can take it back from one contact
 *   (`withdraw`): the subscription is then replaced, and the new one goes to
 *   everyone else.
 * - A call to someone offline, or whose app does not say it rings within a
 *   moment, is pushed to their device: encrypted here (RFC 8291) for their
 *   subscription, relayed by the server. When it ends unanswered, a second push
 *   with the same topic turns the ringing into a missed call.
 * - A message that waits for someone away is announced once ("New message from
 *   Alice", no content) until they are connected again.
 *
 * Opting in (`optIn`) must be called from a click handler: see own-subscription.ts.
 */
import type { PushResultMessage } from '../../signal/protocol/messages.js';
import { TypedEventTarget } from '../events/typed-event-target.js';
import { isVerifiedContact, type ContactStore } from '../storage/contact-store.js';
import type { SettingsStore } from '../storage/settings-store.js';
import { toBase64url } from './base64url.js';
import { currentSubscription, preparePush, pushSupported, renewSubscription, subscribeNow, unsubscribe, type SubscribeResult } from './own-subscription.js';
import { CALL_PUSH_TTL_S, ENDED_PUSH_TTL_S, MESSAGE_PUSH_TTL_S, buildPushPayload, callTopic, newPushSecret, signPush, type PushSubFrame, type PushSubscriptionKeys, type UnsignedPushData } from './push-wire.js';

export interface PushChannel {
  /** The server's VAPID key; null when it sends no pushes. */
  readonly vapidPublicKey: string | null;
  /** This device's peer id in the room. */
  readonly selfId: string | null;
  push(request: { endpoint: string; ciphertext: string; ttl: number; urgency: 'very-low' | 'low' | 'normal' | 'high'; topic?: string }): Promise<PushResultMessage>;
}

export interface AwayNotifierOptions {
  room: string;
  /** This device's key: pushes name it as their sender. */
  device: string;
  /** This person's display name, as the others see it. */
  name: string;
  /** "Only connect to verified contacts": the subscription goes to verified contacts only. */
  onlyVerified(): boolean;
  contacts: ContactStore;
  settings: SettingsStore;
  server: PushChannel;
  /** Writes a `push-sub` frame to the device's open chat channel; false when there is none. */
  send(device: string, frame: PushSubFrame): boolean;
  /** The devices with an open, verified chat channel. */
  connected(): string[];
  origin?: string;
}

export interface AwayNotifierEventMap {
  /** Something the person should be told, in words. */
  'wh-away-notice': CustomEvent<string>;
  /** Whether this device is subscribed changed. */
  'wh-away-state': CustomEvent<boolean>;
  /** A person's device gave or withdrew its subscription (or the push service said it is gone). */
  'wh-away-contact': CustomEvent<{ device: string; pushable: boolean }>;
}

export interface RingableCall {
  id: string;
  device: string;
  video: boolean;
}

export class AwayNotifier extends TypedEventTarget<AwayNotifierEventMap> {
  readonly #options: AwayNotifierOptions;
  #own: PushSubscriptionKeys | null = null;
  /** "Notify me when I'm away": null until the person decided (a call made or answered says yes). Read on welcome. */
  #setting: boolean | null = null;
  #checked: Promise<void> | null = null;
  /** Bumped by every change of this device's subscription, so that an older read does not undo a newer change. */
  #generation = 0;
  /** Per device, the last push asked for (see #inTurn). */
  readonly #turns = new Map<string, Promise<unknown>>();

  constructor(options: AwayNotifierOptions) {
    super();
    this.#options = options;
    preparePush();
  }

  /** Whether this device would be notified while away. */
  get subscribed(): boolean {
    return this.#own !== null;
  }

  /** Whether the server sends pushes at all (it gave a VAPID key). */
  get available(): boolean {
    return pushSupported() && this.#options.server.vapidPublicKey !== null;
  }

  /** Welcomed by the server: reads this device's subscription (renewing it for a new server key) and hands it out again. */
  welcomed(): void {
    const key = this.#options.server.vapidPublicKey;
    if (!key || !pushSupported()) return;
    const generation = ++this.#generation;
    this.#checked = (async () => {
      const setting = await this.#options.settings.get('notifyWhenAway');
      const own = setting ? await currentSubscription(key) : null;
      // The person changed it meanwhile (a click subscribed or turned it off): theirs is the newer word.
      if (generation !== this.#generation) return;
      this.#setting = setting;
      this.#own = own;
      this.emit('wh-away-state', this.#own !== null);
      this.#shareWithAll();
    })();
  }

  /** The setting: on subscribes (call from the change handler), off unsubscribes and tells everyone. */
  async setEnabled(on: boolean, subscribing?: Promise<SubscribeResult> | null): Promise<SubscribeResult | null> {
    this.#generation++;
    this.#setting = on;
    await this.#options.settings.set('notifyWhenAway', on);
    if (!on) {
      this.#own = null;
      await unsubscribe().catch(() => undefined);
      this.emit('wh-away-state', false);
      this.#shareWithAll();
      return null;
    }
    const result = await (subscribing ?? this.subscribeInGesture());
    if (!result) return null;
    if (result.ok) this.#adopt(result.keys);
    else {
      this.#setting = false;
      await this.#options.settings.set('notifyWhenAway', false);
      this.emit('wh-away-notice', result.reason);
    }
    this.emit('wh-away-state', this.#own !== null);
    return result;
  }

  /** The synchronous first half of subscribing, for click handlers; null when the server sends no pushes. */
  subscribeInGesture(): Promise<SubscribeResult> | null {
    const key = this.#options.server.vapidPublicKey;
    return key ? subscribeNow(key) : null;
  }

  /** A call was made or answered (a click): subscribe unless the person said no. Call synchronously in the handler. */
  optInFromCall(): void {
    if (this.#own || !this.available || this.#setting === false) return;
    const known = globalThis.Notification?.permission;
    const subscribing = this.subscribeInGesture();
    if (!subscribing) return;
    void subscribing.then(async (result) => {
      if (!result.ok) {
        // Said in words, unless the person had blocked notifications before this tap (the switch shows it).
        if (known !== 'denied') this.emit('wh-away-notice', `Calls and messages cannot reach you while Whisper is closed. ${result.reason}`);
        return;
      }
      this.#setting = true;
      await this.#options.settings.set('notifyWhenAway', true);
      this.#adopt(result.keys);
      this.emit('wh-away-state', true);
    });
  }

  /**
   * Hands this device's subscription (or its absence) to the device, on its open channel, with the secret
   * that device signs its pushes with (made once per contact). None goes to a contact it was taken back from,
   * nor, with "Only connect to verified contacts" on, to one not verified.
   */
  async shareWith(device: string): Promise<void> {
    if (!this.#options.server.vapidPublicKey) return;
    const own = this.#own;
    const contact = await this.#options.contacts.get(device);
    if (!own || !contact || contact.pushWithdrawn || (this.#options.onlyVerified() && !isVerifiedContact(contact))) {
      this.#options.send(device, { t: 'push-sub', endpoint: null });
      return;
    }
    let key = contact.pushSecret;
    if (!key) {
      key = newPushSecret();
      await this.#options.contacts.update(device, { pushSecret: key });
    }
    // The subscription may have changed during the awaits: the newer one goes (or went) out with #shareWithAll.
    if (this.#own === own) this.#options.send(device, { t: 'push-sub', ...own, key });
  }

  /** Whether the person took this device's subscription back from the contact. */
  async withdrawn(device: string): Promise<boolean> {
    return (await this.#options.contacts.get(device))?.pushWithdrawn === true;
  }

  /**
   * Takes this device's subscription back from the contact (call from the click handler: a new subscription is
   * made, and the browser may want a gesture for it), or gives it to them again. Taken back, their pushes are no
   * longer shown, and the subscription they hold is replaced by a new one that goes to everyone else.
   */
  async withdraw(device: string, withdraw: boolean): Promise<void> {
    if (!withdraw) {
      await this.#options.contacts.update(device, { pushWithdrawn: undefined });
      await this.shareWith(device);
      return;
    }
    // Their secret goes too: given back later, they get a new one.
    await this.#options.contacts.update(device, { pushWithdrawn: true, pushSecret: undefined });
    this.#options.send(device, { t: 'push-sub', endpoint: null });
    const key = this.#options.server.vapidPublicKey;
    if (!this.#own || !key) return;
    const generation = ++this.#generation;
    const renewed = await renewSubscription(key).catch(() => null);
    if (generation !== this.#generation) return;
    this.#own = renewed;
    this.emit('wh-away-state', renewed !== null);
    if (!renewed) this.emit('wh-away-notice', 'Whisper could not make a new subscription for notifications: turn “Notify me when I’m away” on again.');
    this.#shareWithAll();
  }

  /** Their subscription arrived (or its absence). */
  async received(device: string, frame: PushSubFrame): Promise<void> {
    const push = 'p256dh' in frame ? { endpoint: frame.endpoint, p256dh: frame.p256dh, auth: frame.auth, key: frame.key } : undefined;
    await this.#options.contacts.update(device, { push });
    this.emit('wh-away-contact', { device, pushable: push !== undefined });
  }

  /** They are connected: they have seen what waited for them, and may be told of the next message again. */
  async connected(device: string): Promise<void> {
    await this.#checked;
    await this.shareWith(device);
    const contact = await this.#options.contacts.get(device);
    if (contact?.messagePushed) await this.#options.contacts.update(device, { messagePushed: undefined });
  }

  /** Rings the device's closed app. Resolves true when the push went out. */
  async ring(call: RingableCall): Promise<boolean> {
    const caller = this.#options.server.selfId;
    if (!caller) return false;
    return this.#inTurn(call.device, () => {
      const data: UnsignedPushData = { kind: 'call', room: this.#options.room, sender: this.#options.device, call: call.id, caller, video: call.video, expires: Date.now() + CALL_PUSH_TTL_S * 1000 };
      return this.#push(call.device, data, CALL_PUSH_TTL_S, 'high', callTopic(call.id));
    });
  }

  /** A call that `ring` pushed ended unanswered: its notification becomes a missed call. */
  async callEnded(call: RingableCall): Promise<void> {
    await this.#inTurn(call.device, () => this.#push(call.device, { kind: 'call-ended', room: this.#options.room, sender: this.#options.device, call: call.id, video: call.video }, ENDED_PUSH_TTL_S, 'high', callTopic(call.id)));
  }

  /** A message waits for the device: tell them once, until they are connected again. */
  messageWaiting(device: string): Promise<void> {
    // Decided in turn too: the push of an earlier message may still be on its way, and may fail.
    return this.#inTurn(device, async () => {
      const contact = await this.#options.contacts.get(device);
      if (!contact?.push || contact.messagePushed) return;
      await this.#options.contacts.update(device, { messagePushed: true });
      const sent = await this.#push(device, { kind: 'message', room: this.#options.room, sender: this.#options.device }, MESSAGE_PUSH_TTL_S, 'normal');
      if (!sent) await this.#options.contacts.update(device, { messagePushed: undefined });
    });
  }

  /**
   * Pushes to one device go out one at a time, each once the server said what became of the one before, in the
   * order they were asked for. A call's "ended" carries the ringing's topic, and a push service keeps the later
   * of two with one topic: sent side by side, the ringing could arrive second and ring for a call that is over.
   */
  #inTurn<T>(device: string, work: () => Promise<T>): Promise<T> {
    const turn = (this.#turns.get(device) ?? Promise.resolve()).then(work);
    const settled = turn.catch(() => undefined);
    this.#turns.set(device, settled);
    void settled.then(() => {
      if (this.#turns.get(device) === settled) this.#turns.delete(device);
    });
    return turn;
  }

  #adopt(keys: PushSubscriptionKeys): void {
    this.#generation++;
    this.#own = keys;
    this.#shareWithAll();
  }

  #shareWithAll(): void {
    for (const device of this.#options.connected()) void this.shareWith(device);
  }

  async #push(device: string, data: UnsignedPushData, ttl: number, urgency: 'normal' | 'high', topic?: string): Promise<boolean> {
    const contact = await this.#options.contacts.get(device);
    const target = contact?.push;
    if (!target || !this.#options.server.vapidPublicKey) return false;
    const { encryptPush } = await import('./push-crypto.js');
    const signed = await signPush(data, target.key);
    const body = await encryptPush(target, buildPushPayload(this.#options.origin ?? location.origin, signed, this.#options.name));
    const result = await this.#options.server.push({ endpoint: target.endpoint, ciphertext: toBase64url(body), ttl, urgency, ...(topic ? { topic } : {}) });
    if (result.outcome === 'gone') {
      await this.#options.contacts.update(device, { push: undefined });
      this.emit('wh-away-contact', { device, pushable: false });
      this.emit('wh-away-notice', `${contact.name} can’t be reached while they’re away: their device no longer takes notifications from Whisper.`);
    } else if (result.outcome !== 'sent') {
      console.warn(`whisper: a push to ${contact.name} was not sent (${result.outcome}${result.message ? `: ${result.message}` : ''})`);
    }
    return result.outcome === 'sent';
  }
}
