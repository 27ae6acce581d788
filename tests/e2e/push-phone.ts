/**
 * A person's browser as a push client, for the Chromium tests whose names say "stand-in delivery": a page
 * outside Whisper holds a DevTools session, through which a push's plaintext reaches their service worker
 * (ServiceWorker.deliverPushMessage), as their browser would hand it over after decrypting it.
 */
import type { CDPSession, Worker } from '@playwright/test';
import type { PushService, StubSubscription } from '../support/push-service.js';
import { expect } from './fixtures.js';
import { trackShows } from './notifications.js';
import type { Person } from './people.js';

/** The push endpoint Alice's device keeps for a person, read from its IndexedDB. */
export function pushOf(person: Person, name: string): Promise<string | null> {
  return person.page.evaluate(async (who) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('whisper');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const contacts = await new Promise<Array<{ name: string; push?: { endpoint: string } }>>((resolve) => {
      const request = db.transaction('contacts').objectStore('contacts').getAll();
      request.onsuccess = () => resolve(request.result as Array<{ name: string; push?: { endpoint: string } }>);
    });
    db.close();
    return contacts.find((contact) => contact.name === who)?.push?.endpoint ?? null;
  }, name);
}

export interface Phone {
  cdp: CDPSession;
  registrationId: string;
  /** Whisper's service worker as it runs now (the browser stops an idle one and starts it again for a push). */
  worker(): Worker;
}

/** Bob's browser, as the push client: a page outside Whisper holds the DevTools session. */
export async function browserOf(bob: Person, appUrl: string): Promise<Phone> {
  const blank = await bob.context.newPage();
  const cdp = await bob.context.newCDPSession(blank);
  const registrations: Array<{ registrationId: string; scopeURL: string; isDeleted: boolean }> = [];
  cdp.on('ServiceWorker.workerRegistrationUpdated', (event: { registrations: typeof registrations }) => registrations.push(...event.registrations));
  await cdp.send('ServiceWorker.enable');
  await expect.poll(() => registrations.find((r) => r.scopeURL.startsWith(appUrl) && !r.isDeleted)?.registrationId).toBeTruthy();
  const registrationId = registrations.find((r) => r.scopeURL.startsWith(appUrl) && !r.isDeleted)!.registrationId;
  const worker = () => bob.context.serviceWorkers().filter((w) => w.url().startsWith(appUrl)).at(-1)!;
  return { cdp, registrationId, worker };
}

/** Takes the next push the push service received for Bob, decrypts it as his browser would, and hands it to his worker. */
export async function deliverNext(service: PushService, appUrl: string, bob: Phone, subscription: StubSubscription, count: number): Promise<Record<string, unknown>> {
  const received = await service.waitFor(count, 20_000);
  expect(received.problem).toBeNull();
  expect(received.subscription).toBe(subscription.endpoint.split('/').at(-1));
  const plaintext = service.decrypt(subscription, received.body).toString();
  await trackShows(bob.worker());
  await bob.cdp.send('ServiceWorker.deliverPushMessage', { origin: appUrl, registrationId: bob.registrationId, data: plaintext });
  return { ...(JSON.parse(plaintext) as Record<string, unknown>), headers: received.headers };
}

/** Hands `payload` to Bob's worker as a push whose plaintext it is (what anyone holding his subscription could send). */
export async function deliverPlaintext(appUrl: string, bob: Phone, plaintext: string): Promise<void> {
  await trackShows(bob.worker());
  await bob.cdp.send('ServiceWorker.deliverPushMessage', { origin: appUrl, registrationId: bob.registrationId, data: plaintext });
}
