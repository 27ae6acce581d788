/**
 * Files sent to the room: three people, each with a TransferService, a RoomChat and a ChatService on an
 * IndexedDB of their own (real, in the browser, with the receiving worker), joined pairwise by files
 * channels whose frames the test delivers. A file sent to the room is one transfer per member under one
 * entry in the room's conversation; each member accepts or declines their own, in the room's conversation.
 * A "reload" is a new set of services on the same database.
 */
import { expect } from 'chai';
import { ChatService } from '../chat/chat-service.js';
import { RoomChat } from '../chat/room-chat.js';
import { roomConversation } from '../chat/room-wire.js';
import { openDatabase, type StoredMessage, type WhisperDatabase } from '../storage/database.js';
import { MessageStore } from '../storage/message-store.js';
import { TransferService } from './transfer-service.js';
import { FakeChannel, randomFile, sha256 } from './transfer-test-support.js';
import { DEFAULT_MESSAGE_SIZE, chunkSizeFor, type TransferFrame } from './transfer-wire.js';

declare const describe: (title: string, body: () => void) => void;
declare const it: (title: string, body: () => Promise<void>) => void;

const ROOM = 'Zm9vYmFyYmF6cXV4MTIzNA';
const OTHER_ROOM = 'T3RoZXJSb29tT3RoZXJSb29t';
const FILE_BYTES = 20 * chunkSizeFor(DEFAULT_MESSAGE_SIZE) + 321;
let databases = 0;

interface Member {
  name: string;
  db: WhisperDatabase;
  room: RoomChat;
  service: TransferService;
  /** Open files channels, by the other member's name (their device key here). */
  channels: Map<string, FakeChannel>;
  /** Everyone this member knows in the room. */
  others: string[];
}

async function member(name: string, others: string[], db?: WhisperDatabase): Promise<Member> {
  const database = db ?? (await openDatabase(`room-files-test-${Date.now()}-${++databases}`));
  const store = new MessageStore(database);
  const me: Member = { name, db: database, room: null as unknown as RoomChat, service: null as unknown as TransferService, channels: new Map(), others };
  me.room = new RoomChat(ROOM, store, { send: () => false, want: () => undefined, members: () => me.others });
  const chat = new ChatService(store, { send: () => false, want: () => undefined });
  me.service = new TransferService(
    database,
    chat,
    {
      channel: (device) => {
        const channel = me.channels.get(device);
        return channel?.readyState === 'open' ? (channel as unknown as RTCDataChannel) : null;
      },
      maxMessageSize: (device) => me.channels.get(device)?.maxMessageSize ?? null,
      want: () => undefined,
    },
    { room: me.room },
  );
  // As a session starts: the room's history, and the transfers with each person it knows.
  await me.room.load();
  for (const other of others) await me.service.load(other);
  return me;
}

/** The page closes (its worker with it) and opens again on the same database. */
async function reload(m: Member): Promise<Member> {
  m.service.stop();
  return member(m.name, m.others, m.db);
}

/** A new files channel between the two, opened on both sides, as a new peer connection gives. */
async function connect(a: Member, b: Member): Promise<void> {
  a.channels.get(b.name)?.close();
  b.channels.get(a.name)?.close();
  a.channels.set(b.name, new FakeChannel());
  b.channels.set(a.name, new FakeChannel());
  await Promise.all([a.service.channelOpened(b.name), b.service.channelOpened(a.name)]);
}

/** Delivers what everyone sent until all are quiet. */
async function exchange(...members: Member[]): Promise<void> {
  const byName = new Map(members.map((m) => [m.name, m]));
  for (let round = 0; round < 2000; round++) {
    let moved = false;
    for (const from of members) {
      for (const [name, channel] of from.channels) {
        const to = byName.get(name);
        const back = to?.channels.get(from.name);
        for (const frame of channel.sent.splice(0)) {
          if (!to || back?.readyState !== 'open') continue;
          moved = true;
          await to.service.receive(from.name, typeof frame === 'string' ? frame : frame.slice(0), back as unknown as RTCDataChannel);
        }
      }
    }
    // Let the receivers' block writes (IndexedDB) finish and their progress go out.
    await new Promise((resolve) => setTimeout(resolve, moved ? 0 : 30));
    if (!moved && members.every((m) => [...m.channels.values()].every((c) => c.sent.length === 0))) return;
  }
}

/** Everyone in the room, the sender connected to the others. */
async function trio(): Promise<[Member, Member, Member]> {
  const alice = await member('alice', ['bob', 'carol']);
  const bob = await member('bob', ['alice', 'carol']);
  const carol = await member('carol', ['alice', 'bob']);
  await connect(alice, bob);
  await connect(alice, carol);
  return [alice, bob, carol];
}

/** Every entry this member's device stored, in any conversation. */
const stored = (m: Member): Promise<StoredMessage[]> => m.db.getAll('messages');

