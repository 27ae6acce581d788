/**
 * What the service worker believes of a push, against this browser's IndexedDB and WebCrypto: the sender's
 * signature with the secret given to them alone, the room, a taken-back subscription, "Only connect to
 * verified contacts"; and the Accept it records, taken once.
 */
import { expect } from 'chai';
import { recordPendingAnswer, takePendingAnswer } from '../calls/pending-answer.js';
import { randomId } from '../identity/random-id.js';
import { ContactStore } from '../storage/contact-store.js';
import { openDatabase, type WhisperDatabase } from '../storage/database.js';
import { newPushSecret, signPush, type PushData, type UnsignedPushData } from './push-wire.js';
import { trustedPushSender } from './trusted-push.js';

declare const describe: (title: string, body: () => void) => void;
declare const it: (title: string, body: () => void | Promise<void>) => void;

const ALICE = 'A1'.repeat(32);
const MALLORY = 'C3'.repeat(32);
const ROOM = 'Zm9vYmFyYmF6cXV4MTIzNA';
const OTHER_ROOM = 'cXV4YmF6YmFyZm9vMTIzNA';

async function bobsDevice(): Promise<{ db: WhisperDatabase; contacts: ContactStore; secrets: Record<string, string> }> {
  const db = await openDatabase(`trusted-push-${randomId(8)}`);
  const contacts = new ContactStore(db);
  const secrets = { [ALICE]: newPushSecret(), [MALLORY]: newPushSecret() };
  await contacts.saw(ALICE, 'Alice', ROOM);
  await contacts.saw(MALLORY, 'Mallory', ROOM);
  for (const [device, pushSecret] of Object.entries(secrets)) await contacts.update(device, { pushSecret });
  return { db, contacts, secrets };
}

const call = (sender: string, room = ROOM): UnsignedPushData => ({ kind: 'call', room, sender, call: 'CCCCCCCCCCCCCCCCCCCCCC', caller: 'peer-id-0001', video: true, expires: Date.now() + 45_000 });

describe('trustedPushSender', () => {
  it('names the contact a push is signed by, under the name kept for them', async () => {
    const { db, secrets } = await bobsDevice();
    expect(await trustedPushSender(db, await signPush(call(ALICE), secrets[ALICE]!))).to.deep.equal({ device: ALICE, name: 'Alice' });
    expect(await trustedPushSender(db, await signPush({ kind: 'message', room: ROOM, sender: ALICE }, secrets[ALICE]!))).to.deep.equal({ device: ALICE, name: 'Alice' });
  });

  it('refuses a push signed with another contact’s secret, a changed field, or no contact at all', async () => {
    const { db, secrets } = await bobsDevice();
    expect(await trustedPushSender(db, await signPush(call(ALICE), secrets[MALLORY]!))).to.equal(null);
    const signed = await signPush(call(ALICE), secrets[ALICE]!);
    for (const change of [{ call: 'DDDDDDDDDDDDDDDDDDDDDD' }, { video: false }, { caller: 'peer-id-0002' }, { expires: Date.now() + 3_600_000 }]) {
      expect(await trustedPushSender(db, { ...signed, ...change } as PushData), JSON.stringify(change)).to.equal(null);
    }
    expect(await trustedPushSender(db, await signPush(call('EE'.repeat(32)), secrets[ALICE]!))).to.equal(null);
  });

  it('refuses a room this device never met the sender in', async () => {
    const { db, secrets } = await bobsDevice();
    expect(await trustedPushSender(db, await signPush(call(ALICE, OTHER_ROOM), secrets[ALICE]!))).to.equal(null);
  });

  it('refuses a contact the subscription was taken back from, and, with only verified contacts, one not verified', async () => {
    const { db, contacts, secrets } = await bobsDevice();
    const fromAlice = await signPush(call(ALICE), secrets[ALICE]!);
    await db.put('settings', true, 'onlyVerified');
    expect(await trustedPushSender(db, fromAlice)).to.equal(null);
    await contacts.update(ALICE, { verified: { key: ALICE, at: Date.now(), name: 'Alice' } });
    expect(await trustedPushSender(db, fromAlice)).to.deep.equal({ device: ALICE, name: 'Alice' });
    await contacts.update(ALICE, { pushWithdrawn: true });
    expect(await trustedPushSender(db, fromAlice)).to.equal(null);
  });
});

describe('the Accept recorded by the worker', () => {
  it('is taken once, for its room, within its window', async () => {
    const { db } = await bobsDevice();
    const answer = { call: 'CCCCCCCCCCCCCCCCCCCCCC', room: ROOM, device: ALICE, until: Date.now() + 45_000 };
    await recordPendingAnswer(db, answer);
    expect(await takePendingAnswer(db, OTHER_ROOM)).to.equal(null);
    expect(await takePendingAnswer(db, ROOM)).to.deep.equal(answer);
    expect(await takePendingAnswer(db, ROOM)).to.equal(null);
    await recordPendingAnswer(db, { ...answer, until: Date.now() - 1 });
    expect(await takePendingAnswer(db, ROOM)).to.equal(null);
    await recordPendingAnswer(db, { ...answer, device: 'not a key' });
    expect(await takePendingAnswer(db, ROOM)).to.equal(null);
  });
});
