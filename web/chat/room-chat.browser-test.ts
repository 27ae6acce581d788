/**
 * The room's conversation between three RoomChats, each with its own IndexedDB (real, in the browser),
 * joined pairwise by channels whose frames the test delivers, holds or drops. A "reload" is a new
 * RoomChat on the same database.
 */
import { expect } from 'chai';
import { openDatabase, type WhisperDatabase } from '../storage/database.js';
import { MessageStore } from '../storage/message-store.js';
import { RoomChat } from './room-chat.js';
import type { RoomFrame } from './room-wire.js';
import { until } from '../test-support/until.test-support.js';

declare const describe: (title: string, body: () => void) => void;
declare const it: (title: string, body: () => Promise<void>) => void;

const ROOM = 'Zm9vYmFyYmF6cXV4MTIzNA';
let databases = 0;

interface Member {
  name: string;
  db: WhisperDatabase;
  chat: RoomChat;
  /** Open channels: to whom frames go, and how. */
  links: Map<string, (frame: RoomFrame) => void>;
  /** Everyone this member knows in the room. */
  others: string[];
}

async function member(name: string, others: string[], db?: WhisperDatabase): Promise<Member> {
  const database = db ?? (await openDatabase(`room-test-${Date.now()}-${++databases}`));
  const me: Member = { name, db: database, chat: null as unknown as RoomChat, links: new Map(), others };
  me.chat = new RoomChat(ROOM, new MessageStore(database), {
    send: (device, frame) => {
      const deliver = me.links.get(device);
      deliver?.(frame);
      return !!deliver;
    },
    want: () => undefined,
    members: () => me.others,
  });
  await me.chat.load();
  return me;
}

/** A channel between the two: each frame reaches the other as text, as a data channel gives it. */
async function link(a: Member, b: Member): Promise<void> {
  a.links.set(b.name, (frame) => void b.chat.receive(a.name, JSON.parse(JSON.stringify(frame)) as RoomFrame));
  b.links.set(a.name, (frame) => void a.chat.receive(b.name, JSON.parse(JSON.stringify(frame)) as RoomFrame));
  await Promise.all([a.chat.channelOpened(b.name), b.chat.channelOpened(a.name)]);
}

function unlink(a: Member, b: Member): void {
  a.links.delete(b.name);
  b.links.delete(a.name);
}

/** Every message of `m` that has `text` is Delivered to each of `who`. */
const deliveredTo = (m: Member, text: string, ...who: string[]) => {
  const found = m.chat.history().filter((message) => message.text === text);
  return found.length > 0 && found.every((message) => who.every((name) => message.recipients?.[name] === 'delivered'));
};
const texts = (m: Member) => m.chat.history().map((message) => message.text);

async function trio(): Promise<[Member, Member, Member]> {
  const alice = await member('alice', ['bob', 'carol']);
  const bob = await member('bob', ['alice', 'carol']);
  const carol = await member('carol', ['alice', 'bob']);
  await link(alice, bob);
  await link(alice, carol);
  await link(bob, carol);
  return [alice, bob, carol];
}

