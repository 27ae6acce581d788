/**
 * This device's mailbox keys in a real browser's IndexedDB and WebCrypto: kept across a reopened database
 * (a restart), the private key never readable yet still opening entries, rotation and deletion on time,
 * and what is exchanged with each contact, by device key, discarded when their key changes.
 */
import { expect } from 'chai';
import { randomId } from '../identity/random-id.js';
import { openDatabase, type WhisperDatabase } from '../storage/database.js';
import { keyDeleteAt, MAILBOX_KEY_ROTATE_MS, MailboxKeys, secretHash } from './mailbox-keys.js';
import { mailboxFrame, parseMailboxFrame } from './mailbox-wire.js';
import { open, seal, type MailboxMessage } from './sealed-entry.js';

declare const describe: (title: string, body: () => void) => void;
declare const it: (title: string, body: () => void | Promise<void>) => void;

const ALICE = 'A1'.repeat(32);
const BOB = '5C3F'.repeat(16);
const CAROL = 'C3'.repeat(32);
const DAY = 24 * 3600 * 1000;

const hello: MailboxMessage = { kind: 'message', id: 'bWVzc2FnZS0wMDAwMDAwMQ', sentAt: 1_767_225_600_000, text: 'Are you free tonight?' };

/** Bob's device, on a clock the test moves. */
async function bobsDevice(name = `mailbox-keys-${randomId(8)}`) {
  const clock = { now: 1_767_225_600_000 };
  const db = await openDatabase(name);
  return { name, db, clock, keys: new MailboxKeys(db, { now: () => clock.now }) };
}

/** What Alice seals for Bob with what his device handed her. */
async function fromAlice(keys: MailboxKeys): Promise<Uint8Array> {
  const target = await keys.targetFor(ALICE);
  const result = await seal(hello, target, { macKey: target.macKey, sender: ALICE, recipient: BOB });
  if (!result.ok) throw new Error(result.reason);
  return result.entry;
}

async function opens(keys: MailboxKeys, entry: Uint8Array) {
  return open(entry, { device: BOB, keys: await keys.keys() }, (sender) => keys.macKeyOf(sender));
}

function reopen(db: WhisperDatabase, name: string, now: () => number) {
  db.close();
  return openDatabase(name).then((again) => ({ db: again, keys: new MailboxKeys(again, { now }) }));
}

