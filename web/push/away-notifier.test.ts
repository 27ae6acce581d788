import { createECDH, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { PushResultMessage } from '../../signal/protocol/messages.js';
import type { ContactStore } from '../storage/contact-store.js';
import type { Contact } from '../storage/database.js';
import type { SettingsStore } from '../storage/settings-store.js';
import { AwayNotifier, type PushChannel } from './away-notifier.js';
import { CALL_PUSH_TTL_S, ENDED_PUSH_TTL_S, MESSAGE_PUSH_TTL_S, newPushSecret } from './push-wire.js';

/** Bob's contact on Alice's device, with a subscription whose keys are real (the pushes are encrypted for it). */
function bobWithSubscription(): Contact {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return {
    device: 'bob',
    name: 'Bob',
    rooms: ['room'],
    lastSeen: 0,
    push: { endpoint: 'https://push.example/bob', p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url'), key: newPushSecret() },
  };
}

/**
 * Alice's notifier, with a contact store and a server that write down, in one trace, every read of Bob's
 * contact and every push the server is asked for and answers (at once, "sent").
 */
function aliceNotifier(): { notifier: AwayNotifier; trace: string[] } {
  const trace: string[] = [];
  let bob = bobWithSubscription();
  const contacts = {
    get: async (device: string) => {
      trace.push(`read ${device}`);
      return device === 'bob' ? structuredClone(bob) : undefined;
    },
    update: async (device: string, change: Partial<Contact>) => {
      if (device === 'bob') bob = { ...bob, ...change };
    },
  } as unknown as ContactStore;
  const kinds = new Map([
    [CALL_PUSH_TTL_S, 'call'],
    [ENDED_PUSH_TTL_S, 'call-ended'],
    [MESSAGE_PUSH_TTL_S, 'message'],
  ]);
  const server: PushChannel = {
    vapidPublicKey: 'key',
    selfId: 'alice-peer',
    push: async (request) => {
      trace.push(`push ${kinds.get(request.ttl)}`);
      await Promise.resolve();
      trace.push(`answered ${kinds.get(request.ttl)}`);
      return { type: 'push-result', id: 'p', outcome: 'sent' } satisfies PushResultMessage;
    },
  };
  const notifier = new AwayNotifier({
    room: 'room',
    device: 'alice',
    name: 'Alice',
    onlyVerified: () => false,
    contacts,
    settings: {} as SettingsStore,
    server,
    send: () => true,
    connected: () => [],
    origin: 'https://whisper.example',
  });
  return { notifier, trace };
}

describe('AwayNotifier', () => {
  it('pushes to one device one at a time, in the order asked for: a call’s “ended” is not even prepared before the server answered for its ringing', async () => {
    const { notifier, trace } = aliceNotifier();
    const call = { id: 'AAAAAAAAAAAAAAAAAAAAAA', device: 'bob', video: true };
    const ringing = notifier.ring(call);
    const ended = notifier.callEnded(call);
    await Promise.all([ringing, ended]);
    expect(trace).toEqual(['read bob', 'push call', 'answered call', 'read bob', 'push call-ended', 'answered call-ended']);
  });

  it('decides on a waiting message after the pushes asked for before it: told once, then nothing for the next message', async () => {
    const { notifier, trace } = aliceNotifier();
    const call = { id: 'AAAAAAAAAAAAAAAAAAAAAA', device: 'bob', video: false };
    await Promise.all([notifier.ring(call), notifier.messageWaiting('bob'), notifier.messageWaiting('bob')]);
    expect(trace).toEqual(['read bob', 'push call', 'answered call', 'read bob', 'read bob', 'push message', 'answered message', 'read bob']);
  });
});
