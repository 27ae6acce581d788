/**
 * The sender's side (`OutgoingTransfers`), through two TransferServices (see transfer-test-support.ts): what
 * it sends and when it calls a file sent, after lost frames, reloads and new channels; the chunk size and the
 * integrity version it follows; files sent to a room, one transfer per member. The two-person suite runs
 * once with received files in the origin private file system and once in IndexedDB.
 */
import { expect } from 'chai';
import { roomConversation } from '../chat/room-wire.js';
import * as inRoom from './room-transfer-test-support.js';
import { asIs, connect, CHUNK_SIZE, controlTypes, cutAfter, disconnect, exchange, expectDelivered, FakeChannel, FILE_BYTES, fileOnDisk, losing, offerAndAccept, onSlowDisk, only, pair, randomFile, reload, rtc, run, sha256, state, type Tamper } from './transfer-test-support.js';
import { decodeChunk, DEFAULT_MESSAGE_SIZE, parseTransferFrame, type TransferFrame } from './transfer-wire.js';

declare const describe: (title: string, body: () => void) => void;
declare const it: (title: string, body: () => Promise<void>) => void;
declare const before: (body: () => void) => void;

for (const where of ['opfs', 'indexeddb'] as const) describe(`The sender (OutgoingTransfers) (received files in ${where})`, () => {
  before(() => {
    run.store = where;
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
    expect((await fileOnDisk(bob, id))?.size ?? null).to.equal(run.store === 'opfs' ? FILE_BYTES : null);
    expect(await bob.db.count('chunks')).to.equal(run.store === 'opfs' ? 0 : 3);
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
    // The sender, woken by the drained buffer, has done all it does before the receiver says where it stands.
    await alice.service.settled();
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
});

describe('The sender (OutgoingTransfers) on a slow disk', () => {
  before(() => {
    run.store = 'opfs';
  });

  it('every read of the file 200 ms late: a chunk lost on the way is sent again once read again, and the file arrives whole', async () => {
    const [alice, bob] = await pair();
    await connect(alice, bob);
    const file = randomFile(4 * CHUNK_SIZE + 100);
    const id = await offerAndAccept(alice, bob, onSlowDisk(file, 200));
    const sent: number[] = [];
    let chunks = 0;
    await exchange(alice, bob, (frame) => {
      if (typeof frame === 'string') return [frame];
      sent.push(decodeChunk(frame)!.index);
      return ++chunks === 2 ? [] : [frame];
    });
    expect(sent).to.deep.equal([0, 1, 2, 3, 4, 1, 2, 3, 4]);
    await expectDelivered(alice, bob, id, file);
  });
});

describe('The sender (OutgoingTransfers): files sent to the room', () => {
  it('one transfer per member under one entry; each member gets the offer in the room with its author, accepts or declines their own, and the entry follows each', async () => {
    const [alice, bob, carol] = await inRoom.trio();
    const file = randomFile(inRoom.FILE_BYTES, 'minutes.pdf');
    await alice.service.sendToRoom([file]);
    await inRoom.exchange(alice, bob, carol);

    const sent = await inRoom.onlyEntry(alice);
    expect(sent).to.include({ conversation: roomConversation(inRoom.ROOM), direction: 'out', text: 'minutes.pdf' });
    const ids = inRoom.memberTransfers(sent);
    expect(Object.keys(ids).sort()).to.deep.equal(['bob', 'carol']);
    expect(ids.bob).to.not.equal(ids.carol);
    for (const [device, id] of Object.entries(ids)) expect(alice.service.get(id)).to.include({ conversation: device, room: inRoom.ROOM, direction: 'out', state: 'offered' });

    for (const [receiver, id] of [[bob, ids.bob], [carol, ids.carol]] as const) {
      const offer = await inRoom.onlyEntry(receiver);
      // In the room's conversation, not the one-to-one with Alice, with Alice as its author.
      expect(offer).to.include({ id, conversation: roomConversation(inRoom.ROOM), author: 'alice', transfer: id, text: 'minutes.pdf', status: 'delivered' });
      expect(receiver.room.unread()).to.equal(1);
      expect(receiver.service.get(id)).to.include({ conversation: 'alice', room: inRoom.ROOM, direction: 'in', state: 'offered' });
    }

    await bob.service.accept(ids.bob);
    await carol.service.decline(ids.carol);
    await inRoom.exchange(alice, bob, carol);
    expect(alice.service.get(ids.bob)!.state).to.equal('complete');
    expect(alice.service.get(ids.carol)!.state).to.equal('declined');
    expect(bob.service.get(ids.bob)!.state).to.equal('complete');
    expect(await sha256((await bob.service.file(ids.bob))!)).to.equal(await sha256(file));
    // Still one entry on each device, and two transfers on the sender's, one per member.
    await inRoom.onlyEntry(alice);
    await inRoom.onlyEntry(bob);
    await inRoom.onlyEntry(carol);
    expect((await alice.db.getAll('transfers')).map((t) => t.conversation).sort()).to.deep.equal(['bob', 'carol']);
  });

  it('a member away gets the offer when their connection opens, after the sender reloaded; the sender picks the file again and it arrives whole', async () => {
    const firstAlice = await inRoom.member('alice', ['bob', 'carol']);
    const bob = await inRoom.member('bob', ['alice', 'carol']);
    const carol = await inRoom.member('carol', ['alice', 'bob']);
    await inRoom.connect(firstAlice, bob);
    const file = randomFile(inRoom.FILE_BYTES, 'plan.png');
    await firstAlice.service.sendToRoom([file]);
    await inRoom.exchange(firstAlice, bob);
    const ids = inRoom.memberTransfers(await inRoom.onlyEntry(firstAlice));
    expect(await inRoom.stored(carol)).to.have.length(0);
    expect(firstAlice.service.hasPending('carol')).to.equal(true);

    // Alice's page reloads: the same one entry, its transfers read again, nothing offered twice.
    const alice = await inRoom.reload(firstAlice);
    expect((await inRoom.onlyEntry(alice)).id).to.equal((await inRoom.onlyEntry(firstAlice)).id);
    expect(alice.service.get(ids.carol)!.state).to.equal('offered');

    await inRoom.connect(alice, carol);
    await inRoom.exchange(alice, bob, carol);
    const offer = await inRoom.onlyEntry(carol);
    expect(offer).to.include({ id: ids.carol, author: 'alice', conversation: roomConversation(inRoom.ROOM) });
    await carol.service.accept(ids.carol);
    await inRoom.exchange(alice, carol);
    // This page has no file: Carol's transfer waits for it.
    expect(alice.service.needsFile(ids.carol)).to.equal(true);
    expect(await alice.service.provideFile(ids.carol, file)).to.equal(true);
    await inRoom.exchange(alice, carol);
    expect(alice.service.get(ids.carol)!.state).to.equal('complete');
    expect(await sha256((await carol.service.file(ids.carol))!)).to.equal(await sha256(file));
    // Bob never answered: his transfer still waits for him, apart from Carol's.
    expect(alice.service.get(ids.bob)!.state).to.equal('offered');
  });

  it('the sender cancels for everyone: each member who had not finished hears it', async () => {
    const [alice, bob, carol] = await inRoom.trio();
    await alice.service.sendToRoom([randomFile(inRoom.FILE_BYTES)]);
    await inRoom.exchange(alice, bob, carol);
    const ids = inRoom.memberTransfers(await inRoom.onlyEntry(alice));
    await carol.service.decline(ids.carol);
    await inRoom.exchange(alice, carol);
    await Promise.all(Object.values(ids).map((id) => alice.service.cancel(id)));
    await inRoom.exchange(alice, bob, carol);
    expect(bob.service.get(ids.bob)!.state).to.equal('cancelled');
    expect(carol.service.get(ids.carol)!.state).to.equal('declined');
    expect(alice.service.get(ids.bob)!.state).to.equal('cancelled');
    expect(alice.service.get(ids.carol)!.state).to.equal('declined');
  });

  it('with no one else in the room, nothing is stored and the person is told', async () => {
    const alone = await inRoom.member('alice', []);
    const errors: string[] = [];
    alone.service.addEventListener('wh-transfer-error', (event) => errors.push(event.detail));
    await alone.service.sendToRoom([randomFile(100)]);
    expect(errors).to.deep.equal(['No one else is in this room yet: share its link first.']);
    expect(await inRoom.stored(alone)).to.have.length(0);
    expect(await alone.db.getAll('transfers')).to.have.length(0);
  });
});
