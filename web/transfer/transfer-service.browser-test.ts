/**
 * The transfer state machine between two TransferServices, each with its own
 * IndexedDB and receiving worker (real, in the browser) and chat, joined by a
 * files channel whose frames the test delivers, drops, repeats or holds back.
 * A "reload" stops a service (its worker ends, as a closed page's does) and
 * starts a new one on the same database; a channel that closes and opens again
 * is a new channel, as a new peer connection gives. The whole suite runs once
 * with received files in the origin private file system and once in IndexedDB
 * (where a browser cannot write files from a worker).
 */
import { expect } from 'chai';
import { ChatService } from '../chat/chat-service.js';
import { openDatabase, type StoredTransfer, type TransferState, type WhisperDatabase } from '../storage/database.js';
import { MessageStore } from '../storage/message-store.js';
import { BLOCK_BYTES, chunksPer, filesDirectory, FLUSH_CHUNKS, type ReceiveStore } from './receiver-messages.js';
import { FakeChannel, randomFile, sha256, type Frame } from './transfer-test-support.js';
import { TransferReceiver } from './transfer-receiver.js';
import { TransferService } from './transfer-service.js';
import { bytesToHex, chunkDigest, chunkSizeFor, decodeChunk, DEFAULT_MESSAGE_SIZE, encodeChunk, parseTransferFrame, type TransferFrame } from './transfer-wire.js';

declare const describe: (title: string, body: () => void) => void;
declare const it: (title: string, body: () => Promise<void>) => void;
declare const before: (body: () => void) => void;

interface Side {
  /** The other person's device key: this side's conversation. */
  peer: string;
  db: WhisperDatabase;
  chat: ChatService;
  service: TransferService;
  channel: FakeChannel | null;
  chatFrames: string[];
}

let databases = 0;
/** Where received files go in the tests being run. */
let store: ReceiveStore = 'opfs';

async function side(peer: string, db?: WhisperDatabase): Promise<Side> {
  const database = db ?? (await openDatabase(`transfer-test-${Date.now()}-${++databases}`));
  const chatFrames: string[] = [];
  const me = { peer, db: database, channel: null, chatFrames } as unknown as Side;
  me.chat = new ChatService(new MessageStore(database), {
    send: (_device, frame) => {
      if (!me.channel) return false;
      chatFrames.push(JSON.stringify(frame));
      return true;
    },
    want: () => undefined,
  });
  me.service = new TransferService(database, me.chat, {
    channel: () => (me.channel?.readyState === 'open' ? (me.channel as unknown as RTCDataChannel) : null),
    maxMessageSize: () => me.channel?.maxMessageSize ?? null,
    want: () => undefined,
  }, { store });
  return me;
}

/** The page closes (its worker with it) and opens again on the same database. */
async function reload(s: Side): Promise<Side> {
  s.service.stop();
  return side(s.peer, s.db);
}

const ALICE = 'A11CE';
const BOB = 'B0B';

/** Alice's side (talking to Bob) and Bob's (talking to Alice). */
async function pair(): Promise<[Side, Side]> {
  return [await side(BOB), await side(ALICE)];
}

/** A new channel between the two, opened on both sides, as a new peer connection gives. */
async function connect(a: Side, b: Side, maxMessageSize = DEFAULT_MESSAGE_SIZE): Promise<void> {
  a.channel?.close();
  b.channel?.close();
  a.channel = new FakeChannel();
  b.channel = new FakeChannel();
  a.channel.maxMessageSize = b.channel.maxMessageSize = maxMessageSize;
  await Promise.all([a.service.channelOpened(a.peer), b.service.channelOpened(b.peer)]);
}

function disconnect(a: Side, b: Side): void {
  a.channel?.close();
  b.channel?.close();
  a.channel = null;
  b.channel = null;
}

/** The channel a side's frames arrive on, as the service sees it. */
const rtc = (s: Side) => s.channel as unknown as RTCDataChannel;

