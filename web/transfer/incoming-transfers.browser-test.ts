/**
 * The receiver's side (`IncomingTransfers` and its worker), through two TransferServices (see
 * transfer-test-support.ts): what it stores, checks and asks for again, after lost or damaged chunks,
 * reloads and new channels; where received files are kept (the origin private file system, IndexedDB, and
 * older Safari's emulated limits); offers entered once, in the right conversation, also in a room. The
 * two-person suite runs once with received files in the origin private file system and once in IndexedDB.
 */
import { expect } from 'chai';
import { ChatService } from '../chat/chat-service.js';
import { roomConversation } from '../chat/room-wire.js';
import { MessageStore } from '../storage/message-store.js';
import { BLOCK_BYTES, chunksPer, filesDirectory, FLUSH_CHUNKS } from './receiver-messages.js';
import * as inRoom from './room-transfer-test-support.js';
import { ALICE, CHUNK_SIZE, connect, controlTypes, cutMidway, exchange, expectDelivered, FILE_BYTES, fileOnDisk, notingChunks, offerAndAccept, only, pair, randomFile, reload, rtc, run, sha256, side, state, type Tamper } from './transfer-test-support.js';
import { TransferReceiver } from './transfer-receiver.js';
import { TransferService } from './transfer-service.js';
import { bytesToHex, chunkDigest, decodeChunk, encodeChunk, parseTransferFrame, type TransferFrame } from './transfer-wire.js';

declare const describe: (title: string, body: () => void) => void;
declare const it: (title: string, body: () => Promise<void>) => void;
declare const before: (body: () => void) => void;