describe('MailboxKeys', () => {
  it('keeps the address, the key pair and the grants across a reopened database; the private key is never readable but opens entries', async () => {
    const { name, db, clock, keys } = await bobsDevice();
    const address = await keys.address();
    expect(address.mailbox).to.match(/^[A-Za-z0-9_-]{22}$/);
    expect(address.readSecret).to.match(/^[A-Za-z0-9_-]{43}$/);
    const entry = await fromAlice(keys);
    const [key] = await keys.keys();
    const grant = await keys.grantFor(ALICE);

    const again = await reopen(db, name, () => clock.now);
    expect(await again.keys.address()).to.deep.equal(address);
    expect(await again.keys.grantFor(ALICE)).to.deep.equal(grant);
    const [kept] = await again.keys.keys();
    expect(kept!.id).to.equal(key!.id);
    expect(kept!.privateKey.extractable).to.equal(false);
    let exported: unknown = null;
    for (const format of ['pkcs8', 'jwk', 'raw'] as const) {
      try {
        exported = await crypto.subtle.exportKey(format, kept!.privateKey);
      } catch (error) {
        expect((error as DOMException).name, format).to.equal('InvalidAccessError');
      }
    }
    expect(exported).to.equal(null);
    expect(await opens(again.keys, entry)).to.deep.equal({ ok: true, sender: ALICE, conversation: ALICE, message: hello });
    again.db.close();
  });

  it('hands out one key for a day, then a new one; an entry sealed to the previous key opens until that key’s lifetime ends', async () => {
    const { clock, keys } = await bobsDevice();
    const first = await keys.current();
    expect((await keys.current()).id).to.equal(first.id);
    const toFirst = await fromAlice(keys);
    clock.now += MAILBOX_KEY_ROTATE_MS;
    const second = await keys.current();
    expect(second.id).to.not.equal(first.id);
    expect((await keys.targetFor(CAROL)).key).to.equal(second.publicKey);
    const toSecond = await fromAlice(keys);
    // Asked: a new key at once, the others kept.
    const third = await keys.rotate();
    expect((await keys.current()).id).to.equal(third.id);
    expect((await keys.keys()).map((key) => key.id).sort()).to.deep.equal([first.id, second.id, third.id].sort());

    clock.now = keyDeleteAt(first) - 1;
    expect(await opens(keys, toFirst)).to.include({ ok: true });
    clock.now = keyDeleteAt(first);
    expect(await opens(keys, toFirst)).to.deep.equal({ ok: false, reason: 'unknown-key' });
    expect((await keys.keys()).map((key) => key.id)).to.not.include(first.id);
    expect(await opens(keys, toSecond)).to.include({ ok: true });
    // Handing out a key past its day makes a new one, and lets the old ones go on time.
    clock.now = keyDeleteAt(third);
    const fresh = await keys.current();
    expect((await keys.keys()).map((key) => key.id)).to.deep.equal([fresh.id]);
    expect(fresh.expires).to.equal(clock.now + 7 * DAY);
  });

  it('grants each contact its own capability and MAC key, and tells the server only their hashes', async () => {
    const { keys } = await bobsDevice();
    const alice = await keys.grantFor(ALICE);
    const carol = await keys.grantFor(CAROL);
    expect(alice.capability).to.not.equal(carol.capability);
    expect(alice.macKey).to.not.equal(carol.macKey);
    expect(await keys.macKeyOf(ALICE)).to.equal(alice.macKey);
    expect(await keys.macKeyOf('EE'.repeat(32))).to.equal(null);
    expect((await keys.writers()).sort()).to.deep.equal([await secretHash(alice.capability), await secretHash(carol.capability)].sort());
    // The frame handed to Alice carries her grant and the current key, and parses as her device will parse it.
    const frame = mailboxFrame(await keys.targetFor(ALICE));
    expect(await parseMailboxFrame(JSON.stringify(frame))).to.deep.equal(frame);
    expect(frame).to.include({ capability: alice.capability, macKey: alice.macKey, mailbox: (await keys.address()).mailbox });
    let refused = false;
    await keys.grantFor('Alice').catch(() => (refused = true));
    expect(refused, 'a name is no device key').to.equal(true);
  });

  it('keeps what each contact hands over by their device key, while its key may be sealed to, until withdrawn or their key changes', async () => {
    const { clock, keys } = await bobsDevice();
    const alices = await bobsDevice();
    const handed = await alices.keys.targetFor(BOB);
    await keys.received(ALICE, mailboxFrame(handed));
    expect(await keys.targetOf(ALICE)).to.deep.equal(handed);
    expect(await keys.targetOf(CAROL)).to.equal(null);

    // Bob writes into Alice's mailbox; her device opens it as from Bob.
    const result = await seal(hello, (await keys.targetOf(ALICE))!, { macKey: handed.macKey, sender: BOB, recipient: ALICE });
    if (!result.ok) throw new Error(result.reason);
    const opened = await open(result.entry, { device: ALICE, keys: await alices.keys.keys() }, (sender) => alices.keys.macKeyOf(sender));
    expect(opened).to.deep.equal({ ok: true, sender: BOB, conversation: BOB, message: hello });

    clock.now = handed.expires;
    expect(await keys.targetOf(ALICE), 'past its key’s expiry').to.equal(null);
    clock.now = handed.expires - DAY;
    await keys.received(ALICE, mailboxFrame(null));
    expect(await keys.targetOf(ALICE), 'withdrawn').to.equal(null);

    // "Key changed": everything exchanged with Alice goes, both ways.
    await keys.received(ALICE, mailboxFrame(handed));
    const entry = await fromAlice(keys);
    const capability = (await keys.grantFor(ALICE)).capability;
    await keys.forget(ALICE);
    expect(await keys.targetOf(ALICE)).to.equal(null);
    expect(await keys.macKeyOf(ALICE)).to.equal(null);
    expect(await keys.writers()).to.not.include(await secretHash(capability));
    expect(await opens(keys, entry)).to.deep.equal({ ok: false, reason: 'unknown-sender' });
    expect((await keys.grantFor(ALICE)).capability, 'a new grant if the new key is accepted').to.not.equal(capability);
  });
});
