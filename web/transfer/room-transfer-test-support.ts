/**
 * Tests only: three people in a room, each with a TransferService, a RoomChat and a ChatService on an
 * IndexedDB of their own (real, in the browser, with the receiving worker), joined pairwise by files
 * channels whose frames the tests deliver. A file sent to the room is one transfer per member under one
 * entry in the room's conversation; each member accepts or declines their own, in the room's conversation.
 * A "reload" is a new set of services on the same database.
 */
import { expect } from 'chai';
import { ChatService } from '../chat/chat-service.js';
import { RoomChat } from '../chat/room-chat.js';
import { openDatabase, type StoredMessage, type WhisperDatabase } from '../storage/database.js';
import { MessageStore } from '../storage/message-store.js';
import { TransferService } from './transfer-service.js';
import { FakeChannel } from './transfer-test-support.js';
import { DEFAULT_MESSAGE_SIZE, chunkSizeFor } from './transfer-wire.js';

export const ROOM = 'Zm9vYmFyYmF6cXV4MTIzNA';
export const OTHER_ROOM = 'T3RoZXJSb29tT3RoZXJSb29t';
export const FILE_BYTES = 20 * chunkSizeFor(DEFAULT_MESSAGE_SIZE) + 321;
let databases = 0;
/** A database of its own for each member, each test. */
export const newDatabase = (): Promise<WhisperDatabase> => openDatabase(`room-files-test-${Date.now()}-${++databases}`);

export interface Member {
  name: string;
  db: WhisperDatabase;
  room: RoomChat;
  service: TransferService;
  /** Open files channels, by the other member's name (their device key here). */
  channels: Map<string, FakeChannel>;
  /** Everyone this member knows in the room. */
  others: string[];
}

export async function member(name: string, others: string[], db?: WhisperDatabase): Promise<Member> {
  const database = db ?? (await newDatabase());
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
export async function reload(m: Member): Promise<Member> {
  m.service.stop();
  return member(m.name, m.others, m.db);
}

/** A new files channel between the two, opened on both sides, as a new peer connection gives. */
export async function connect(a: Member, b: Member): Promise<void> {
  a.channels.get(b.name)?.close();
  b.channels.get(a.name)?.close();
  a.channels.set(b.name, new FakeChannel());
  b.channels.set(a.name, new FakeChannel());
  await Promise.all([a.service.channelOpened(b.name), b.service.channelOpened(a.name)]);
}

/** Frames a member sent on any of its channels that were not delivered yet. */
const waiting = (m: Member): number => [...m.channels.values()].reduce((sum, channel) => sum + channel.sent.length, 0);

/**
 * Delivers what everyone sent until all are quiet: no frame waits to be delivered, each one delivered is
 * handled (`receive`'s promise), and no one's service has anything else under way (`TransferService.settled`).
 * More than 2000 rounds of frames fails, saying what waits.
 */
export async function exchange(...members: Member[]): Promise<void> {
  const byName = new Map(members.map((m) => [m.name, m]));
  const rounds = 2000;
  for (let round = 0; round < rounds; round++) {
    for (const from of members) {
      for (const [name, channel] of from.channels) {
        const to = byName.get(name);
        const back = to?.channels.get(from.name);
        for (const frame of channel.sent.splice(0)) {
          if (!to || back?.readyState !== 'open') continue;
          await to.service.receive(from.name, typeof frame === 'string' ? frame : frame.slice(0), back as unknown as RTCDataChannel);
        }
      }
    }
    await Promise.all(members.map((m) => m.service.settled()));
    if (members.every((m) => waiting(m) === 0)) return;
  }
  throw new Error(`Not quiet after ${rounds} rounds of frames: ${members.map((m) => `${waiting(m)} from ${m.name}`).join(', ')} still waiting.`);
}

/** Everyone in the room, the sender connected to the others. */
export async function trio(): Promise<[Member, Member, Member]> {
  const alice = await member('alice', ['bob', 'carol']);
  const bob = await member('bob', ['alice', 'carol']);
  const carol = await member('carol', ['alice', 'bob']);
  await connect(alice, bob);
  await connect(alice, carol);
  return [alice, bob, carol];
}

/** Every entry this member's device stored, in any conversation. */
export const stored = (m: Member): Promise<StoredMessage[]> => m.db.getAll('messages');

/** The one entry of the room's conversation (there must be exactly one), in memory and as stored. */
export async function onlyEntry(m: Member): Promise<StoredMessage> {
  expect(m.room.history()).to.have.length(1);
  expect((await stored(m)).map((e) => e.id)).to.deep.equal([m.room.history()[0]!.id]);
  return m.room.history()[0]!;
}

/** Alice's entry's transfers: Bob's and Carol's ids. */
export const memberTransfers = (entry: StoredMessage): { bob: string; carol: string } => entry.transfers as { bob: string; carol: string };
