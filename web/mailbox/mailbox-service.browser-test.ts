/**
 * The mailbox in Alice's room (MailboxService) in a real browser's IndexedDB and WebCrypto, with her real chats
 * (ChatService, RoomChat) over channels that are closed (Bob is away) and a server stand-in that answers as the
 * signal server's mailbox API. Bob and Carol are devices with their own databases and mailbox keys, which keep
 * what Alice's app hands them and write to her mailbox with it. What the test reads is what Alice's app shows
 * (the loaded history, the notices) and what the others' devices find in their mailboxes.
 */
import { expect } from 'chai';
import { ChatService } from '../chat/chat-service.js';
import { RoomChat } from '../chat/room-chat.js';
import { roomConversation } from '../chat/room-wire.js';
import { randomId } from '../identity/random-id.js';
import type { StoredMessage } from '../storage/database.js';
import { MessageStore } from '../storage/message-store.js';
import { MailboxClient } from './mailbox-client.js';
import { collectMailbox } from './mailbox-inbox.js';
import { secretHash } from './mailbox-keys.js';
import { depositFor } from './mailbox-outbox.js';
import { MailboxServerStandIn } from './mailbox-server-test-support.js';
import { MailboxService } from './mailbox-service.js';
import { ALICE, BOB, CAROL, device, mailboxOf, meet, ORIGIN, pushSubscription, ROOM, until, type Device } from './mailbox-test-support.js';
import { mailboxFrame, type MailboxFrame, type MailboxTarget } from './mailbox-wire.js';
import type { MailboxMessage } from './sealed-entry.js';

declare const describe: (title: string, body: () => void) => void;
declare const it: (title: string, body: () => Promise<void>) => void;

/** Alice's app in the room: her mailbox service, her chats, what it wrote to each channel and what it told her. */
async function alicesApp() {
  const server = new MailboxServerStandIn();
  const alice = await device(server, ALICE, 'Alice');
  const messages = new MessageStore(alice.db);
  // Everyone is away: no channel takes a frame.
  const away = { send: () => false, want: () => undefined };
  const chat = new ChatService(messages, away);
  const roomChat = new RoomChat(ROOM, messages, { ...away, members: () => [BOB] });
  await Promise.all([chat.load(BOB), roomChat.load()]);
  const frames: Array<{ to: string; frame: MailboxFrame }> = [];
  const notices: string[] = [];
  const service = new MailboxService({
    db: alice.db,
    room: ROOM,
    device: ALICE,
    name: 'Alice',
    messages,
    chat,
    roomChat,
    send: (to, frame) => {
      frames.push({ to, frame });
      return true;
    },
    mayWrite: () => Promise.resolve(true),
    nameOf: (key) => (key === BOB ? 'Bob' : 'Carol'),
    origin: ORIGIN,
    fetch: server.fetch,
  });
  service.addEventListener('wh-mailbox-notice', (event) => notices.push(event.detail));
  return { server, alice, messages, chat, roomChat, service, frames, notices };
}
type App = Awaited<ReturnType<typeof alicesApp>>;

const handed = (frame: MailboxFrame | undefined): MailboxTarget => {
  if (!frame || frame.mailbox === null) throw new Error('no mailbox was handed over');
  return frame;
};

/** Bob's device hands Alice's app his mailbox over their channel (the frame as text, as the channel gives it), and tells the server. */
async function handsOver(bob: Device, app: App): Promise<void> {
  await app.service.receive(BOB, app.service.parse(JSON.stringify(mailboxFrame(await bob.keys.targetFor(ALICE)))));
  await bob.client.putWriters(await bob.keys.address(), await bob.keys.writers());
}

const note = (text: string): MailboxMessage => ({ kind: 'message', id: randomId(16), sentAt: Date.now(), text });
/** Whether a writer that kept what Alice's app handed it can leave an entry in her mailbox now. */
async function deposits(writer: Device, app: App): Promise<string> {
  const outcome = await depositFor(writer.outbox, ALICE, [note(`from ${writer.name}`)], null);
  return outcome.ok ? 'deposited' : outcome.reason === 'refused' ? outcome.failure.code : outcome.reason;
}