for (const where of ['opfs', 'indexeddb'] as const) describe(`The receiver (IncomingTransfers) (received files in ${where})`, () => {
  before(() => {
    run.store = where;
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
    const every = run.store === 'opfs' ? FLUSH_CHUNKS : chunksPer(BLOCK_BYTES, 255 * 1024);
    expect(reported).to.deep.equal(Array.from({ length: Math.ceil(41 / every) }, (_, i) => Math.min(41, (i + 1) * every)));
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

describe('The receiver (IncomingTransfers): received files in the origin private file system', () => {
  before(() => {
    run.store = 'opfs';
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

let probes = 0;

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

describe('The receiver (IncomingTransfers): its worker on older Safari (its file handle’s answers emulated)', () => {
  it('keeps files in the origin private file system where the sync handle answers at once, and in IndexedDB where it gives Promises (Safari 15.2–16.3)', async () => {
    expect(await new TransferReceiver(`probe-${++probes}`).store()).to.equal('opfs');
    await withWorkerFront(
      `const getSize = FileSystemSyncAccessHandle.prototype.getSize;
       FileSystemSyncAccessHandle.prototype.getSize = function () { return Promise.resolve(getSize.call(this)); };`,
      async () => void expect(await new TransferReceiver(`probe-${++probes}`).store()).to.equal('indexeddb'),
    );
  });
});

describe('The receiver (IncomingTransfers) where IndexedDB refuses Blobs (Safari’s Private Browsing, emulated in the receiving worker)', () => {
  it('stores the received blocks as ArrayBuffers: the file arrives byte-identical, and the person is told once that it lasts until the tab closes', async () => {
    // IndexedDB refuses Blobs as WebKit's does in an ephemeral session.
    const refuseBlobs = `const put = IDBObjectStore.prototype.put;
      IDBObjectStore.prototype.put = function (value, key) {
        if (value instanceof Blob) throw new DOMException('Error preparing Blob/File data to be stored in object store', 'UnknownError');
        return put.call(this, value, key);
      };`;
    run.store = 'indexeddb';
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
    }).finally(() => (run.store = 'opfs'));
  });
});

describe('The receiver (IncomingTransfers) with a slow receiving worker (each of its answers 200 ms late)', () => {
  it('what the worker stores is recorded and reported before the exchange is over: the file arrives whole', async () => {
    const lateAnswers = `const post = globalThis.postMessage.bind(globalThis);
      globalThis.postMessage = (message, transfer) => setTimeout(() => post(message, transfer), 200);`;
    run.store = 'opfs';
    await withWorkerFront(lateAnswers, async () => {
      const [alice, bob] = await pair();
      await connect(alice, bob);
      const file = randomFile(3 * CHUNK_SIZE + 100);
      const reported: number[] = [];
      const id = await offerAndAccept(alice, bob, file);
      await exchange(alice, bob, (frame, from) => {
        const parsed = from === bob && typeof frame === 'string' ? parseTransferFrame(frame) : null;
        if (parsed?.t === 'progress') reported.push(parsed.next);
        return [frame];
      });
      expect(reported).to.deep.equal([4]);
      await expectDelivered(alice, bob, id, file);
    });
  });
});

describe('The receiver (IncomingTransfers): files offered in the room', () => {
  it('a receiver that reloads keeps one entry: the offer made again after the reload is the same file, in the same place, and goes on', async () => {
    const [alice, bob, carol] = await inRoom.trio();
    const file = randomFile(inRoom.FILE_BYTES);
    await alice.service.sendToRoom([file]);
    await inRoom.exchange(alice, bob, carol);
    const ids = inRoom.memberTransfers(await inRoom.onlyEntry(alice));
    await bob.service.accept(ids.bob);
    // The channel dies after 17 chunks (16 are flushed there); Bob's page reloads meanwhile.
    let chunks = 0;
    alice.channels.get('bob')!.onSend = (frame) => {
      if (typeof frame !== 'string' && ++chunks === 17) alice.channels.get('bob')!.close();
    };
    await inRoom.exchange(alice, bob);
    expect(bob.service.get(ids.bob)).to.include({ state: 'active', next: 16 });
    const bobAgain = await inRoom.reload(bob);
    await inRoom.onlyEntry(bobAgain);
    await inRoom.connect(alice, bobAgain);
    await inRoom.exchange(alice, bobAgain);
    const entry = await inRoom.onlyEntry(bobAgain);
    expect(entry).to.include({ id: ids.bob, author: 'alice' });
    expect(bobAgain.service.get(ids.bob)!.state).to.equal('complete');
    expect(alice.service.get(ids.bob)!.state).to.equal('complete');
    expect(await sha256((await bobAgain.service.file(ids.bob))!)).to.equal(await sha256(file));
  });

  it('a member cannot put a file into another room, nor move a transfer between a room and a one-to-one conversation', async () => {
    const [, bob] = await inRoom.trio();
    const offer = (id: string, room?: string): string =>
      JSON.stringify({ t: 'offer', id, name: 'x.bin', size: 10, type: '', chunkSize: 63 * 1024, integrity: 2, ...(room ? { room } : {}) } satisfies TransferFrame);
    const channel = bob.channels.get('alice')! as unknown as RTCDataChannel;

    await bob.service.receive('alice', offer('AAAAAAAAAAAAAAAAAAAAAA', inRoom.OTHER_ROOM), channel);
    expect(await inRoom.stored(bob)).to.have.length(0);
    expect(await bob.db.getAll('transfers')).to.have.length(0);

    await bob.service.receive('alice', offer('BBBBBBBBBBBBBBBBBBBBBB', inRoom.ROOM), channel);
    await bob.service.receive('alice', offer('BBBBBBBBBBBBBBBBBBBBBB'), channel);
    await bob.service.receive('alice', offer('BBBBBBBBBBBBBBBBBBBBBB', inRoom.OTHER_ROOM), channel);
    expect((await inRoom.onlyEntry(bob)).conversation).to.equal(roomConversation(inRoom.ROOM));
    expect(bob.service.get('BBBBBBBBBBBBBBBBBBBBBB')!.room).to.equal(inRoom.ROOM);

    await bob.service.receive('alice', offer('CCCCCCCCCCCCCCCCCCCCCC'), channel);
    await bob.service.receive('alice', offer('CCCCCCCCCCCCCCCCCCCCCC', inRoom.ROOM), channel);
    const entries = await inRoom.stored(bob);
    expect(entries.find((e) => e.id === 'CCCCCCCCCCCCCCCCCCCCCC')!.conversation).to.equal('alice');
    expect(bob.room.history()).to.have.length(1);
    // A service that knows no room (one to one only) takes no room's file.
    const db = await inRoom.newDatabase();
    const oneToOne = new TransferService(db, new ChatService(new MessageStore(db), { send: () => false, want: () => undefined }), {
      channel: () => null,
      maxMessageSize: () => null,
      want: () => undefined,
    });
    await oneToOne.receive('alice', offer('DDDDDDDDDDDDDDDDDDDDDD', inRoom.ROOM), channel);
    expect(await db.getAll('transfers')).to.have.length(0);
    expect(await db.getAll('messages')).to.have.length(0);
  });
});