describe('RoomChat', () => {
  it('sends a message to every member, who each store it once, with its author, and acknowledge it for themselves', async () => {
    const [alice, bob, carol] = await trio();
    await alice.chat.send('Hello everyone');
    await until(() => deliveredTo(alice, 'Hello everyone', 'bob', 'carol'), 'Bob and Carol to have it');
    for (const other of [bob, carol]) {
      expect(texts(other)).to.deep.equal(['Hello everyone']);
      expect(other.chat.history()[0]!.author).to.equal('alice');
      expect(other.chat.unread()).to.equal(1);
    }
    const [mine] = alice.chat.history();
    expect(mine!.recipients).to.deep.equal({ bob: 'delivered', carol: 'delivered' });
    expect(mine!.status).to.equal('delivered');
  });

  it('keeps a queue per member who is away, sent in order when their channel opens, and nothing twice', async () => {
    const [alice, bob, carol] = await trio();
    unlink(alice, carol);
    await alice.chat.send('one');
    await alice.chat.send('two');
    await until(() => deliveredTo(alice, 'one', 'bob') && deliveredTo(alice, 'two', 'bob'), 'Bob to have both');
    expect(texts(bob)).to.deep.equal(['one', 'two']);
    expect(texts(carol)).to.deep.equal([]);
    expect(alice.chat.history().map((m) => m.recipients)).to.deep.equal([
      { bob: 'delivered', carol: 'queued' },
      { bob: 'delivered', carol: 'queued' },
    ]);
    expect(alice.chat.history().map((m) => m.status)).to.deep.equal(['queued', 'queued']);

    // Alice reloads before Carol is back: the queue is on her device.
    const reloaded = await member('alice', ['bob', 'carol'], alice.db);
    await link(reloaded, carol);
    await until(() => deliveredTo(reloaded, 'one', 'carol') && deliveredTo(reloaded, 'two', 'carol'), 'Carol to have both');
    expect(texts(carol)).to.deep.equal(['one', 'two']);
    expect(reloaded.chat.history().map((m) => m.status)).to.deep.equal(['delivered', 'delivered']);
    // The same message again (its ack was lost on the way): stored once, acknowledged again.
    const [first] = reloaded.chat.history();
    const acks: RoomFrame[] = [];
    carol.links.set('alice', (frame) => acks.push(frame));
    await carol.chat.receive('alice', { t: 'room-msg', room: ROOM, id: first!.id, text: first!.text, sentAt: first!.sentAt });
    expect(texts(carol)).to.deep.equal(['one', 'two']);
    expect(acks).to.deep.equal([{ t: 'room-ack', ids: [first!.id] }]);
  });

  it('sends read receipts to each message’s author only, once it is on screen', async () => {
    const [alice, bob, carol] = await trio();
    await alice.chat.send('from Alice');
    await bob.chat.send('from Bob');
    await until(() => deliveredTo(alice, 'from Alice', 'bob', 'carol') && deliveredTo(bob, 'from Bob', 'alice', 'carol'), 'both messages to reach everyone');
    await carol.chat.setActive(true, true);
    const readByCarol = (m: Member, text: string) => m.chat.history().find((message) => message.text === text)?.recipients?.['carol'] === 'read';
    await until(() => readByCarol(alice, 'from Alice') && readByCarol(bob, 'from Bob'), "Carol's receipts");
    expect(alice.chat.history().find((m) => m.text === 'from Alice')!.recipients).to.deep.equal({ bob: 'delivered', carol: 'read' });
    expect(bob.chat.history().find((m) => m.text === 'from Bob')!.recipients).to.deep.equal({ alice: 'delivered', carol: 'read' });
    expect(carol.chat.unread()).to.equal(0);
  });

  it('lets no member answer for another, nor put a message in another room', async () => {
    const [alice, bob] = await trio();
    await alice.chat.send('only mine');
    await until(() => deliveredTo(alice, 'only mine', 'bob', 'carol'), 'Bob and Carol to have it');
    const id = alice.chat.history()[0]!.id;
    // Bob's channel says Carol read it, and marks a message that is not his: only Bob's own status moves.
    await alice.chat.receive('bob', { t: 'room-read', ids: [id] });
    const recipients = alice.chat.history()[0]!.recipients!;
    expect(recipients['bob']).to.equal('read');
    expect(recipients['carol']).to.equal('delivered');
    await alice.chat.receive('dave', { t: 'room-read', ids: [id] });
    expect(alice.chat.history()[0]!.recipients).to.deep.equal(recipients);
    await bob.chat.receive('alice', { t: 'room-msg', room: 'AnotherRoomAnotherRoom', id: 'abcdefghijklmnopq', text: 'elsewhere', sentAt: 1 });
    expect(texts(bob)).to.deep.equal(['only mine']);
  });

  it('places a member’s message that comes after later ones of theirs (another way: the mailbox) before those, in the store and on screen', async () => {
    const carol = await member('carol', ['bob']);
    const frame = (id: string, sentAt: number) => ({ t: 'room-msg' as const, room: ROOM, id, text: id, sentAt });
    // Bob wrote 1, 2, 3 in that order; 2 and 3 arrive first.
    await carol.chat.receive('bob', frame('bob-message-0000002', 2000));
    await carol.chat.receive('bob', frame('bob-message-0000003', 3000));
    await carol.chat.receive('bob', frame('bob-message-0000001', 1000));
    const order = ['bob-message-0000001', 'bob-message-0000002', 'bob-message-0000003'];
    expect(carol.chat.history().map((m) => m.id)).to.deep.equal(order);
    const reloaded = await member('carol', ['bob'], carol.db);
    expect(reloaded.chat.history().map((m) => m.id)).to.deep.equal(order);
  });
});

