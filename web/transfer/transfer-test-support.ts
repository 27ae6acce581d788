/**
 * Tests only: one end of a files channel, as the transfer service sees an RTCDataChannel (the tests keep what
 * each end sends and deliver it themselves, or drop, repeat or hold it back); random files and their SHA-256,
 * and a file on a slow disk;
 * and two people, Alice and Bob, each with a TransferService, its IndexedDB and receiving worker (real, in
 * the browser) and a chat, joined by a files channel whose frames the tests deliver, drop, repeat or hold
 * back. A "reload" stops a service (its worker ends, as a closed page's does) and starts a new one on the
 * same database; a channel that closes and opens again is a new channel, as a new peer connection gives.
 */
import { expect } from 'chai';
import { ChatService } from '../chat/chat-service.js';
import { openDatabase, type StoredTransfer, type TransferState, type WhisperDatabase } from '../storage/database.js';
import { MessageStore } from '../storage/message-store.js';
import { filesDirectory, type ReceiveStore } from './receiver-messages.js';
import { TransferService } from './transfer-service.js';
import { chunkSizeFor, decodeChunk, DEFAULT_MESSAGE_SIZE, parseTransferFrame, type TransferFrame } from './transfer-wire.js';

export type Frame = string | ArrayBuffer;

export class FakeChannel extends EventTarget {
  readyState: RTCDataChannelState = 'open';
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  /** What the connection's SCTP transport says the peer takes. */
  maxMessageSize = DEFAULT_MESSAGE_SIZE;
  readonly sent: Frame[] = [];
  /** Called with each frame as it is sent (a live wire delivers it from here). */
  onSend: ((frame: Frame) => void) | null = null;
  send(data: Frame | Uint8Array<ArrayBuffer>): void {
    if (this.readyState !== 'open') throw new Error('channel not open');
    // As RTCDataChannel.send does for a message larger than the peer takes.
    if (typeof data !== 'string' && data.byteLength > this.maxMessageSize) throw new TypeError('message too large');
    // Copied as it is sent, as RTCDataChannel.send does (the sender reuses its buffer), and received as an ArrayBuffer.
    const frame = typeof data === 'string' ? data : data instanceof ArrayBuffer ? data.slice(0) : data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
    this.sent.push(frame);
    this.onSend?.(frame);
  }
  close(): void {
    this.readyState = 'closed';
    this.dispatchEvent(new Event('close'));
  }
}

export function randomFile(bytes: number, name = 'photo.raw'): File {
  const data = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i += 65536) crypto.getRandomValues(data.subarray(i, Math.min(bytes, i + 65536)));
  return new File([data], name, { type: 'application/octet-stream' });
}

/** `file` on a slow disk: every piece the sender reads of it (through its streams) comes `ms` late. */
export function onSlowDisk(file: File, ms: number): File {
  class SlowBlob extends Blob {
    override stream(): ReturnType<Blob['stream']> {
      const late = new TransformStream<Uint8Array<ArrayBuffer>, Uint8Array<ArrayBuffer>>({
        transform: async (piece, out) => {
          await new Promise((resolve) => setTimeout(resolve, ms));
          out.enqueue(piece);
        },
      });
      return super.stream().pipeThrough(late);
    }
  }
  class SlowFile extends File {
    override slice(start?: number, end?: number, type?: string): Blob {
      return new SlowBlob([super.slice(start, end, type)]);
    }
  }
  return new SlowFile([file], file.name, { type: file.type, lastModified: file.lastModified });
}

export async function sha256(blob: Blob): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

export interface Side {
  /** The other person's device key: this side's conversation. */
  peer: string;
  db: WhisperDatabase;
  chat: ChatService;
  service: TransferService;
  channel: FakeChannel | null;
  chatFrames: string[];
}

let databases = 0;
/** Where received files go in the tests being run (a suite sets it before its tests). */
export const run: { store: ReceiveStore } = { store: 'opfs' };

/** A database of its own for each side, each test. */
const newDatabase = (): Promise<WhisperDatabase> => openDatabase(`transfer-test-${Date.now()}-${++databases}`);

export async function side(peer: string, db?: WhisperDatabase): Promise<Side> {
  const database = db ?? (await newDatabase());
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
  }, { store: run.store });
  return me;
}

/** The page closes (its worker with it) and opens again on the same database. */
export async function reload(s: Side): Promise<Side> {
  s.service.stop();
  return side(s.peer, s.db);
}

export const ALICE = 'A11CE';
export const BOB = 'B0B';

/** Alice's side (talking to Bob) and Bob's (talking to Alice). */
export async function pair(): Promise<[Side, Side]> {
  return [await side(BOB), await side(ALICE)];
}

/** A new channel between the two, opened on both sides, as a new peer connection gives. */
export async function connect(a: Side, b: Side, maxMessageSize = DEFAULT_MESSAGE_SIZE): Promise<void> {
  a.channel?.close();
  b.channel?.close();
  a.channel = new FakeChannel();
  b.channel = new FakeChannel();
  a.channel.maxMessageSize = b.channel.maxMessageSize = maxMessageSize;
  await Promise.all([a.service.channelOpened(a.peer), b.service.channelOpened(b.peer)]);
}