type Tamper = (frame: Frame, from: Side) => Frame[];
const asIs: Tamper = (frame) => [frame];

/** Delivers what each side sent until both are quiet (or `rounds` runs out); `tamper` may drop, repeat or change frames. */
async function exchange(a: Side, b: Side, tamper: Tamper = asIs, rounds = 2000): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    let moved = false;
    for (const [from, to] of [[a, b], [b, a]] as const) {
      const frames = from.channel?.sent.splice(0) ?? [];
      for (const frame of frames) {
        for (const delivered of tamper(frame, from)) {
          if (to.channel?.readyState !== 'open') continue;
          moved = true;
          // Each message arrives in a buffer of its own, as from a real channel (the receiver hands it on to its worker).
          await to.service.receive(to.peer, typeof delivered === 'string' ? delivered : delivered.slice(0), rtc(to));
        }
      }
    }
    // Let the receiver's block writes (IndexedDB) finish and their progress go out.
    await new Promise((resolve) => setTimeout(resolve, moved ? 0 : 20));
    if (!moved && a.channel?.sent.length === 0 && b.channel?.sent.length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 30));
      if (a.channel?.sent.length === 0 && b.channel?.sent.length === 0) return;
    }
  }
}

async function only(s: Side): Promise<StoredTransfer> {
  const all = await s.db.getAll('transfers');
  expect(all).to.have.length(1);
  return s.service.get(all[0]!.id) ?? all[0]!;
}

const state = async (s: Side): Promise<TransferState> => (await only(s)).state;
const controlTypes = (frames: Frame[]) => frames.filter((f): f is string => typeof f === 'string').map((f) => parseTransferFrame(f)?.t);

/** Alice offers `file` to Bob, Bob accepts; returns the transfer id. */
async function offerAndAccept(alice: Side, bob: Side, file: File, tamper: Tamper = asIs): Promise<string> {
  await alice.service.send(alice.peer, [file]);
  await exchange(alice, bob, tamper, 1);
  const id = (await only(bob)).id;
  await bob.service.accept(id);
  return id;
}

/** Loses every chunk after the first `n`, as a connection that dies does. */
function cutAfter(n: number): Tamper {
  let chunks = 0;
  return (frame) => (typeof frame !== 'string' && ++chunks > n ? [] : [frame]);
}

/** Delivers every frame, and notes the index of each chunk in `indexes`. */
const notingChunks = (indexes: number[]): Tamper => (frame) => {
  if (typeof frame !== 'string') indexes.push(decodeChunk(frame)!.index);
  return [frame];
};

/** Loses every control frame of type `t` that `sender` writes. */
const losing = (t: TransferFrame['t'], sender: Side): Tamper => (frame, from) =>
  from === sender && typeof frame === 'string' && parseTransferFrame(frame)?.t === t ? [] : [frame];

/** Both sides finished, and the receiver holds the very bytes that were sent. */
async function expectDelivered(alice: Side, bob: Side, id: string, file: File): Promise<void> {
  expect(await state(bob)).to.equal('complete');
  expect(await state(alice)).to.equal('complete');
  expect(await sha256((await bob.service.file(id))!)).to.equal(await sha256(file));
}

const CHUNK_SIZE = chunkSizeFor(DEFAULT_MESSAGE_SIZE);
const FILE_BYTES = 40 * CHUNK_SIZE + 1234;

/** Alice sends Bob a file and he accepts; the connection dies after `n` chunks (whatever is on its way is lost). */
async function cutMidway(n: number): Promise<{ alice: Side; bob: Side; id: string; file: File }> {
  const [alice, bob] = await pair();
  await connect(alice, bob);
  const file = randomFile(FILE_BYTES);
  const id = await offerAndAccept(alice, bob, file);
  await exchange(alice, bob, cutAfter(n));
  disconnect(alice, bob);
  return { alice, bob, id, file };
}

