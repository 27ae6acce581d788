/**
 * Reading a device's mailbox (`collectMailbox`) in a real browser's IndexedDB and WebCrypto: Alice and Carol
 * leave sealed entries for Bob (`depositFor`, as their apps do while his is closed) on a server stand-in that
 * answers as the signal server's mailbox API, each device with its own database. What Bob's device stores, what
 * it leaves on the server, and what it tells each writer, read from their own devices.
 */
import { expect } from 'chai';
import { roomConversation } from '../chat/room-wire.js';
import { randomId } from '../identity/random-id.js';
import type { StoredMessage } from '../storage/database.js';
import { MessageStore } from '../storage/message-store.js';
import { collectMailbox, type InboxOptions } from './mailbox-inbox.js';
import { depositFor } from './mailbox-outbox.js';
import { MailboxServerStandIn } from './mailbox-server-test-support.js';
import { ALICE, BOB, CAROL, device, handOver, mailboxOf, meet, ORIGIN, pushSubscription, ROOM, type Device } from './mailbox-test-support.js';
import { seal, type MailboxMessage } from './sealed-entry.js';

declare const describe: (title: string, body: () => void) => void;
declare const it: (title: string, body: () => Promise<void>) => void;

const OTHER_ROOM = 'b3RoZXJyb29tb3RoZXJyb29t';

const message = (text: string, id = randomId(16)): Extract<MailboxMessage, { kind: 'message' }> => ({ kind: 'message', id, sentAt: Date.now(), text });

/** Bob, and Alice and Carol, who met him in ROOM: each has handed the others a mailbox on the same server. */
async function people() {
  const server = new MailboxServerStandIn();
  const [alice, bob, carol] = await Promise.all([device(server, ALICE, 'Alice'), device(server, BOB, 'Bob'), device(server, CAROL, 'Carol')]);
  for (const writer of [alice, carol]) {
    await handOver(bob, writer);
    await handOver(writer, bob);
    await meet(bob, writer, [ROOM]);
    await meet(writer, bob, [ROOM]);
  }
  return { server, alice, bob, carol };
}

/** Reads the reader's mailbox, then sends the receipts, as the page and the worker do (the worker shows its notification in between). */
const collect = async (reader: Device, options: Partial<InboxOptions> = {}) => {
  const result = await collectMailbox({ db: reader.db, device: reader.device, client: reader.client, origin: ORIGIN, ...options });
  await result.sendReceipts();
  return result;
};
const history = (of: Device, conversation: string) => new MessageStore(of.db).history(conversation);

/** An own message (unless `also` says otherwise), as the writer's chat stored it before it went to the mailbox. */
async function written(by: Device, conversation: string, text: string, also: Partial<StoredMessage> = {}): Promise<StoredMessage> {
  const stored: StoredMessage = { id: randomId(16), conversation, direction: 'out', text, sentAt: Date.now(), at: Date.now(), status: 'sent', receiptSent: 0, ...also };
  await new MessageStore(by.db).add(stored);
  return stored;
}

/** A device whose disk is full for new messages: IndexedDB refuses to add one, as it does when the quota is used up. */
function diskFull(of: Device): () => void {
  const add = IDBObjectStore.prototype.add;
  IDBObjectStore.prototype.add = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['add']>) {
    if (this.name === 'messages' && this.transaction.db.name === of.db.name) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    return add.apply(this, args);
  };
  return () => (IDBObjectStore.prototype.add = add);
}

