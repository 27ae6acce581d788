/**
 * Delivery between two ChatServices, each with its own IndexedDB (real, in the
 * browser), joined by a chat channel whose frames the test delivers or drops. A
 * "reload" is a new service on the same database.
 */
import { expect } from 'chai';
import { openDatabase, StorageFullError, type StoredMessage, type WhisperDatabase } from '../storage/database.js';
import { MessageStore } from '../storage/message-store.js';
import { ChatService } from './chat-service.js';
import type { ChatFrame } from './chat-wire.js';
import { until } from '../test-support/until.test-support.js';

declare const describe: (title: string, body: () => void) => void;
declare const it: (title: string, body: () => Promise<void>) => void;

interface Side {
  peer: string;
  db: WhisperDatabase;
  chat: ChatService;
  /** Frames this side wrote to its channel, in order. */
  sent: ChatFrame[];
  /** Whether its channel is open; when it is, frames go to `deliver`. */
  open: boolean;
  deliver: ((frame: ChatFrame) => void) | null;
  /** The frames delivered to this side, being handled (each settles once its service has handled it). */
  handling: Array<Promise<void>>;
}

let databases = 0;

async function side(peer: string, db?: WhisperDatabase, Store: typeof MessageStore = MessageStore): Promise<Side> {
  const database = db ?? (await openDatabase(`chat-test-${Date.now()}-${++databases}`));
  const me: Side = { peer, db: database, chat: null as unknown as ChatService, sent: [], open: false, deliver: null, handling: [] };
  me.chat = new ChatService(new Store(database), {
    send: (_device, frame) => {
      if (!me.open) return false;
      me.sent.push(frame);
      me.deliver?.(frame);
      return true;
    },
    want: () => undefined,
  });
  await me.chat.load(peer);
  return me;
}

const ALICE = 'A11CE';
const BOB = 'B0B';

/** Frames from `a` reach `b` (as text, as a data channel gives them), and the reverse. */
function connect(a: Side, b: Side): void {
  a.open = b.open = true;
  a.deliver = (frame) => void b.handling.push(b.chat.receive(b.peer, JSON.stringify(frame)));
  b.deliver = (frame) => void a.handling.push(a.chat.receive(a.peer, JSON.stringify(frame)));
}

function disconnect(a: Side, b: Side): void {
  a.open = b.open = false;
  a.deliver = b.deliver = null;
}

async function pair(): Promise<[Side, Side]> {
  return [await side(BOB), await side(ALICE)];
}

/** Keeps a write transaction on the messages store open (other writes wait for it) until the returned function is called. */
function hold(db: WhisperDatabase): () => Promise<void> {
  let holding = true;
  const tx = db.transaction('messages', 'readwrite');
  const spin = (): void => void (holding ? tx.store.get('nothing').then(spin) : undefined);
  spin();
  return async () => {
    holding = false;
    await tx.done;
  };
}

/** Waits until these sides have handled every frame delivered to them, those their handling sent each other included. */
async function handled(...sides: Side[]): Promise<void> {
  for (;;) {
    const pending = sides.flatMap((s) => s.handling.splice(0));
    if (pending.length === 0) return;
    await Promise.all(pending);
  }
}

/** A message store that counts the messages it was asked to add (a write that may still wait for a busy store). */
function countingStore(): { Store: typeof MessageStore; adds: () => number } {
  let adds = 0;
  class CountingStore extends MessageStore {
    override add(...args: Parameters<MessageStore['add']>): Promise<boolean> {
      adds++;
      return super.add(...args);
    }
  }
  return { Store: CountingStore, adds: () => adds };
}

const stored = (s: Side, id: string): Promise<StoredMessage | undefined> => s.db.get('messages', id);
const shown = (s: Side, text: string) => s.chat.history(s.peer).find((m) => m.text === text);
const messagesSent = (s: Side) => s.sent.filter((f): f is Extract<ChatFrame, { t: 'msg' }> => f.t === 'msg');