export function disconnect(a: Side, b: Side): void {
  a.channel?.close();
  b.channel?.close();
  a.channel = null;
  b.channel = null;
}

/** The channel a side's frames arrive on, as the service sees it. */
export const rtc = (s: Side) => s.channel as unknown as RTCDataChannel;

export type Tamper = (frame: Frame, from: Side) => Frame[];
export const asIs: Tamper = (frame) => [frame];

/** Frames a side sent that were not delivered yet. */
const waiting = (s: Side): number => s.channel?.sent.length ?? 0;

/**
 * Delivers what each side sent until both are quiet: no frame waits to be delivered, each one delivered is
 * handled (`receive`'s promise: a chunk stored by the receiving worker, recorded and reported), and neither
 * service has anything else under way (`TransferService.settled`: no file being read, hashed or sent).
 * `tamper` may drop, repeat or change frames. More than `rounds` rounds of frames fails, saying what waits.
 */
export async function exchange(a: Side, b: Side, tamper: Tamper = asIs, rounds = 2000): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    for (const [from, to] of [[a, b], [b, a]] as const) {
      const frames = from.channel?.sent.splice(0) ?? [];
      for (const frame of frames) {
        for (const delivered of tamper(frame, from)) {
          if (to.channel?.readyState !== 'open') continue;
          // Each message arrives in a buffer of its own, as from a real channel (the receiver hands it on to its worker).
          await to.service.receive(to.peer, typeof delivered === 'string' ? delivered : delivered.slice(0), rtc(to));
        }
      }
    }
    await Promise.all([a.service.settled(), b.service.settled()]);
    if (waiting(a) === 0 && waiting(b) === 0) return;
  }
  throw new Error(`Not quiet after ${rounds} round(s) of frames: ${waiting(a)} sent to ${a.peer} and ${waiting(b)} sent to ${b.peer} still waiting.`);
}

export async function only(s: Side): Promise<StoredTransfer> {
  const all = await s.db.getAll('transfers');
  expect(all).to.have.length(1);
  return s.service.get(all[0]!.id) ?? all[0]!;
}

export const state = async (s: Side): Promise<TransferState> => (await only(s)).state;
export const controlTypes = (frames: Frame[]) => frames.filter((f): f is string => typeof f === 'string').map((f) => parseTransferFrame(f)?.t);

/** Alice offers `file` to Bob, Bob accepts; returns the transfer id. */
export async function offerAndAccept(alice: Side, bob: Side, file: File, tamper: Tamper = asIs): Promise<string> {
  await alice.service.send(alice.peer, [file]);
  await exchange(alice, bob, tamper, 1);
  const id = (await only(bob)).id;
  await bob.service.accept(id);
  return id;
}

/** Loses every chunk after the first `n`, as a connection that dies does. */
export function cutAfter(n: number): Tamper {
  let chunks = 0;
  return (frame) => (typeof frame !== 'string' && ++chunks > n ? [] : [frame]);
}

/** Delivers every frame, and notes the index of each chunk in `indexes`. */
export const notingChunks = (indexes: number[]): Tamper => (frame) => {
  if (typeof frame !== 'string') indexes.push(decodeChunk(frame)!.index);
  return [frame];
};

/** Loses every control frame of type `t` that `sender` writes. */
export const losing = (t: TransferFrame['t'], sender: Side): Tamper => (frame, from) =>
  from === sender && typeof frame === 'string' && parseTransferFrame(frame)?.t === t ? [] : [frame];

/** Both sides finished, and the receiver holds the very bytes that were sent. */
export async function expectDelivered(alice: Side, bob: Side, id: string, file: File): Promise<void> {
  expect(await state(bob)).to.equal('complete');
  expect(await state(alice)).to.equal('complete');
  expect(await sha256((await bob.service.file(id))!)).to.equal(await sha256(file));
}

export const CHUNK_SIZE = chunkSizeFor(DEFAULT_MESSAGE_SIZE);
export const FILE_BYTES = 40 * CHUNK_SIZE + 1234;

/** Alice sends Bob a file and he accepts; the connection dies after `n` chunks (whatever is on its way is lost). */
export async function cutMidway(n: number): Promise<{ alice: Side; bob: Side; id: string; file: File }> {
  const [alice, bob] = await pair();
  await connect(alice, bob);
  const file = randomFile(FILE_BYTES);
  const id = await offerAndAccept(alice, bob, file);
  await exchange(alice, bob, cutAfter(n));
  disconnect(alice, bob);
  return { alice, bob, id, file };
}

/** The received file as the origin private file system holds it, or null. */
export async function fileOnDisk(s: Side, id: string): Promise<File | null> {
  const root = await navigator.storage.getDirectory();
  try {
    return await (await (await root.getDirectoryHandle(filesDirectory(s.db.name))).getFileHandle(id)).getFile();
  } catch {
    return null;
  }
}