describe('collectMailbox, on a server stand-in', () => {
  it('stores what two writers left once each, in the order written, as come through the mailbox, then deletes it from the server', async () => {
    const { server, alice, bob, carol } = await people();
    const [one, hi, two] = [message('Are you free tonight?'), message('Hi Bob, Carol here'), message('Dinner at eight?')];
    await depositFor(alice.outbox, BOB, [one], 'message');
    await depositFor(carol.outbox, BOB, [hi], 'message');
    await depositFor(alice.outbox, BOB, [two], 'message');
    // Alice's device deposited `one` again (it never heard the server's first answer).
    await depositFor(alice.outbox, BOB, [one], 'message');
    expect(server.entries(bob.mailbox)).to.have.length(4);

    const result = await collect(bob);
    expect(result.stored.map((m) => m.text)).to.deep.equal([one.text, hi.text, two.text]);
    expect(result.refused).to.deep.equal([]);
    const shown = (m: StoredMessage) => ({ id: m.id, text: m.text, sentAt: m.sentAt, direction: m.direction, status: m.status, via: m.via });
    const came = (m: MailboxMessage & { text: string }) => ({ id: m.id, text: m.text, sentAt: m.sentAt, direction: 'in', status: 'delivered', via: 'mailbox' });
    expect((await history(bob, ALICE)).map(shown)).to.deep.equal([came(one), came(two)]);
    expect((await history(bob, CAROL)).map(shown)).to.deep.equal([came(hi)]);
    expect(await bob.db.count('messages')).to.equal(3);
    expect(server.entries(bob.mailbox), 'deleted once stored').to.deep.equal([]);
    expect((await collect(bob)).stored, 'nothing more').to.deep.equal([]);
  });

  it('keeps the order written in the stored history when every message is stored in the same millisecond (a stopped clock)', async () => {
    const { alice, bob } = await people();
    // Ids that sort against the order written: the store must not fall back on them.
    const written = ['z', 'y', 'x', 'w'].map((letter, i) => message(`message ${i + 1}`, letter.repeat(22)));
    await depositFor(alice.outbox, BOB, written, 'message');
    const stopped = Date.now();
    await collect(bob, { now: () => stopped });
    // What the conversation shows once the app opens again (read from the store, in the order stored).
    expect((await history(bob, ALICE)).map((m) => m.text)).to.deep.equal(['message 1', 'message 2', 'message 3', 'message 4']);
  });

  it('stores an entry that came in a push and also waits on the server once, and deletes it there', async () => {
    const { server, alice, bob } = await people();
    const bobsBrowser = await pushSubscription();
    await meet(alice, bob, [ROOM], bobsBrowser.target);
    const hello = message('Are you there?');
    expect(await depositFor(alice.outbox, BOB, [hello], 'message')).to.deep.equal({ ok: true, deposited: [hello.id] });
    // Alice's device asked the server to wake Bob's: a push to his subscription, carrying the entry.
    expect(server.pushes.map((push) => ({ endpoint: push.endpoint, urgency: push.urgency }))).to.deep.equal([{ endpoint: bobsBrowser.target.endpoint, urgency: 'high' }]);
    const { data } = (await bobsBrowser.read(server.pushes[0]!.ciphertext)).notification;
    expect(data).to.include({ kind: 'message', room: ROOM, sender: ALICE });
    expect(data.kind === 'message' && data.entry).to.be.a('string');
    expect(server.entries(bob.mailbox)).to.have.length(1);

    const result = await collect(bob, { pushed: (data as { entry: string }).entry });
    expect(result).to.include({ pushedOpened: true, pushedRefused: false });
    expect(result.stored.map((m) => m.id)).to.deep.equal([hello.id]);
    expect((await history(bob, ALICE)).map((m) => m.text)).to.deep.equal([hello.text]);
    expect(server.entries(bob.mailbox)).to.deep.equal([]);
  });

  it('deletes unread, and never stores, an entry with another writer’s MAC, one sealed to a key it lacks, one for another device, and a room message from someone not met in that room', async () => {
    const { server, alice, bob, carol } = await people();
    const dave = await device(server, 'D4'.repeat(32), 'Dave');
    const [toBob, toCarol, toDave] = await Promise.all([alice.keys.targetOf(BOB), carol.keys.targetOf(BOB), dave.keys.targetFor(ALICE)]);
    const forge = async (text: string, to: { key: string; auth: string }, mac: { macKey: string; recipient: string }, capability: string) => {
      const sealed = await seal(message(text), to, { ...mac, sender: ALICE });
      if (!sealed.ok) throw new Error(sealed.reason);
      const answer = await carol.client.deposit(bob.mailbox, capability, sealed.entry as Uint8Array<ArrayBuffer>);
      if (!answer.ok) throw new Error(answer.message);
    };
    // Carol, a writer herself, names Alice as the writer but has only her own MAC key.
    await forge('I am Alice', toBob!, { macKey: toCarol!.macKey, recipient: BOB }, toCarol!.capability);
    // Sealed to a key Bob's device never had.
    await forge('to another key', toDave, { macKey: toBob!.macKey, recipient: BOB }, toBob!.capability);
    // Alice's own entry, written for Carol, moved into Bob's mailbox.
    await forge('for Carol', toBob!, { macKey: toBob!.macKey, recipient: CAROL }, toBob!.capability);
    // Alice writes to a room Bob never saw her in.
    await depositFor(alice.outbox, BOB, [{ kind: 'room-message', id: randomId(16), sentAt: Date.now(), text: 'in another room', room: OTHER_ROOM }], 'message');
    const real = message('the real one');
    await depositFor(alice.outbox, BOB, [real], 'message');

    const result = await collect(bob);
    expect(result.refused).to.deep.equal(['bad-mac', 'unknown-key', 'wrong-recipient']);
    expect(result.stored.map((m) => m.text)).to.deep.equal([real.text]);
    expect((await bob.db.getAll('messages')).map((m) => m.text)).to.deep.equal([real.text]);
    expect(await history(bob, roomConversation(OTHER_ROOM))).to.deep.equal([]);
    expect(server.entries(bob.mailbox), 'every one deleted').to.deep.equal([]);
    // Alice hears of the one stored, and of nothing else.
    expect((await mailboxOf(server, alice)).map(({ message }) => message.kind === 'receipt' && message.ids)).to.deep.equal([[real.id]]);
  });

  it('keeps on the server what it could not store (IndexedDB refusing the write as on a full disk), also the copy of an entry a push brought, and stores it at the next read', async () => {
    const { server, alice, bob } = await people();
    const bobsBrowser = await pushSubscription();
    await meet(alice, bob, [ROOM], bobsBrowser.target);
    const [pushed, waiting] = [message('came with a push'), message('only on the server')];
    await depositFor(alice.outbox, BOB, [pushed], 'message');
    await depositFor(alice.outbox, BOB, [waiting], null);
    const { data } = (await bobsBrowser.read(server.pushes[0]!.ciphertext)).notification;

    const restore = diskFull(bob);
    const full = await collect(bob, { pushed: (data as { entry: string }).entry }).finally(restore);
    expect(full.stored).to.deep.equal([]);
    expect(await bob.db.count('messages')).to.equal(0);
    expect(server.entries(bob.mailbox), 'both still on the server').to.have.length(2);
    expect(await mailboxOf(server, alice), 'no receipt for what was not stored').to.deep.equal([]);

    const later = await collect(bob);
    expect(later.stored.map((m) => m.text)).to.deep.equal([pushed.text, waiting.text]);
    expect(server.entries(bob.mailbox)).to.deep.equal([]);
  });

  it('moves own messages on a receipt from the person they went to (one-to-one and in the room), and never anyone else’s', async () => {
    const { server, alice, bob } = await people();
    const toBob = await written(alice, BOB, 'to Bob');
    const toCarol = await written(alice, CAROL, 'to Carol');
    const fromBob = await written(alice, BOB, 'from Bob', { direction: 'in', status: 'delivered' });
    const toRoom = await written(alice, roomConversation(ROOM), 'to the room', { recipients: { [BOB]: 'sent', [CAROL]: 'sent' } });
    const toCarolInRoom = await written(alice, roomConversation(ROOM), 'to Carol alone', { recipients: { [CAROL]: 'sent' } });
    const receipt = (status: 'delivered' | 'read', ids: string[], room?: string): MailboxMessage => ({ kind: 'receipt', id: randomId(16), sentAt: Date.now(), status, ids, ...(room ? { room } : {}) });
    await depositFor(bob.outbox, ALICE, [receipt('read', [toBob.id, toCarol.id, fromBob.id]), receipt('delivered', [toRoom.id, toCarolInRoom.id], ROOM)], 'receipt');

    const result = await collect(alice);
    const status = async (id: string) => {
      const stored = await alice.db.get('messages', id);
      return { status: stored?.status, recipients: stored?.recipients };
    };
    expect(await status(toBob.id)).to.deep.equal({ status: 'read', recipients: undefined });
    expect(await status(toCarol.id), 'a message to Carol').to.deep.equal({ status: 'sent', recipients: undefined });
    expect(await status(fromBob.id), 'Bob’s own message').to.deep.equal({ status: 'delivered', recipients: undefined });
    // Bob has it; the room message waits for Carol.
    expect(await status(toRoom.id)).to.deep.equal({ status: 'sent', recipients: { [BOB]: 'delivered', [CAROL]: 'sent' } });
    expect(await status(toCarolInRoom.id), 'a room message Bob was not sent').to.deep.equal({ status: 'sent', recipients: { [CAROL]: 'sent' } });
    expect([...result.advanced].map(([conversation, moved]) => [conversation, moved.map((m) => m.id)])).to.deep.equal([
      [BOB, [toBob.id]],
      [roomConversation(ROOM), [toRoom.id]],
    ]);
    expect(result.stored).to.deep.equal([]);
    expect(server.entries(alice.mailbox)).to.deep.equal([]);
    expect(server.entries(bob.mailbox), 'no receipt for a receipt').to.deep.equal([]);
  });

  it('leaves each writer a sealed "delivered" receipt for what it stored, which their device opens and shows as Delivered, with a push', async () => {
    const { server, alice, bob, carol } = await people();
    const alicesBrowser = await pushSubscription();
    await meet(bob, alice, [ROOM], alicesBrowser.target);
    const one = await written(alice, BOB, 'one to one');
    const inRoom = await written(alice, roomConversation(ROOM), 'in the room', { recipients: { [BOB]: 'sent', [CAROL]: 'sent' } });
    await depositFor(alice.outbox, BOB, [message(one.text, one.id), { kind: 'room-message', id: inRoom.id, sentAt: inRoom.sentAt, text: inRoom.text, room: ROOM }], 'message');
    const hi = message('Hi Bob, Carol here');
    await depositFor(carol.outbox, BOB, [hi], 'message');

    await collect(bob);
    const receipts = async (of: Device) => (await mailboxOf(server, of)).map(({ sender, message }) => ({ sender, ...(message.kind === 'receipt' ? { status: message.status, ids: message.ids, room: message.room } : message) }));
    expect(await receipts(alice)).to.deep.equal([
      { sender: BOB, status: 'delivered', ids: [one.id], room: undefined },
      { sender: BOB, status: 'delivered', ids: [inRoom.id], room: ROOM },
    ]);
    expect(await receipts(carol)).to.deep.equal([{ sender: BOB, status: 'delivered', ids: [hi.id], room: undefined }]);
    // Alice's browser is woken for each (it has a subscription; Carol's has none).
    const toAlice = server.pushes.filter((push) => push.endpoint === alicesBrowser.target.endpoint);
    expect(await Promise.all(toAlice.map(async (push) => (await alicesBrowser.read(push.ciphertext)).notification.data.kind))).to.deep.equal(['receipt', 'receipt']);

    await collect(alice);
    expect((await alice.db.get('messages', one.id))?.status).to.equal('delivered');
    expect((await alice.db.get('messages', inRoom.id))?.recipients).to.deep.equal({ [BOB]: 'delivered', [CAROL]: 'sent' });
  });

  it('tells of a file offered through the mailbox in words, with its size, while the file itself waits', async () => {
    const { alice, bob } = await people();
    const transfer = randomId(16);
    await depositFor(alice.outbox, BOB, [{ kind: 'file-offer', id: transfer, sentAt: Date.now(), transfer, name: 'photo.jpg', size: 3_250_585, type: 'image/jpeg' }], 'message');
    const result = await collect(bob);
    expect((await history(bob, ALICE)).map((m) => ({ id: m.id, notice: m.notice, text: m.text }))).to.deep.equal([
      { id: `${transfer}-offer`, notice: 'file-waiting', text: 'Alice wants to send you photo.jpg (3.1 MiB). It comes when you are both online.' },
    ]);
    expect(result.stored).to.have.length(1);
  });
});