describe('ChatService', () => {
  it('sends a message while it is stored here, and shows "Delivered" only once it is stored on both sides', async () => {
    const bobs = countingStore();
    const alice = await side(BOB);
    const bob = await side(ALICE, undefined, bobs.Store);
    connect(alice, bob);
    // Alice's store is busy: her message goes out meanwhile, and Bob stores and acknowledges it...
    const releaseAlice = hold(alice.db);
    const sending = alice.chat.send(BOB, 'hello');
    await until(() => bob.sent.some((f) => f.t === 'ack'), 'the ack');
    const id = messagesSent(alice)[0]!.id;
    // Alice's service has handled the ack (which needs nothing stored)...
    await handled(alice);
    // ...but "Delivered" waits for her own copy.
    expect(shown(alice, 'hello')?.status, 'not Delivered before it is stored here').to.equal('queued');
    await releaseAlice();
    await sending;
    await until(() => shown(alice, 'hello')?.status === 'delivered', 'Delivered');
    expect(await stored(alice, id)).to.include({ text: 'hello' });
    expect(await stored(bob, id)).to.include({ text: 'hello', status: 'delivered' });
    // The status is stored here too, just after it is shown.
    await until(async () => (await stored(alice, id))?.status === 'delivered', 'the stored status');

    // Now Bob's store is busy: the message reaches him, and no "Delivered" before he has stored it.
    const releaseBob = hold(bob.db);
    await alice.chat.send(BOB, 'again');
    await until(() => messagesSent(alice).length === 2, 'the message on its way');
    // Bob's service has begun to store it (the write waits for his busy store): an ack it sent before the write
    // ended would be out by now, and handled by Alice's.
    await until(() => bobs.adds() === 2, 'Bob’s write begun');
    await handled(alice);
    expect(shown(alice, 'again')?.status).to.equal('sent');
    expect(bob.sent.filter((f) => f.t === 'ack'), 'no ack before it is stored').to.have.length(1);
    await releaseBob();
    await until(() => shown(alice, 'again')?.status === 'delivered', 'Delivered');
    expect(await stored(bob, shown(alice, 'again')!.id)).to.include({ text: 'again', status: 'delivered' });
  });

  it('keeps the order of messages written while the channel was closed, ahead of new ones, with no repeats', async () => {
    const [alice, bob] = await pair();
    await alice.chat.send(BOB, 'one');
    await alice.chat.send(BOB, 'two');
    expect(shown(alice, 'one')?.status).to.equal('queued');
    connect(alice, bob);
    // A message written as the channel opens goes after the ones that waited.
    const opened = alice.chat.channelOpened(BOB);
    const three = alice.chat.send(BOB, 'three');
    await Promise.all([opened, three]);
    await until(() => bob.chat.history(ALICE).length === 3, 'three messages there');
    expect(bob.chat.history(ALICE).map((m) => m.text)).to.deep.equal(['one', 'two', 'three']);
    expect(messagesSent(alice).map((m) => m.text)).to.deep.equal(['one', 'two', 'three']);
    await until(() => alice.chat.history(BOB).every((m) => m.status === 'delivered'), 'all Delivered');
  });

  it('after a channel breaks, a new message waits behind the one not acknowledged, and a repeat is stored once', async () => {
    const [alice, bob] = await pair();
    connect(alice, bob);
    // Bob's acknowledgements are lost: "first" reaches him, Alice never hears.
    bob.deliver = null;
    await alice.chat.send(BOB, 'first');
    await until(() => bob.chat.history(ALICE).length === 1, 'first there');
    disconnect(alice, bob);
    await alice.chat.send(BOB, 'second');
    expect(shown(alice, 'second')?.status).to.equal('queued');
    connect(alice, bob);
    await alice.chat.channelOpened(BOB);
    await until(() => alice.chat.history(BOB).every((m) => m.status === 'delivered'), 'both Delivered');
    expect(bob.chat.history(ALICE).map((m) => m.text)).to.deep.equal(['first', 'second']);
    expect(await bob.db.count('messages')).to.equal(2);
  });

  it('a reload keeps what waits, and sends it when the channel opens', async () => {
    const [alice, bob] = await pair();
    await alice.chat.send(BOB, 'kept');
    const reloaded = await side(BOB, alice.db);
    expect(shown(reloaded, 'kept')?.status).to.equal('queued');
    connect(reloaded, bob);
    await reloaded.chat.channelOpened(BOB);
    await until(() => shown(reloaded, 'kept')?.status === 'delivered', 'Delivered after the reload');
    expect(bob.chat.history(ALICE).map((m) => m.text)).to.deep.equal(['kept']);
  });

  it('messages read on screen in a burst get one "read" receipt, and never count as unread', async () => {
    const [alice, bob] = await pair();
    connect(alice, bob);
    await bob.chat.setActive(ALICE, true);
    const unreadSeen: number[] = [];
    bob.chat.addEventListener('wh-conversation', () => unreadSeen.push(bob.chat.unread(ALICE)));
    await Promise.all(['a', 'b', 'c', 'd'].map((text) => alice.chat.send(BOB, text)));
    await until(() => alice.chat.history(BOB).every((m) => m.status === 'read'), 'all Read');
    const receipts = bob.sent.filter((f) => f.t === 'read');
    expect(receipts.length, 'read receipts').to.equal(1);
    expect(unreadSeen.every((n) => n === 0), `unread counts seen: ${unreadSeen.join(',')}`).to.equal(true);
  });

  it('ignores receipts that name the other side’s own messages', async () => {
    const [alice, bob] = await pair();
    connect(alice, bob);
    await alice.chat.send(BOB, 'mine');
    await until(() => bob.chat.history(ALICE).length === 1, 'there');
    const id = bob.chat.history(ALICE)[0]!.id;
    // Alice (or whoever holds her channel) says she read... Bob's copy of her own message: it is not Bob's to move.
    await bob.chat.receive(ALICE, JSON.stringify({ t: 'read', ids: [id] }));
    expect(bob.chat.history(ALICE)[0]!.status).to.equal('delivered');
    expect((await stored(bob, id))?.status).to.equal('delivered');
    expect(bob.chat.unread(ALICE)).to.equal(1);
  });

  it('answers a ping at once, while a message before it waits to be stored', async () => {
    const [alice, bob] = await pair();
    connect(alice, bob);
    // Bob's message store is busy with another transaction: the message waits for it.
    const release = hold(bob.db);
    void alice.chat.send(BOB, 'behind');
    await until(() => messagesSent(alice).length === 1, 'the message on its way');
    const rtt = await alice.chat.ping(BOB);
    expect(rtt, 'answered').to.be.a('number');
    expect(bob.chat.history(ALICE), 'still not stored').to.deep.equal([]);
    await release();
    await until(() => shown(alice, 'behind')?.status === 'delivered', 'Delivered once stored');
  });

  it('a message this device cannot store leaves the screen with the reason, and is never shown as Delivered', async () => {
    /** A disk that is full for new messages. */
    class FullStore extends MessageStore {
      override add(): Promise<boolean> {
        return Promise.reject(new StorageFullError());
      }
    }
    const alice = await side(BOB, undefined, FullStore);
    const bob = await side(ALICE);
    connect(alice, bob);
    const errors: string[] = [];
    alice.chat.addEventListener('wh-storage-error', (event) => errors.push(event.detail));
    await alice.chat.send(BOB, 'lost?');
    // Whatever went to Bob has been handled there, and whatever came back here.
    await handled(alice, bob);
    expect(errors).to.deep.equal([new StorageFullError().message]);
    expect(shown(alice, 'lost?')).to.equal(undefined);
    expect(alice.chat.history(BOB)).to.deep.equal([]);
  });
});