/** The one entry of the room's conversation (there must be exactly one), in memory and as stored. */
async function onlyEntry(m: Member): Promise<StoredMessage> {
  expect(m.room.history()).to.have.length(1);
  expect((await stored(m)).map((e) => e.id)).to.deep.equal([m.room.history()[0]!.id]);
  return m.room.history()[0]!;
}

/** Alice's entry's transfers: Bob's and Carol's ids. */
const memberTransfers = (entry: StoredMessage): { bob: string; carol: string } => entry.transfers as { bob: string; carol: string };

describe('TransferService: files sent to the room', () => {
  it('one transfer per member under one entry; each member gets the offer in the room with its author, accepts or declines their own, and the entry follows each', async () => {
    const [alice, bob, carol] = await trio();
    const file = randomFile(FILE_BYTES, 'minutes.pdf');
    await alice.service.sendToRoom([file]);
    await exchange(alice, bob, carol);

    const sent = await onlyEntry(alice);
    expect(sent).to.include({ conversation: roomConversation(ROOM), direction: 'out', text: 'minutes.pdf' });
    const ids = memberTransfers(sent);
    expect(Object.keys(ids).sort()).to.deep.equal(['bob', 'carol']);
    expect(ids.bob).to.not.equal(ids.carol);
    for (const [device, id] of Object.entries(ids)) expect(alice.service.get(id)).to.include({ conversation: device, room: ROOM, direction: 'out', state: 'offered' });

    for (const [receiver, id] of [[bob, ids.bob], [carol, ids.carol]] as const) {
      const offer = await onlyEntry(receiver);
      // In the room's conversation, not the one-to-one with Alice, with Alice as its author.
      expect(offer).to.include({ id, conversation: roomConversation(ROOM), author: 'alice', transfer: id, text: 'minutes.pdf', status: 'delivered' });
      expect(receiver.room.unread()).to.equal(1);
      expect(receiver.service.get(id)).to.include({ conversation: 'alice', room: ROOM, direction: 'in', state: 'offered' });
    }

    await bob.service.accept(ids.bob);
    await carol.service.decline(ids.carol);
    await exchange(alice, bob, carol);
    expect(alice.service.get(ids.bob)!.state).to.equal('complete');
    expect(alice.service.get(ids.carol)!.state).to.equal('declined');
    expect(bob.service.get(ids.bob)!.state).to.equal('complete');
    expect(await sha256((await bob.service.file(ids.bob))!)).to.equal(await sha256(file));
    // Still one entry on each device, and two transfers on the sender's, one per member.
    await onlyEntry(alice);
    await onlyEntry(bob);
    await onlyEntry(carol);
    expect((await alice.db.getAll('transfers')).map((t) => t.conversation).sort()).to.deep.equal(['bob', 'carol']);
  });

  it('a member away gets the offer when their connection opens, after the sender reloaded; the sender picks the file again and it arrives whole', async () => {
    const firstAlice = await member('alice', ['bob', 'carol']);
    const bob = await member('bob', ['alice', 'carol']);
    const carol = await member('carol', ['alice', 'bob']);
    await connect(firstAlice, bob);
    const file = randomFile(FILE_BYTES, 'plan.png');
    await firstAlice.service.sendToRoom([file]);
    await exchange(firstAlice, bob);
    const ids = memberTransfers(await onlyEntry(firstAlice));
    expect(await stored(carol)).to.have.length(0);
    expect(firstAlice.service.hasPending('carol')).to.equal(true);

    // Alice's page reloads: the same one entry, its transfers read again, nothing offered twice.
    const alice = await reload(firstAlice);
    expect((await onlyEntry(alice)).id).to.equal((await onlyEntry(firstAlice)).id);
    expect(alice.service.get(ids.carol)!.state).to.equal('offered');

    await connect(alice, carol);
    await exchange(alice, bob, carol);
    const offer = await onlyEntry(carol);
    expect(offer).to.include({ id: ids.carol, author: 'alice', conversation: roomConversation(ROOM) });
    await carol.service.accept(ids.carol);
    await exchange(alice, carol);
    // This page has no file: Carol's transfer waits for it.
    expect(alice.service.needsFile(ids.carol)).to.equal(true);
    expect(await alice.service.provideFile(ids.carol, file)).to.equal(true);
    await exchange(alice, carol);
    expect(alice.service.get(ids.carol)!.state).to.equal('complete');
    expect(await sha256((await carol.service.file(ids.carol))!)).to.equal(await sha256(file));
    // Bob never answered: his transfer still waits for him, apart from Carol's.
    expect(alice.service.get(ids.bob)!.state).to.equal('offered');
  });

  it('a receiver that reloads keeps one entry: the offer made again after the reload is the same file, in the same place, and goes on', async () => {
    const [alice, bob, carol] = await trio();
    const file = randomFile(FILE_BYTES);
    await alice.service.sendToRoom([file]);
    await exchange(alice, bob, carol);
    const ids = memberTransfers(await onlyEntry(alice));
    await bob.service.accept(ids.bob);
    // The channel dies after 17 chunks (16 are flushed there); Bob's page reloads meanwhile.
    let chunks = 0;
    alice.channels.get('bob')!.onSend = (frame) => {
      if (typeof frame !== 'string' && ++chunks === 17) alice.channels.get('bob')!.close();
    };
    await exchange(alice, bob);
    expect(bob.service.get(ids.bob)).to.include({ state: 'active', next: 16 });
    const bobAgain = await reload(bob);
    await onlyEntry(bobAgain);
    await connect(alice, bobAgain);
    await exchange(alice, bobAgain);
    const entry = await onlyEntry(bobAgain);
    expect(entry).to.include({ id: ids.bob, author: 'alice' });
    expect(bobAgain.service.get(ids.bob)!.state).to.equal('complete');
    expect(alice.service.get(ids.bob)!.state).to.equal('complete');
    expect(await sha256((await bobAgain.service.file(ids.bob))!)).to.equal(await sha256(file));
  });

  it('a member cannot put a file into another room, nor move a transfer between a room and a one-to-one conversation', async () => {
    const [, bob] = await trio();
    const offer = (id: string, room?: string): string =>
      JSON.stringify({ t: 'offer', id, name: 'x.bin', size: 10, type: '', chunkSize: 63 * 1024, integrity: 2, ...(room ? { room } : {}) } satisfies TransferFrame);
    const channel = bob.channels.get('alice')! as unknown as RTCDataChannel;

    await bob.service.receive('alice', offer('AAAAAAAAAAAAAAAAAAAAAA', OTHER_ROOM), channel);
    expect(await stored(bob)).to.have.length(0);
    expect(await bob.db.getAll('transfers')).to.have.length(0);

    await bob.service.receive('alice', offer('BBBBBBBBBBBBBBBBBBBBBB', ROOM), channel);
    await bob.service.receive('alice', offer('BBBBBBBBBBBBBBBBBBBBBB'), channel);
    await bob.service.receive('alice', offer('BBBBBBBBBBBBBBBBBBBBBB', OTHER_ROOM), channel);
    expect((await onlyEntry(bob)).conversation).to.equal(roomConversation(ROOM));
    expect(bob.service.get('BBBBBBBBBBBBBBBBBBBBBB')!.room).to.equal(ROOM);

    await bob.service.receive('alice', offer('CCCCCCCCCCCCCCCCCCCCCC'), channel);
    await bob.service.receive('alice', offer('CCCCCCCCCCCCCCCCCCCCCC', ROOM), channel);
    const entries = await stored(bob);
    expect(entries.find((e) => e.id === 'CCCCCCCCCCCCCCCCCCCCCC')!.conversation).to.equal('alice');
    expect(bob.room.history()).to.have.length(1);
    // A service that knows no room (one to one only) takes no room's file.
    const db = await openDatabase(`room-files-test-${Date.now()}-${++databases}`);
    const oneToOne = new TransferService(db, new ChatService(new MessageStore(db), { send: () => false, want: () => undefined }), {
      channel: () => null,
      maxMessageSize: () => null,
      want: () => undefined,
    });
    await oneToOne.receive('alice', offer('DDDDDDDDDDDDDDDDDDDDDD', ROOM), channel);
    expect(await db.getAll('transfers')).to.have.length(0);
    expect(await db.getAll('messages')).to.have.length(0);
  });

  it('the sender cancels for everyone: each member who had not finished hears it', async () => {
    const [alice, bob, carol] = await trio();
    await alice.service.sendToRoom([randomFile(FILE_BYTES)]);
    await exchange(alice, bob, carol);
    const ids = memberTransfers(await onlyEntry(alice));
    await carol.service.decline(ids.carol);
    await exchange(alice, carol);
    await Promise.all(Object.values(ids).map((id) => alice.service.cancel(id)));
    await exchange(alice, bob, carol);
    expect(bob.service.get(ids.bob)!.state).to.equal('cancelled');
    expect(carol.service.get(ids.carol)!.state).to.equal('declined');
    expect(alice.service.get(ids.bob)!.state).to.equal('cancelled');
    expect(alice.service.get(ids.carol)!.state).to.equal('declined');
  });

  it('with no one else in the room, nothing is stored and the person is told', async () => {
    const alone = await member('alice', []);
    const errors: string[] = [];
    alone.service.addEventListener('wh-transfer-error', (event) => errors.push(event.detail));
    await alone.service.sendToRoom([randomFile(100)]);
    expect(errors).to.deep.equal(['No one else is in this room yet: share its link first.']);
    expect(await stored(alone)).to.have.length(0);
    expect(await alone.db.getAll('transfers')).to.have.length(0);
  });
});