for (const where of ['opfs', 'indexeddb'] as const) describe(`TransferService: the transfer state machine (received files in ${where})`, () => {
  before(() => {
    store = where;
  });

  it('offer, accept, chunks, end, done: byte-identical, and "complete" on the sender only after the receiver said done', async () => {
    const [alice, bob] = await pair();
    await connect(alice, bob);
    const file = randomFile(FILE_BYTES);
    let senderCompleteBeforeDone = false;
    const id = await offerAndAccept(alice, bob, file);
    await exchange(alice, bob, (frame, from) => {
      if (from === bob && typeof frame === 'string' && parseTransferFrame(frame)?.t === 'done') {
        senderCompleteBeforeDone ||= alice.service.get(id)?.state === 'complete';
      }
      return [frame];
    });
    expect(senderCompleteBeforeDone).to.equal(false);
    await expectDelivered(alice, bob, id, file);
    // Kept where this run says: one file on disk, or 1 MiB blocks in IndexedDB.
    expect((await fileOnDisk(bob, id))?.size ?? null).to.equal(store === 'opfs' ? FILE_BYTES : null);
    expect(await bob.db.count('chunks')).to.equal(store === 'opfs' ? 0 : 3);
  });

  it('every frame delivered twice: the same result, one entry in each history', async () => {
    const [alice, bob] = await pair();
    await connect(alice, bob);
    const file = randomFile(FILE_BYTES);
    const twice: Tamper = (frame) => [frame, frame];
    const id = await offerAndAccept(alice, bob, file, twice);
    await exchange(alice, bob, twice);
    await expectDelivered(alice, bob, id, file);
    expect((await bob.db.getAll('messages')).map((m) => m.id)).to.deep.equal([id]);
    expect((await alice.db.getAll('messages')).map((m) => m.id)).to.deep.equal([id]);
  });

  it('the channel drops mid-transfer and a new one opens: it resumes from what the receiver stored', async () => {
    const { alice, bob, id, file } = await cutMidway(20);
    expect(bob.service.get(id)!.next).to.be.within(16, 20);
    await connect(alice, bob);
    const resentFrom: number[] = [];
    await exchange(alice, bob, notingChunks(resentFrom));
    expect(resentFrom[0]).to.equal(16);
    await expectDelivered(alice, bob, id, file);
  });

  it('the receiver reloads mid-transfer: its new page resumes from the stored blocks and hash state', async () => {
    const { alice, bob: firstBob, id, file } = await cutMidway(24);
    const bob = await reload(firstBob);
    await connect(alice, bob);
    await exchange(alice, bob);
    await expectDelivered(alice, bob, id, file);
  });

  it('the receiver verified the file but its "done" was lost, and the sender reloaded: the sender learns it without the file', async () => {
    const [firstAlice, bob] = await pair();
    await connect(firstAlice, bob);
    const file = randomFile(FILE_BYTES);
    const id = await offerAndAccept(firstAlice, bob, file);
    await exchange(firstAlice, bob, losing('done', bob));
    expect(await state(bob)).to.equal('complete');
    expect(firstAlice.service.get(id)!.state).to.equal('active');
    disconnect(firstAlice, bob);
    const alice = await reload(firstAlice);
    await alice.service.load(alice.peer);
    // Every chunk was acknowledged and the hash is known: the person is not asked to pick the file again.
    expect(alice.service.get(id)!.state).to.equal('active');
    expect(alice.service.needsFile(id)).to.equal(false);
    await connect(alice, bob);
    await exchange(alice, bob);
    expect(await state(alice)).to.equal('complete');
  });

  it('the sender\'s "end" was lost and the sender reloaded: every chunk is stored there, so it finishes without the file', async () => {
    const [firstAlice, bob] = await pair();
    await connect(firstAlice, bob);
    const file = randomFile(FILE_BYTES);
    const id = await offerAndAccept(firstAlice, bob, file);
    await exchange(firstAlice, bob, losing('end', firstAlice));
    expect(bob.service.get(id)!.state).to.equal('active');
    expect(bob.service.get(id)!.next).to.equal(bob.service.get(id)!.chunkCount);
    disconnect(firstAlice, bob);
    const alice = await reload(firstAlice);
    await connect(alice, bob);
    await exchange(alice, bob);
    await expectDelivered(alice, bob, id, file);
  });

  it('over a new channel the receiver asks for the rest once, though the sender\'s new offer asks it too; an accept from an old channel, late, does no harm', async () => {
    const { alice, bob, id, file } = await cutMidway(20);
    await connect(alice, bob);
    const asked: Array<string | undefined> = [];
    await exchange(alice, bob, (frame, from) => {
      if (from === bob) asked.push(...controlTypes([frame]));
      return [frame];
    });
    expect(asked.filter((t) => t === 'accept')).to.have.length(1);
    expect(await state(bob)).to.equal('complete');
    // A stale accept after the end changes nothing.
    await alice.service.receive(alice.peer, JSON.stringify({ t: 'accept', id, from: 0 } satisfies TransferFrame), rtc(alice));
    await exchange(alice, bob);
    expect(await state(alice)).to.equal('complete');
    expect(await sha256((await bob.service.file(id))!)).to.equal(await sha256(file));
  });

  it('a corrupted chunk is asked for again, once, and the file arrives whole', async () => {
    const [alice, bob] = await pair();
    await connect(alice, bob);
    const file = randomFile(FILE_BYTES);
    let chunks = 0;
    const nacks: number[] = [];
    const id = await offerAndAccept(alice, bob, file);
    await exchange(alice, bob, (frame, from) => {
      if (typeof frame === 'string') {
        const control = parseTransferFrame(frame);
        if (control?.t === 'nack') nacks.push(control.from);
        return [frame];
      }
      if (++chunks !== 10) return [frame];
      const copy = frame.slice(0);
      new Uint8Array(copy)[500]! ^= 0xff;
      return [copy];
    });
    expect(nacks).to.deep.equal([9]);
    await expectDelivered(alice, bob, id, file);
  });

  it('the chunk size follows the largest message the peer takes: 255 KiB chunks to a Chromium peer (256 KiB messages), byte-identical', async () => {
    const [alice, bob] = await pair();
    await connect(alice, bob, 256 * 1024);
    const file = randomFile(5 * 255 * 1024 + 777);
    const sizes: number[] = [];
    const id = await offerAndAccept(alice, bob, file);
    expect((await only(bob)).chunkSize).to.equal(255 * 1024);
    await exchange(alice, bob, (frame, from) => {
      if (from === alice && typeof frame !== 'string') sizes.push(frame.byteLength);
      return [frame];
    });
    expect(sizes).to.have.length(6);
    expect(Math.max(...sizes)).to.be.at.most(256 * 1024);
    await expectDelivered(alice, bob, id, file);
  });

  it('the receiver records and reports its progress every 16 chunks written to its file (4 MiB of 255 KiB chunks), every 1 MiB block in IndexedDB', async () => {
    const [alice, bob] = await pair();
    await connect(alice, bob, 256 * 1024);
    const file = randomFile(40 * 255 * 1024 + 5);
    const reported: number[] = [];
    const id = await offerAndAccept(alice, bob, file);
    await exchange(alice, bob, (frame, from) => {
      const parsed = from === bob && typeof frame === 'string' ? parseTransferFrame(frame) : null;
      if (parsed?.t === 'progress') reported.push(parsed.next);
      return [frame];
    });
    const every = store === 'opfs' ? FLUSH_CHUNKS : chunksPer(BLOCK_BYTES, 255 * 1024);
    expect(reported).to.deep.equal(Array.from({ length: Math.ceil(41 / every) }, (_, i) => Math.min(41, (i + 1) * every)));
    await expectDelivered(alice, bob, id, file);
  });

  it('chunks carry their SHA-256 (version 2), and `end` the SHA-256 of those in order: the test vector of docs/protocol.md', async () => {
    const [alice, bob] = await pair();
    await connect(alice, bob);
    // 2 chunks of 63 KiB and 5 bytes, byte i = i mod 251.
    const bytes = Uint8Array.from({ length: 2 * CHUNK_SIZE + 5 }, (_, i) => i % 251);
    const file = new File([bytes], 'vector.bin');
    const chunks: Array<{ integrity: number; hash: string }> = [];
    const ends: string[] = [];
    const id = await offerAndAccept(alice, bob, file);
    await exchange(alice, bob, (frame, from) => {
      if (from === alice && typeof frame !== 'string') {
        const chunk = decodeChunk(frame)!;
        chunks.push({ integrity: chunk.integrity, hash: chunk.hash });
      }
      const control = typeof frame === 'string' ? parseTransferFrame(frame) : null;
      if (control?.t === 'end') ends.push(control.sha256);
      return [frame];
    });
    expect(chunks.map((c) => c.integrity)).to.deep.equal([2, 2, 2]);
    expect(chunks.map((c) => c.hash)).to.deep.equal([
      '2411470ad8cd352844881661e51a43093e53546dce478267bfede64aaca22fae',
      'b393e26d02879f41950da0237e28bb68ce2ea01c63aaddf37577f8541b37ea6d',
      'cbd6e04d9a303d64640a8415f5dfd6a8d90fa7e6c6be2c06ed20901f4cea4601',
    ]);
    expect(ends).to.deep.equal(['9027566cb4dc376ea52fa0a18f84a3b866ebc2b93caea4dd387a80f400de89fb']);
    await expectDelivered(alice, bob, id, file);
  });

  it('a receiver whose app knows only version 1 (its accept says nothing of integrity): the sender follows with xxhash64 chunks and the whole file\'s SHA-256', async () => {
    const [alice, bob] = await pair();
    await connect(alice, bob);
    const file = randomFile(FILE_BYTES);
    const versions = new Set<number>();
    const ends: string[] = [];
    // What an app of before version 2 sees and says: the offer's `integrity` is dropped, as its schema drops what it does not know.
    const olderBob: Tamper = (frame, from) => {
      if (typeof frame !== 'string') {
        versions.add(decodeChunk(frame)!.integrity);
        return [frame];
      }
      const control = parseTransferFrame(frame);
      if (control?.t === 'end') ends.push(control.sha256);
      if (from === alice && control?.t === 'offer') return [JSON.stringify({ ...control, integrity: undefined })];
      return [frame];
    };
    const id = await offerAndAccept(alice, bob, file, olderBob);
    expect((await only(bob)).integrity).to.equal(undefined);
    await exchange(alice, bob, olderBob);
    expect([...versions]).to.deep.equal([1]);
    expect(ends).to.deep.equal([await sha256(file)]);
    expect(alice.service.get(id)!.integrity).to.equal(undefined);
    await expectDelivered(alice, bob, id, file);
  });

  it('a chunk of the wrong length (a valid hash over too few bytes) is refused and asked for again', async () => {
    const [alice, bob] = await pair();
    await connect(alice, bob);
    const file = randomFile(FILE_BYTES);
    const nacks: number[] = [];
    let chunks = 0;
    const id = await offerAndAccept(alice, bob, file);
    // The third chunk (index 2) cut to its first 1000 bytes, with their SHA-256.
    const shortDigest = await chunkDigest(new Uint8Array(await file.slice(2 * CHUNK_SIZE, 2 * CHUNK_SIZE + 1000).arrayBuffer()));
    await exchange(alice, bob, (frame, from) => {
      if (typeof frame === 'string') {
        const control = parseTransferFrame(frame);
        if (control?.t === 'nack') nacks.push(control.from);
        return [frame];
      }
      if (from !== alice || ++chunks !== 3) return [frame];
      const chunk = decodeChunk(frame)!;
      const short = chunk.data.slice(0, 1000);
      return [encodeChunk(chunk.id, chunk.index, bytesToHex(shortDigest), short).buffer];
    });
    expect(nacks).to.deep.equal([2]);
    await expectDelivered(alice, bob, id, file);
  });

  it('resumed over a connection that takes smaller messages than its chunks: the sender stops it with a reason, and the receiver is told', async () => {
    const [alice, bob] = await pair();
    await connect(alice, bob, 256 * 1024);
    const file = randomFile(20 * 255 * 1024);
    const id = await offerAndAccept(alice, bob, file);
    await exchange(alice, bob, cutAfter(3));
    await connect(alice, bob, DEFAULT_MESSAGE_SIZE);
    await exchange(alice, bob);
    expect(alice.service.get(id)!.state).to.equal('failed');
    expect(alice.service.get(id)!.reason).to.match(/smaller pieces/);
    expect(await state(bob)).to.equal('cancelled');
  });

  it('a chunk from beyond the one expected (the sender went on without it) makes the receiver ask for it, not wait for ever', async () => {
    const [alice, bob] = await pair();
    await connect(alice, bob);
    const file = randomFile(FILE_BYTES);
    let chunks = 0;
    const id = await offerAndAccept(alice, bob, file);
    // The 5th chunk is lost on the way, as no reliable channel would: the rest comes in order.
    await exchange(alice, bob, (frame) => (typeof frame !== 'string' && ++chunks === 5 ? [] : [frame]));
    await expectDelivered(alice, bob, id, file);
  });

  it('a new channel opens while the sender waits on the old one: nothing goes out on it before the receiver says where it stands, then exactly the rest', async () => {
    const [alice, bob] = await pair();
    await connect(alice, bob);
    const file = randomFile(FILE_BYTES);
    const id = await offerAndAccept(alice, bob, file);
    // The old channel's buffer fills after 20 chunks: the sender waits for it to drain.
    const old = alice.channel!;
    let sent = 0;
    old.onSend = (frame) => {
      if (typeof frame !== 'string' && ++sent === 20) old.bufferedAmount = 64 * 1024 * 1024;
    };
    await exchange(alice, bob, cutAfter(18));
    expect(sent).to.equal(20);
    const stored = bob.service.get(id)!.next;
    // The new connection is up before the old one is seen to close.
    alice.channel = new FakeChannel();
    bob.channel?.close();
    bob.channel = new FakeChannel();
    old.bufferedAmount = 0;
    old.dispatchEvent(new Event('bufferedamountlow'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(alice.channel.sent.filter((f) => typeof f !== 'string')).to.have.length(0);
    old.close();
    await Promise.all([alice.service.channelOpened(alice.peer), bob.service.channelOpened(bob.peer)]);
    const resent: number[] = [];
    await exchange(alice, bob, (frame, from) => {
      if (from === alice && typeof frame !== 'string') resent.push(decodeChunk(frame)!.index);
      return [frame];
    });
    const total = Math.ceil(FILE_BYTES / CHUNK_SIZE);
    expect(resent).to.deep.equal(Array.from({ length: total - stored }, (_, i) => stored + i));
    await expectDelivered(alice, bob, id, file);
  });

  it('frames for transfers the other side does not know: an accept is answered with cancel, the rest is ignored', async () => {
    const [alice, bob] = await pair();
    await connect(alice, bob);
    const unknown = 'AAAAAAAAAAAAAAAAAAAAAA';
    for (const frame of [
      { t: 'progress', id: unknown, next: 3 },
      { t: 'nack', id: unknown, from: 1 },
      { t: 'end', id: unknown, sha256: '0'.repeat(64) },
      { t: 'done', id: unknown, ok: true },
      { t: 'decline', id: unknown },
      { t: 'cancel', id: unknown },
    ] satisfies TransferFrame[]) {
      await alice.service.receive(alice.peer, JSON.stringify(frame), rtc(alice));
    }
    expect(controlTypes(alice.channel!.sent)).to.deep.equal([]);
    await alice.service.receive(alice.peer, JSON.stringify({ t: 'accept', id: unknown, from: 0 }), rtc(alice));
    expect(controlTypes(alice.channel!.sent)).to.deep.equal(['cancel']);
    expect(await alice.db.getAll('transfers')).to.deep.equal([]);
    // A chunk for nothing, and a malformed frame, are dropped without a word.
    await bob.service.receive(bob.peer, new ArrayBuffer(100), rtc(bob));
    await bob.service.receive(bob.peer, '{"t":"offer","id":"x"}', rtc(bob));
    expect(bob.channel!.sent).to.deep.equal([]);
  });

  it('a sender that cancelled while the receiver could not hear it says so when the receiver accepts', async () => {
    const [alice, bob] = await pair();
    await connect(alice, bob);
    const file = randomFile(FILE_BYTES);
    await alice.service.send(alice.peer, [file]);
    await exchange(alice, bob, asIs, 1);
    disconnect(alice, bob);
    const id = (await only(alice)).id;
    await alice.service.cancel(id);
    await connect(alice, bob);
    await exchange(alice, bob);
    expect(await state(bob)).to.equal('offered');
    await bob.service.accept(id);
    await exchange(alice, bob);
    expect(await state(bob)).to.equal('cancelled');
    expect(bob.service.get(id)!.reason).to.equal('Cancelled by the other side.');
  });

  it('a file offered while the other was away reaches them as an offer with its buttons, never as a text message', async () => {
    const [alice, bob] = await pair();
    await alice.service.send(alice.peer, [randomFile(1000, 'notes.txt')]);
    // The chat opens first: nothing of the file goes over the chat channel.
    alice.channel = new FakeChannel();
    await alice.chat.channelOpened(alice.peer);
    expect(alice.chatFrames).to.deep.equal([]);
    await connect(alice, bob);
    await exchange(alice, bob);
    const entry = (await bob.db.getAll('messages'))[0]!;
    expect(entry.transfer).to.equal(entry.id);
    expect(await state(bob)).to.equal('offered');
  });

  it('a file entry an earlier version stored as plain text gets its transfer back when the offer comes', async () => {
    const [alice, bob] = await pair();
    await connect(alice, bob);
    await alice.service.send(alice.peer, [randomFile(1000, 'notes.txt')]);
    const id = (await only(alice)).id;
    alice.channel!.sent.length = 0;
    await bob.chat.load(bob.peer);
    // What an earlier version sent: the file's entry as a chat message.
    await bob.chat.receive(bob.peer, JSON.stringify({ t: 'msg', id, text: 'notes.txt', sentAt: Date.now() }));
    expect((await bob.db.get('messages', id))!.transfer).to.equal(undefined);
    await connect(alice, bob);
    await exchange(alice, bob);
    expect((await bob.db.get('messages', id))!.transfer).to.equal(id);
    expect(bob.chat.history(bob.peer).map((m) => m.transfer)).to.deep.equal([id]);
    expect(await state(bob)).to.equal('offered');
  });
});

/** The received file as the origin private file system holds it, or null. */
async function fileOnDisk(s: Side, id: string): Promise<File | null> {
  const root = await navigator.storage.getDirectory();
  try {
    return await (await (await root.getDirectoryHandle(filesDirectory(s.db.name))).getFileHandle(id)).getFile();
  } catch {
    return null;
  }
}

describe('TransferService: received files in the origin private file system', () => {
  before(() => {
    store = 'opfs';
  });

  it('the file on disk is given back with the type the sender said; Delete removes it', async () => {
    const [alice, bob] = await pair();
    await connect(alice, bob);
    const file = randomFile(FILE_BYTES, 'clip.mp4');
    const id = await offerAndAccept(alice, bob, file);
    await exchange(alice, bob);
    await expectDelivered(alice, bob, id, file);
    expect((await fileOnDisk(bob, id))?.size).to.equal(FILE_BYTES);
    expect((await bob.service.file(id))?.type).to.equal('application/octet-stream');
    await bob.service.deleteData(id);
    expect(await fileOnDisk(bob, id)).to.equal(null);
    expect(await bob.service.file(id)).to.equal(null);
  });

  it('the file was deleted while the page was closed: the transfer starts again from the first chunk and arrives whole', async () => {
    const { alice, bob: firstBob, id, file } = await cutMidway(24);
    expect((await only(firstBob)).next).to.be.greaterThan(0);
    firstBob.service.stop();
    await (await (await navigator.storage.getDirectory()).getDirectoryHandle(filesDirectory(firstBob.db.name))).removeEntry(id);
    const bob = await side(ALICE, firstBob.db);
    await connect(alice, bob);
    const indexes: number[] = [];
    await exchange(alice, bob, notingChunks(indexes));
    expect(indexes[0]).to.equal(0);
    await expectDelivered(alice, bob, id, file);
  });
});

/**
 * Workers started meanwhile run `emulation` (source text) beside the real worker's code: a front module that
 * imports the worker statically (its listeners are there before any message comes), then changes what it must.
 */
async function withWorkerFront(emulation: string, body: () => Promise<void>): Promise<void> {
  const RealWorker = globalThis.Worker;
  globalThis.Worker = class extends RealWorker {
    constructor(url: string | URL, options?: WorkerOptions) {
      const front = `import ${JSON.stringify(new URL(url, location.href).href)};\n${emulation}`;
      super(URL.createObjectURL(new Blob([front], { type: 'text/javascript' })), options);
    }
  };
  try {
    await body();
  } finally {
    globalThis.Worker = RealWorker;
  }
}

describe('the receiving worker on older Safari (its file handle’s answers emulated)', () => {
  it('keeps files in the origin private file system where the sync handle answers at once, and in IndexedDB where it gives Promises (Safari 15.2–16.3)', async () => {
    expect(await new TransferReceiver(`probe-${++databases}`).store()).to.equal('opfs');
    await withWorkerFront(
      `const getSize = FileSystemSyncAccessHandle.prototype.getSize;
       FileSystemSyncAccessHandle.prototype.getSize = function () { return Promise.resolve(getSize.call(this)); };`,
      async () => void expect(await new TransferReceiver(`probe-${++databases}`).store()).to.equal('indexeddb'),
    );
  });
});

describe('TransferService where IndexedDB refuses Blobs (Safari’s Private Browsing, emulated in the receiving worker)', () => {
  it('stores the received blocks as ArrayBuffers: the file arrives byte-identical, and the person is told once that it lasts until the tab closes', async () => {
    // IndexedDB refuses Blobs as WebKit's does in an ephemeral session.
    const refuseBlobs = `const put = IDBObjectStore.prototype.put;
      IDBObjectStore.prototype.put = function (value, key) {
        if (value instanceof Blob) throw new DOMException('Error preparing Blob/File data to be stored in object store', 'UnknownError');
        return put.call(this, value, key);
      };`;
    store = 'indexeddb';
    await withWorkerFront(refuseBlobs, async () => {
      const [alice, bob] = await pair();
      const told: string[] = [];
      bob.service.addEventListener('wh-transfer-error', (event) => told.push(event.detail));
      await connect(alice, bob);
      const file = randomFile(FILE_BYTES);
      const id = await offerAndAccept(alice, bob, file);
      await exchange(alice, bob);
      await expectDelivered(alice, bob, id, file);
      const blocks = await bob.db.getAll('chunks');
      expect(blocks.length).to.equal(3);
      expect(blocks.every((block) => block instanceof ArrayBuffer)).to.equal(true);
      expect(told).to.deep.equal(['This browser keeps received files only until this tab is closed (Private Browsing): save the ones you want to keep before you close it.']);
    }).finally(() => (store = 'opfs'));
  });
});