/** What Bob's mailbox holds from Alice: the kind and text of each entry, in order. */
const bobsMailbox = async (app: App, bob: Device) =>
  (await mailboxOf(app.server, bob)).map(({ sender, message }) => (sender === ALICE && 'text' in message ? `${message.kind}: ${message.text}` : message.kind));
/** Alice's conversation with Bob as her app shows it: each message and the mailboxes it waits in. */
const shown = (messages: readonly StoredMessage[]) => messages.map((m) => [m.text, m.status, m.deposited ?? []]);

describe('MailboxService, on a server stand-in', () => {
  it('hands each person who connects a mailbox made for them alone, tells the server only their hashes, and reads what they leave there', async () => {
    const app = await alicesApp();
    const [bob, carol] = await Promise.all([device(app.server, BOB, 'Bob'), device(app.server, CAROL, 'Carol')]);
    await app.service.opened(BOB);
    await app.service.opened(CAROL);
    expect(app.frames.map((f) => f.to)).to.deep.equal([BOB, CAROL]);
    const [toBob, toCarol] = app.frames.map((f) => handed(f.frame));
    expect(app.frames[0]!.frame).to.deep.equal(mailboxFrame(await app.alice.keys.targetFor(BOB)));
    expect(toBob!.mailbox).to.equal(app.alice.mailbox);
    expect(toBob!.capability).to.not.equal(toCarol!.capability);
    expect(toBob!.macKey).to.not.equal(toCarol!.macKey);
    expect(app.server.writers(app.alice.mailbox).sort()).to.deep.equal([await secretHash(toBob!.capability), await secretHash(toCarol!.capability)].sort());

    await bob.keys.received(ALICE, app.frames[0]!.frame);
    await carol.keys.received(ALICE, app.frames[1]!.frame);
    expect([await deposits(bob, app), await deposits(carol, app)]).to.deep.equal(['deposited', 'deposited']);
    await app.service.collect();
    expect(app.chat.history(BOB).map((m) => [m.text, m.via])).to.deep.equal([['from Bob', 'mailbox']]);
    expect(app.server.entries(app.alice.mailbox)).to.deep.equal([]);
  });

  it('withdraws the mailbox from everyone connected when holding is turned off, and tells the server that no one writes', async () => {
    const app = await alicesApp();
    const bob = await device(app.server, BOB, 'Bob');
    await app.service.opened(BOB);
    await bob.keys.received(ALICE, app.frames[0]!.frame);
    expect(await deposits(bob, app)).to.equal('deposited');

    await app.service.setHolding(false, [BOB]);
    await until(() => app.frames.length === 2, 'the frame that withdraws it');
    expect(app.frames[1]).to.deep.equal({ to: BOB, frame: { t: 'mailbox', v: 1, mailbox: null } });
    expect(app.server.writers(app.alice.mailbox)).to.deep.equal([]);
    expect(await deposits(bob, app), 'with the capability he kept').to.equal('forbidden');
    // Someone who connects meanwhile is told there is none for them.
    await app.service.opened(CAROL);
    expect(app.frames[2]).to.deep.equal({ to: CAROL, frame: { t: 'mailbox', v: 1, mailbox: null } });
    expect(app.server.writers(app.alice.mailbox)).to.deep.equal([]);
    expect(await app.service.holding()).to.equal(false);
  });

  it('takes back the capability of someone whose key changed: it leaves the next PUT, the others’ stay, and nothing more goes to their mailbox', async () => {
    const app = await alicesApp();
    const [bob, carol] = await Promise.all([device(app.server, BOB, 'Bob'), device(app.server, CAROL, 'Carol')]);
    await app.service.opened(BOB);
    await app.service.opened(CAROL);
    await bob.keys.received(ALICE, app.frames[0]!.frame);
    await carol.keys.received(ALICE, app.frames[1]!.frame);
    await handsOver(bob, app);
    await app.chat.send(BOB, 'before');
    expect(await app.service.waiting(BOB)).to.equal(true);

    await app.service.forget(BOB);
    expect(app.server.writers(app.alice.mailbox)).to.deep.equal([await secretHash(handed(app.frames[1]!.frame).capability)]);
    expect([await deposits(bob, app), await deposits(carol, app)]).to.deep.equal(['forbidden', 'deposited']);
    await app.chat.send(BOB, 'after');
    expect(await app.service.waiting(BOB), 'no mailbox of Bob’s').to.equal(false);
    expect(await bobsMailbox(app, bob)).to.deep.equal(['message: before']);
  });

  it('leaves what waits for someone away in their mailbox, in order, shown as waiting there, and each message only once', async () => {
    const app = await alicesApp();
    const bob = await device(app.server, BOB, 'Bob');
    const bobsBrowser = await pushSubscription();
    await meet(app.alice, bob, [ROOM], bobsBrowser.target);
    await handsOver(bob, app);
    for (const text of ['one', 'two', 'three']) await app.chat.send(BOB, text);
    await app.roomChat.send('to the room');

    expect(await app.service.waiting(BOB)).to.equal(true);
    expect(await bobsMailbox(app, bob)).to.deep.equal(['message: one', 'message: two', 'message: three', 'room-message: to the room']);
    // Still queued: they go over the channel too when one opens.
    expect(shown(app.chat.history(BOB))).to.deep.equal([
      ['one', 'queued', [BOB]],
      ['two', 'queued', [BOB]],
      ['three', 'queued', [BOB]],
    ]);
    expect(shown(app.roomChat.history())).to.deep.equal([['to the room', 'queued', [BOB]]]);
    expect(app.server.pushes.filter((push) => push.endpoint === bobsBrowser.target.endpoint)).to.have.length(4);

    await app.chat.send(BOB, 'four');
    await app.service.waiting(BOB);
    expect(await bobsMailbox(app, bob)).to.deep.equal(['message: one', 'message: two', 'message: three', 'room-message: to the room', 'message: four']);
    expect(app.server.pushes).to.have.length(5);
    // As the conversation shows after a reload.
    const reloaded = new ChatService(app.messages, { send: () => false, want: () => undefined });
    await reloaded.load(BOB);
    expect(shown(reloaded.history(BOB))).to.deep.equal(['one', 'two', 'three', 'four'].map((text) => [text, 'queued', [BOB]]));
  });

  it('stops at the first message a full mailbox refuses, keeps the rest here undeposited, says so once in words, and deposits them once there is room', async () => {
    const app = await alicesApp();
    const bob = await device(app.server, BOB, 'Bob');
    await handsOver(bob, app);
    app.server.capacity = 2;
    for (const text of ['one', 'two', 'three', 'four']) await app.chat.send(BOB, text);

    await app.service.waiting(BOB);
    expect(await bobsMailbox(app, bob)).to.deep.equal(['message: one', 'message: two']);
    expect(shown(app.chat.history(BOB))).to.deep.equal([
      ['one', 'queued', [BOB]],
      ['two', 'queued', [BOB]],
      ['three', 'queued', []],
      ['four', 'queued', []],
    ]);
    expect(app.notices).to.deep.equal(['Bob’s mailbox on the server is full: your messages wait on this device until Bob opens Whisper.']);
    // Another message, refused again: not said again.
    await app.chat.send(BOB, 'five');
    await app.service.waiting(BOB);
    expect(app.notices).to.have.length(1);
    expect(await bobsMailbox(app, bob)).to.deep.equal(['message: one', 'message: two']);

    // Bob's device reads his mailbox: there is room again.
    await collectMailbox({ db: bob.db, device: BOB, client: bob.client, origin: ORIGIN });
    app.server.capacity = 500;
    await app.service.waiting(BOB);
    expect(await bobsMailbox(app, bob)).to.deep.equal(['message: three', 'message: four', 'message: five']);
    expect(app.chat.history(BOB).map((m) => m.deposited)).to.deep.equal([[BOB], [BOB], [BOB], [BOB], [BOB]]);
    expect(app.notices).to.have.length(1);
  });

  it('leaves read receipts in the mailbox of their author without a push, and marks them sent', async () => {
    const app = await alicesApp();
    const bob = await device(app.server, BOB, 'Bob');
    const bobsBrowser = await pushSubscription();
    await meet(app.alice, bob, [ROOM], bobsBrowser.target);
    await handsOver(bob, app);
    const read = async (conversation: string, author?: string): Promise<string> => {
      const id = randomId(16);
      await app.messages.add({ id, conversation, direction: 'in', text: 'read here', sentAt: Date.now(), at: Date.now(), status: 'read', receiptSent: 0, ...(author ? { author } : {}) });
      return id;
    };
    const [first, second] = [await read(BOB), await read(BOB)];
    const inRoom = await read(roomConversation(ROOM), BOB);
    const carols = await read(roomConversation(ROOM), CAROL);

    await app.service.receiptsFor(BOB);
    // A receipt names its messages in no particular order.
    const receipts = (await mailboxOf(app.server, bob)).map(({ message }) => (message.kind === 'receipt' ? [message.status, [...message.ids].sort(), message.room] : message.kind));
    expect(receipts).to.deep.equal([
      ['read', [first, second].sort(), undefined],
      ['read', [inRoom], ROOM],
    ]);
    expect(app.server.pushes, 'no push for "Read"').to.deep.equal([]);
    const sent = async (id: string) => (await app.alice.db.get('messages', id))?.receiptSent;
    expect([await sent(first), await sent(second), await sent(inRoom), await sent(carols)]).to.deep.equal([1, 1, 1, 0]);

    await app.service.receiptsFor(BOB);
    expect(app.server.entries(bob.mailbox), 'none twice').to.have.length(2);
    // A message to Bob through the same mailbox does wake his browser.
    await app.chat.send(BOB, 'hello');
    await app.service.waiting(BOB);
    expect(app.server.pushes.map((push) => push.endpoint)).to.deep.equal([bobsBrowser.target.endpoint]);
  });

  it('shows what the service worker stored while the page is open, read from the store by the ids its message (dispatched by the test) names, and nothing for others', async () => {
    const app = await alicesApp();
    const bob = await device(app.server, BOB, 'Bob');
    await app.service.opened(BOB);
    await bob.keys.received(ALICE, app.frames[0]!.frame);
    await app.chat.send(BOB, 'are you there?');
    const asked = app.chat.history(BOB)[0]!;
    const answer = note('yes');
    await depositFor(bob.outbox, ALICE, [answer, { kind: 'receipt', id: randomId(16), sentAt: Date.now(), status: 'delivered', ids: [asked.id] }], null);
    // The worker reads Alice's mailbox (a push woke it) and stores what it holds, while her page is open.
    const worker = await collectMailbox({ db: app.alice.db, device: ALICE, client: new MailboxClient(ORIGIN, app.server.fetch), origin: ORIGIN });
    expect(worker.stored.map((m) => m.id)).to.deep.equal([answer.id]);
    const before = shown(app.chat.history(BOB));
    expect(before).to.deep.equal([['are you there?', 'queued', []]]);

    const fromWorker = (data: unknown) => navigator.serviceWorker.dispatchEvent(new MessageEvent('message', { data }));
    fromWorker({ type: 'whisper-mailbox-stored', ids: [randomId(16), randomId(16)] });
    fromWorker({ type: 'whisper-something-else', ids: [answer.id] });
    // The status first: once it shows, the messages before it have been handled.
    fromWorker({ type: 'whisper-mailbox-stored', ids: [asked.id] });
    await until(() => app.chat.history(BOB)[0]!.status === 'delivered', 'Delivered');
    expect(shown(app.chat.history(BOB))).to.deep.equal([['are you there?', 'delivered', []]]);

    fromWorker({ type: 'whisper-mailbox-stored', ids: [answer.id] });
    await until(() => app.chat.history(BOB).length === 2, 'the answer');
    expect(app.chat.history(BOB).map((m) => [m.text, m.via])).to.deep.equal([
      ['are you there?', undefined],
      ['yes', 'mailbox'],
    ]);
    expect(app.chat.unread(BOB)).to.equal(1);
  });
});
