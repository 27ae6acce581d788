/**
 * Files of any size between two devices, over their "files" data channel.
 *
 * The sender reads the file in chunks as large as the peer's messages, each
 * with its SHA-256 (or an xxhash64, for a peer whose app knows only version 1),
 * and sends them in order, never more than a window ahead of what the receiver
 * has stored, and never more than the channel's buffer allows. The receiver's
 * worker (`TransferReceiver`) checks each chunk, feeds the file's running hash
 * and writes it to disk (a file in the origin private file system, flushed
 * every 16 chunks, or 1 MiB blocks in IndexedDB); the page then records the
 * progress and the hash state, so memory stays flat and a break (network,
 * reload on either side) resumes from the first chunk not stored. A chunk that
 * fails its check is asked for again; a file whose hash differs from the
 * sender's is never shown as complete.
 */
import type { IHasher } from 'hash-wasm';
import { TypedEventTarget } from '../events/typed-event-target.js';
import { randomId } from '../identity/random-id.js';
import type { ChatService } from '../chat/chat-service.js';
import { roomConversation } from '../chat/room-wire.js';
import { StorageFullError, isQuotaError, type StoredMessage, type StoredTransfer, type WhisperDatabase } from '../storage/database.js';
import { formatBytes } from '../format/amounts.js';
import { chunksPer, type ReceiverReply, type ReceiveStore } from './receiver-messages.js';
import { ChunkReader } from './chunk-reader.js';
import { TransferReceiver } from './transfer-receiver.js';
import { isUnfinished } from './transfer-state.js';
import { bytesToHex, chunkDigest, chunkSizeFor, chunksFit, encodeChunk, headerBytes, parseTransferFrame, type Integrity, type TransferFrame } from './transfer-wire.js';

export interface TransferTransport {
  /** The open, verified "files" channel to the device, or null. */
  channel(device: string): RTCDataChannel | null;
  /** The largest message the device's connection takes (`RTCSctpTransport.maxMessageSize`), or null when unknown. */
  maxMessageSize(device: string): number | null;
  want(device: string): void;
}

/**
 * The room's conversation (`RoomChat`): a file sent to the room is one transfer per member, each as between
 * two people, shown under one entry there; a file offered to this device in the room is entered there too.
 */
export interface RoomFileHistory {
  readonly room: string;
  /** Who a file sent to the room now goes to: everyone known in the room but this device, online or away. */
  members(): string[];
  /** Adds an entry to the room's conversation, with the transfers it shows, in one transaction; false when it was there. */
  record(entry: StoredMessage, transfers?: readonly StoredTransfer[]): Promise<boolean>;
}

export interface TransferEventMap {
  'wh-transfer': CustomEvent<StoredTransfer>;
  'wh-transfer-error': CustomEvent<string>;
}

export interface TransferProgress {
  /** Bytes per second, smoothed; null until measured. */
  speed: number | null;
  /** Seconds left at that speed; null until measured. */
  eta: number | null;
}

/** hash-wasm comes with the first transfer, not with the app's first load. */
const createSHA256 = async (): Promise<IHasher> => (await import('hash-wasm')).createSHA256();
const createXXHash64 = async (): Promise<IHasher> => (await import('hash-wasm')).createXXHash64();

/** How a transfer's chunks are checked (absent: version 1, as every transfer stored before version 2). */
const integrityOf = (transfer: StoredTransfer): Integrity => transfer.integrity ?? 1;

/**
 * Bytes the sender may have in flight beyond what the receiver has stored: more than the channel's buffer
 * plus what the receiver writes between two flushes (`FLUSH_CHUNKS`), so that the sender never waits on one.
 */
const WINDOW_BYTES = 16 * 1024 * 1024;
/** The channel's buffer is kept between these marks. */
const BUFFER_HIGH = 4 * 1024 * 1024;
const BUFFER_LOW = 1024 * 1024;
/** Space kept free beyond the file when accepting. */
const SPACE_MARGIN = 1.05;

interface Outgoing {
  /** The file, read chunk after chunk through one stream, into the frame. */
  reader: ChunkReader;
  /** Each chunk is read into this frame (after the header) and sent from it (the channel copies it). */
  frame: Uint8Array<ArrayBuffer> | null;
  /** The file's hash so far: over the chunks' data (version 1), or over their SHA-256 (version 2). */
  sha: IHasher;
  hashedUpTo: number;
  /** Next chunk to send, and the receiver's stored count (the window's start). */
  cursor: number;
  acked: number;
  pumping: boolean;
  wake: (() => void) | null;
}

/** A transfer this page receives (its chunks go to the worker). */
interface Incoming {
  /** Progress recorded one block after another, in order. */
  writing: Promise<void>;
  /** The SHA-256 of what was stored, once every chunk is; and the sender's, once `end` said it. */
  digest: string | null;
  expectedSha: string | null;
}

export class TransferService extends TypedEventTarget<TransferEventMap> {
  readonly #db: WhisperDatabase;
  readonly #chat: ChatService;
  readonly #room: RoomFileHistory | null;
  readonly #transport: TransferTransport;
  readonly #transfers = new Map<string, StoredTransfer>();
  /** The person was told that received files last only until the tab closes (said once per page). */
  #saidInMemory = false;
  readonly #outgoing = new Map<string, Outgoing>();
  readonly #incoming = new Map<string, Incoming>();
  /** Incoming transfers whose worker side is being opened, so that two callers open it once. */
  readonly #opening = new Map<string, Promise<void>>();
  readonly #receiver: TransferReceiver;
  readonly #speed = new Map<string, { at: number; next: number; rate: number | null }>();
  /**
   * The transfers the receiver asked to go on over each channel: asked once per channel, since the sender
   * goes back to the chunk named in every `accept` it gets (a repeat would send a window again).
   */
  readonly #askedOn = new WeakMap<RTCDataChannel, Set<string>>();
  /**
   * The channel each outgoing transfer was last accepted on. Chunks go only there: on a new channel the
   * sender waits for the receiver to say where it stands, rather than go on from where the old one was.
   */
  readonly #acceptedOn = new Map<string, RTCDataChannel>();
  /** Per device, control frames are handled one after another, in the order they came. */
  readonly #controlQueue = new Map<string, Promise<void>>();
  #xxhash: Promise<IHasher> | null = null;

  /**
   * `store` says where received files go; by default, the best this browser has (`TransferReceiver.store`).
   * `room`: the room's conversation, for files sent to the whole room and offered in it (none: one to one only).
   */
  constructor(db: WhisperDatabase, chat: ChatService, transport: TransferTransport, { store, room }: { store?: ReceiveStore; room?: RoomFileHistory } = {}) {
    super();
    this.#db = db;
    this.#chat = chat;
    this.#room = room ?? null;
    this.#transport = transport;
    this.#receiver = new TransferReceiver(db.name, store);
  }

  /** The room is left: the receiving worker ends, so that a new session can open the same files. */
  stop(): void {
    this.#receiver.stop();
    this.#incoming.clear();
  }

  get(id: string): StoredTransfer | undefined {
    return this.#transfers.get(id);
  }

  /** Transfers that are moving or waiting to move (for the wake lock and the leave-page warning). */
  get busy(): boolean {
    for (const transfer of this.#transfers.values()) if (transfer.state === 'active') return true;
    return false;
  }

  progress(id: string): TransferProgress {
    const transfer = this.#transfers.get(id);
    const rate = this.#speed.get(id)?.rate ?? null;
    if (!transfer || rate === null || rate <= 0) return { speed: null, eta: null };
    const left = Math.max(0, transfer.size - transfer.next * transfer.chunkSize);
    return { speed: rate, eta: left / rate };
  }

  /** Whether anything waits to move between this device and `device`. */
  hasPending(device: string): boolean {
    for (const t of this.#transfers.values()) {
      if (t.conversation !== device) continue;
      if (t.state === 'active' || (t.direction === 'out' && (t.state === 'offered' || t.state === 'paused'))) return true;
    }
    return false;
  }

  /** The sender must pick the file again: it is needed (chunks are left to send) and this page does not have it. */
  needsFile(id: string): boolean {
    const t = this.#transfers.get(id);
    return !!t && t.direction === 'out' && (t.state === 'active' || t.state === 'paused') && !this.#outgoing.has(id) && !(t.sha256 && t.next >= t.chunkCount);
  }

  async load(conversation: string): Promise<void> {
    const stored = await this.#db.getAllFromIndex('transfers', 'by-conversation', conversation);
    for (const transfer of stored) this.#adopt(transfer);
  }

  /** The transfer, read from the database when it is not loaded yet (a history entry may be shown first). */
  async find(id: string): Promise<StoredTransfer | undefined> {
    const loaded = this.#transfers.get(id);
    if (loaded) return loaded;
    const stored = await this.#db.get('transfers', id);
    return stored ? this.#adopt(stored) : undefined;
  }

  /** Keeps a transfer read from the database, unless this page has it already (its copy is the newer one). */
  #adopt(stored: StoredTransfer): StoredTransfer {
    const known = this.#transfers.get(stored.id);
    if (known) return known;
    this.#transfers.set(stored.id, stored);
    this.emit('wh-transfer', stored);
    return stored;
  }

  async send(device: string, files: readonly File[]): Promise<void> {
    for (const file of files) {
      const transfer = await this.#newOutgoing(device, file);
      await this.#save(transfer);
      this.#outgoing.set(transfer.id, await this.#sending(transfer, file, 0));
      await this.#chat.record(this.#entry(transfer));
      this.#offer(transfer);
    }
  }

  /**
   * Offers each file to everyone in the room: one transfer per member, each accepted or declined, sent,
   * resumed and verified on its own as between two people, all shown under one entry in the room's
   * conversation, written with them in one transaction. A member who is away gets theirs when their
   * connection opens.
   */
  async sendToRoom(files: readonly File[]): Promise<void> {
    const room = this.#room;
    const members = room?.members() ?? [];
    if (!room || members.length === 0) {
      this.emit('wh-transfer-error', 'No one else is in this room yet: share its link first.');
      return;
    }
    for (const file of files) {
      const transfers = await Promise.all(members.map((device) => this.#newOutgoing(device, file, room.room)));
      const entry: StoredMessage = {
        id: randomId(16),
        conversation: roomConversation(room.room),
        direction: 'out',
        text: transfers[0]!.name,
        sentAt: Date.now(),
        at: 0,
        status: 'sent',
        receiptSent: 0,
        transfers: Object.fromEntries(transfers.map((transfer) => [transfer.conversation, transfer.id])),
      };
      // Known here before the entry that shows them is on screen.
      for (const transfer of transfers) this.#transfers.set(transfer.id, transfer);
      try {
        await room.record(entry, transfers);
      } catch (error) {
        for (const transfer of transfers) this.#transfers.delete(transfer.id);
        this.emit('wh-transfer-error', error instanceof Error ? error.message : String(error));
        return;
      }
      for (const transfer of transfers) {
        this.#outgoing.set(transfer.id, await this.#sending(transfer, file, 0));
        this.emit('wh-transfer', transfer);
        this.#offer(transfer);
      }
    }
  }

  /** A new transfer of `file` to `device` (not stored yet), in chunks as large as their connection takes. */
  async #newOutgoing(device: string, file: File, room?: string): Promise<StoredTransfer> {
    // The peer's limit when connected; otherwise the size every WebRTC stack takes.
    const chunkSize = chunkSizeFor(this.#transport.channel(device) ? this.#transport.maxMessageSize(device) : null);
    return {
      id: randomId(16),
      conversation: device,
      ...(room ? { room } : {}),
      direction: 'out',
      name: file.name || 'file',
      size: file.size,
      type: file.type,
      chunkSize,
      chunkCount: Math.ceil(file.size / chunkSize),
      state: 'offered',
      next: 0,
      integrity: 2,
      lastModified: file.lastModified,
      firstChunkHash: await this.#xxhash64(await file.slice(0, chunkSize).arrayBuffer()),
      createdAt: Date.now(),
    };
  }

  /** The picked file of an outgoing transfer, read from chunk `from` on. */
  async #sending(transfer: StoredTransfer, file: File, from: number): Promise<Outgoing> {
    return { reader: new ChunkReader(file, transfer.chunkSize), frame: null, sha: await createSHA256(), hashedUpTo: 0, cursor: from, acked: from, pumping: false, wake: null };
  }

  /** The sender picked the file again after a reload: it must be the same one. */
  async provideFile(id: string, file: File): Promise<boolean> {
    const transfer = this.#transfers.get(id);
    if (!transfer || transfer.direction !== 'out') return false;
    const first = await this.#xxhash64(await file.slice(0, transfer.chunkSize).arrayBuffer());
    if (file.size !== transfer.size || first !== transfer.firstChunkHash) {
      this.emit('wh-transfer-error', `That is not the same file as “${transfer.name}”. Pick the file you sent.`);
      return false;
    }
    this.#outgoing.get(id)?.reader.close();
    this.#outgoing.set(id, await this.#sending(transfer, file, transfer.next));
    if (transfer.state === 'paused') await this.#update(transfer, { state: 'active', reason: undefined });
    this.#pump(transfer);
    return true;
  }

  async accept(id: string): Promise<void> {
    const transfer = this.#transfers.get(id);
    if (!transfer || transfer.direction !== 'in' || (transfer.state !== 'offered' && transfer.state !== 'paused')) return;
    const estimate = await globalThis.navigator?.storage?.estimate?.().catch(() => null);
    const free = estimate?.quota !== undefined && estimate.usage !== undefined ? estimate.quota - estimate.usage : Infinity;
    const needed = (transfer.size - transfer.next * transfer.chunkSize) * SPACE_MARGIN;
    if (needed > free) {
      await this.#update(transfer, { reason: `Not enough space: this file needs ${formatBytes(needed)} and the device has ${formatBytes(free)} free for Whisper.` });
      this.emit('wh-transfer-error', transfer.reason!);
      return;
    }
    await this.#update(transfer, { state: 'active', reason: undefined });
    await this.#askForTheRest(transfer, true);
  }

  async decline(id: string): Promise<void> {
    const transfer = this.#transfers.get(id);
    if (!transfer || transfer.state !== 'offered') return;
    await this.#update(transfer, { state: 'declined' });
    this.#control(transfer.conversation, { t: 'decline', id });
  }

  async cancel(id: string): Promise<void> {
    const transfer = this.#transfers.get(id);
    if (!transfer || !isUnfinished(transfer)) return;
    await this.#stop(transfer, 'cancelled');
    this.#control(transfer.conversation, { t: 'cancel', id });
  }

  /** The received file (disk-backed: nothing is read into memory). */
  async file(id: string): Promise<Blob | null> {
    const transfer = this.#transfers.get(id);
    if (!transfer || transfer.direction !== 'in' || transfer.state !== 'complete') return null;
    if (transfer.store === 'opfs') return this.#receiver.file(id, transfer.type);
    const blocks = await this.#db.getAll('chunks', IDBKeyRange.bound([id, 0], [id, Infinity]));
    return new Blob(blocks, { type: transfer.type || 'application/octet-stream' });
  }

  /** Frees the space a received file takes; the entry stays in the history. */
  async deleteData(id: string): Promise<void> {
    const transfer = this.#transfers.get(id);
    if (!transfer) return;
    await this.#deleteReceived(transfer);
    await this.#update(transfer, { reason: 'Deleted from this device.', ...(transfer.state === 'complete' ? {} : { state: 'cancelled' as const }) });
  }

  /**
   * The files channel to `device` opened: every unfinished transfer picks up where it was. The sender
   * offers each of its unfinished files again, and the receiver answers each with where it stands
   * (accept from its first missing chunk, done, decline or cancel); the receiver asks again for the
   * rest of each file it is receiving. Frames sent on the old channel may have been lost; these may
   * arrive twice, and each side treats a repeat as a no-op.
   */
  async channelOpened(device: string): Promise<void> {
    await this.load(device);
    for (const transfer of [...this.#transfers.values()]) {
      if (transfer.conversation !== device) continue;
      if (transfer.direction === 'out' && isUnfinished(transfer)) this.#offer(transfer);
      if (transfer.direction === 'in' && transfer.state === 'active') await this.#askForTheRest(transfer);
    }
  }

  channelClosed(device: string): void {
    for (const [id, outgoing] of this.#outgoing) {
      if (this.#transfers.get(id)?.conversation === device) outgoing.wake?.();
    }
  }

  /**
   * A frame that came on `channel`, `device`'s files channel. Chunks are handled as they come (in order);
   * control frames one after another, in the order they came.
   */
  receive(device: string, data: string | ArrayBuffer, channel: RTCDataChannel): Promise<void> {
    if (typeof data !== 'string') return this.#receiver.chunk(device, data).then((reply) => this.#chunkHandled(reply));
    const frame = parseTransferFrame(data);
    if (!frame) return Promise.resolve();
    const run = () => this.#handle(device, frame, channel);
    const next = (this.#controlQueue.get(device) ?? Promise.resolve()).then(run, run);
    this.#controlQueue.set(device, next);
    return next;
  }

  async #handle(device: string, frame: TransferFrame, channel: RTCDataChannel): Promise<void> {
    const transfer = await this.find(frame.id);
    // Another person's transfer, or one that goes the other way, is not theirs to act on.
    if (transfer && transfer.conversation !== device) return;
    const outgoing = transfer?.direction === 'out' ? transfer : undefined;
    const incoming = transfer?.direction === 'in' ? transfer : undefined;
    switch (frame.t) {
      case 'offer':
        if (!outgoing) await this.#offered(device, frame, incoming);
        return;
      case 'accept':
        // What the receiver asked for on a channel that is gone no longer holds: it asks again on the new one.
        if (outgoing && this.#transport.channel(device) === channel) await this.#accepted(outgoing, frame.from, frame.integrity ?? 1, channel);
        // A transfer this side no longer knows: tell the receiver, so that it does not wait for ever.
        else if (!transfer) this.#control(device, { t: 'cancel', id: frame.id });
        return;
      case 'decline':
        if (outgoing?.state === 'offered') await this.#stop(outgoing, 'declined');
        return;
      case 'cancel':
        if (transfer && isUnfinished(transfer)) await this.#stop(transfer, 'cancelled', 'Cancelled by the other side.');
        return;
      case 'progress':
        // Paused too (the sender reloaded and waits for the file to be picked again): the receiver goes on storing
        // what it had received, and the sender must go on from there, or it would send again what is stored
        // there, which the receiver drops without a word, and wait for ever for an acknowledgement.
        if (outgoing && isUnfinished(outgoing)) this.#acknowledged(outgoing, frame.next);
        return;
      case 'nack': {
        const sending = this.#outgoing.get(frame.id);
        if (outgoing?.state === 'active' && sending && this.#acceptedOn.get(outgoing.id) === channel && frame.from < sending.cursor) {
          sending.cursor = frame.from;
          sending.wake?.();
          // The sender may have finished already: go again from there.
          this.#pump(outgoing);
        }
        return;
      }
      case 'end':
        if (incoming?.state === 'active') await this.#ended(incoming, frame.sha256);
        // The receiver's verdict was lost on the way: say it again.
        else if (incoming?.state === 'complete' || incoming?.state === 'failed') this.#sayVerdict(incoming);
        return;
      case 'done':
        // Only the receiver's word that it verified and stored the whole file makes a sent file "verified".
        if (outgoing && isUnfinished(outgoing)) {
          this.#forgetFile(outgoing.id);
          await this.#update(outgoing, frame.ok ? { state: 'complete', next: outgoing.chunkCount, reason: undefined } : { state: 'failed', reason: 'The file arrived damaged.' });
        }
        return;
    }
  }

  // Sender side

  #offer(transfer: StoredTransfer): void {
    const { id, name, size, type, chunkSize, integrity, room } = transfer;
    const frame: TransferFrame = { t: 'offer', id, name, size, type, chunkSize, ...(integrity ? { integrity } : {}), ...(room ? { room } : {}) };
    if (!this.#control(transfer.conversation, frame)) this.#transport.want(transfer.conversation);
  }

  async #accepted(transfer: StoredTransfer, from: number, integrity: Integrity, channel: RTCDataChannel): Promise<void> {
    if (transfer.state === 'cancelled' || transfer.state === 'declined') {
      // Cancelled here while the receiver could not hear it: it hears it now.
      this.#control(transfer.conversation, { t: 'cancel', id: transfer.id });
      return;
    }
    if (!isUnfinished(transfer)) return;
    if (!chunksFit(transfer.chunkSize, this.#transport.maxMessageSize(transfer.conversation))) {
      // Resumed on a connection that takes smaller messages than the one it started on (another browser).
      await this.#stop(transfer, 'failed', 'Their browser now takes smaller pieces than this transfer uses: send the file again.');
      this.#control(transfer.conversation, { t: 'cancel', id: transfer.id });
      return;
    }
    this.#acceptedOn.set(transfer.id, channel);
    const start = Math.min(from, transfer.chunkCount);
    const outgoing = this.#outgoing.get(transfer.id);
    if (integrity !== integrityOf(transfer)) {
      // The receiver checks chunks another way (its app knows only version 1): the sender follows, and
      // hashes the file again that way from the first chunk (the hash it may have kept was the other kind).
      // Both change in one step: a new `sha` is what tells the pump that the way changed, so that it never
      // feeds one kind of hash to the other.
      const sha = outgoing ? await createSHA256() : null;
      if (outgoing && sha) Object.assign(outgoing, { sha, hashedUpTo: 0, frame: null });
      await this.#update(transfer, { integrity: integrity === 2 ? 2 : undefined, sha256: undefined });
    }
    if (!outgoing) {
      // Every chunk is stored there and the file's hash is known here: the file itself is not needed to finish.
      if (start === transfer.chunkCount && transfer.sha256) {
        await this.#update(transfer, { state: 'active', next: start, reason: undefined });
        this.#control(transfer.conversation, { t: 'end', id: transfer.id, sha256: transfer.sha256 });
      } else {
        await this.#update(transfer, { state: 'paused', next: start });
      }
      return;
    }
    outgoing.cursor = start;
    outgoing.acked = start;
    await this.#update(transfer, { state: 'active', next: start, reason: undefined });
    outgoing.wake?.();
    this.#pump(transfer);
  }

  #acknowledged(transfer: StoredTransfer, next: number): void {
    const outgoing = this.#outgoing.get(transfer.id);
    if (outgoing) {
      outgoing.acked = Math.max(outgoing.acked, next);
      // What is stored there is not sent again.
      outgoing.cursor = Math.max(outgoing.cursor, next);
      outgoing.wake?.();
    }
    this.#measure(transfer, next);
    transfer.next = next;
    void this.#db.put('transfers', transfer);
    this.emit('wh-transfer', transfer);
  }

  /** Sends chunks while there is a window, a channel and room in its buffer. */
  #pump(transfer: StoredTransfer): void {
    const outgoing = this.#outgoing.get(transfer.id);
    if (!outgoing || outgoing.pumping) return;
    outgoing.pumping = true;
    void (async () => {
      try {
        while (transfer.state === 'active') {
          const channel = this.#transport.channel(transfer.conversation);
          // No channel, or one the receiver has not accepted on yet: its accept starts the pump again.
          if (!channel || this.#acceptedOn.get(transfer.id) !== channel) return;
          if (outgoing.cursor >= transfer.chunkCount) {
            // Everything is out; the hash covers the whole file once every chunk was read in order. It is
            // kept, so that a lost `end` can be sent again without the file (after a reload).
            if (!transfer.sha256) {
              await this.#hashUpTo(outgoing, transfer, transfer.chunkCount);
              // The receiver's accept changed how chunks are checked meanwhile: it starts over.
              if (outgoing.hashedUpTo < transfer.chunkCount) continue;
              await this.#update(transfer, { sha256: outgoing.sha.digest('hex') });
            }
            this.#control(transfer.conversation, { t: 'end', id: transfer.id, sha256: transfer.sha256! });
            return;
          }
          if (outgoing.cursor - outgoing.acked >= chunksPer(WINDOW_BYTES, transfer.chunkSize) || channel.bufferedAmount > BUFFER_HIGH) {
            await this.#waitForRoom(outgoing, channel);
            continue;
          }
          const index = outgoing.cursor;
          const sha = outgoing.sha;
          await this.#hashUpTo(outgoing, transfer, index);
          const data = await this.#readChunk(outgoing, transfer, index);
          const hash = await this.#chunkHash(transfer, data);
          // A nack or an accept may have moved the cursor, or changed how chunks are checked (a new `sha`), while
          // the chunk was read and hashed: send only what is still next (checked after the last await, so that
          // nothing moves it in between).
          if (channel.readyState !== 'open' || outgoing.cursor !== index || outgoing.sha !== sha) continue;
          if (outgoing.hashedUpTo === index) {
            sha.update(hash.digest ?? data);
            outgoing.hashedUpTo++;
          }
          channel.send(encodeChunk(transfer.id, index, hash.hex, data, outgoing.frame!));
          outgoing.cursor = index + 1;
        }
      } catch (error) {
        this.emit('wh-transfer-error', `Sending “${transfer.name}” stopped: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        outgoing.pumping = false;
      }
    })();
  }

  /** Feeds chunks [hashedUpTo, index) to the file's hash (after a resume from the middle); stops if the way chunks are checked changes meanwhile. */
  async #hashUpTo(outgoing: Outgoing, transfer: StoredTransfer, index: number): Promise<void> {
    const sha = outgoing.sha;
    while (outgoing.hashedUpTo < index) {
      const at = outgoing.hashedUpTo;
      const data = await this.#readChunk(outgoing, transfer, at);
      const hash = await this.#chunkHash(transfer, data);
      if (outgoing.sha !== sha || outgoing.hashedUpTo !== at) return;
      sha.update(hash.digest ?? data);
      outgoing.hashedUpTo = at + 1;
    }
  }

  /** Chunk `index`, read into the transfer's frame, after the header (the read may hand the frame a new buffer). */
  async #readChunk(outgoing: Outgoing, transfer: StoredTransfer, index: number): Promise<Uint8Array> {
    const header = headerBytes(integrityOf(transfer));
    const frame = outgoing.frame && outgoing.frame.byteLength >= header + transfer.chunkSize ? outgoing.frame : new Uint8Array(header + transfer.chunkSize);
    outgoing.frame = null;
    const data = await outgoing.reader.read(index, frame.subarray(header, header + transfer.chunkSize));
    outgoing.frame = new Uint8Array(data.buffer);
    return data;
  }

  #waitForRoom(outgoing: Outgoing, channel: RTCDataChannel): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        channel.removeEventListener('bufferedamountlow', done);
        channel.removeEventListener('close', done);
        outgoing.wake = null;
        resolve();
      };
      channel.bufferedAmountLowThreshold = BUFFER_LOW;
      channel.addEventListener('bufferedamountlow', done);
      channel.addEventListener('close', done);
      outgoing.wake = done;
    });
  }

  // Receiver side

  async #offered(device: string, frame: Extract<TransferFrame, { t: 'offer' }>, known: StoredTransfer | undefined): Promise<void> {
    // A file for a room is taken only in that room (no member puts a file into another), and a transfer
    // stays where it was first filed: a one-to-one file never moves into a room, nor a room's out of it.
    if (frame.room !== undefined && frame.room !== this.#room?.room) return;
    if (known && known.room !== frame.room) return;
    if (known) {
      if (known.size !== frame.size) return;
      // The sender offers again after a break: tell it where we are.
      switch (known.state) {
        case 'active':
          await this.#askForTheRest(known);
          break;
        case 'declined':
          this.#control(device, { t: 'decline', id: known.id });
          break;
        case 'cancelled':
          this.#control(device, { t: 'cancel', id: known.id });
          break;
        case 'complete':
        case 'failed':
          this.#sayVerdict(known);
          break;
        case 'offered':
        case 'paused':
          // The person decides (Accept, Decline, Resume); nothing to say yet.
          break;
      }
      await this.#record(known);
      return;
    }
    const transfer: StoredTransfer = {
      id: frame.id,
      conversation: device,
      direction: 'in',
      name: frame.name,
      size: frame.size,
      type: frame.type,
      chunkSize: frame.chunkSize,
      chunkCount: Math.ceil(frame.size / frame.chunkSize),
      state: 'offered',
      next: 0,
      // Checked as the sender says: version 2 when it offers it, else version 1.
      ...(frame.integrity ? { integrity: frame.integrity } : {}),
      ...(frame.room ? { room: frame.room } : {}),
      createdAt: Date.now(),
    };
    if (!transfer.room) {
      await this.#save(transfer);
      await this.#chat.record(this.#entry(transfer));
      return;
    }
    // The room's entry and its transfer, in one transaction.
    this.#transfers.set(transfer.id, transfer);
    try {
      await this.#record(transfer, [transfer]);
    } catch (error) {
      // Not stored: the sender offers it again on the next connection.
      this.#transfers.delete(transfer.id);
      this.emit('wh-transfer-error', error instanceof Error ? error.message : String(error));
      return;
    }
    this.emit('wh-transfer', transfer);
  }

  /** The transfer's entry in the conversation's history (it shares the transfer's id). */
  #entry(transfer: StoredTransfer): StoredMessage {
    const incoming = transfer.direction === 'in';
    return {
      id: transfer.id,
      conversation: transfer.room ? roomConversation(transfer.room) : transfer.conversation,
      direction: transfer.direction,
      text: transfer.name,
      sentAt: transfer.createdAt,
      at: 0,
      status: incoming ? 'delivered' : 'sent',
      // A file offered in the room: its author is who offers it, and no read receipt goes for it (the sender sees Accept or Decline).
      receiptSent: transfer.room ? 1 : 0,
      transfer: transfer.id,
      ...(transfer.room && incoming ? { author: transfer.conversation } : {}),
    };
  }

  /** Adds the transfer's entry to its conversation, the room's or the person's (with `transfers` in the same transaction); false when it was there. */
  async #record(transfer: StoredTransfer, transfers: readonly StoredTransfer[] = []): Promise<boolean> {
    if (!transfer.room) return this.#chat.record(this.#entry(transfer));
    return (await this.#room?.record(this.#entry(transfer), transfers)) ?? false;
  }

  /** Asks the sender for the chunks from the first one not stored: once per channel, unless the person asks (Accept, Resume). */
  async #askForTheRest(transfer: StoredTransfer, personAsked = false): Promise<void> {
    await this.#openIncoming(transfer);
    const channel = this.#transport.channel(transfer.conversation);
    if (!channel || transfer.state !== 'active') return;
    const asked = this.#askedOn.get(channel) ?? new Set<string>();
    this.#askedOn.set(channel, asked);
    if (asked.has(transfer.id) && !personAsked) return;
    asked.add(transfer.id);
    this.#control(transfer.conversation, { t: 'accept', id: transfer.id, from: transfer.next, ...(transfer.integrity ? { integrity: transfer.integrity } : {}) });
  }

  /** The receiver's verdict on a file it finished (complete or failed), said again. */
  #sayVerdict(transfer: StoredTransfer): void {
    this.#control(transfer.conversation, { t: 'done', id: transfer.id, ok: transfer.state === 'complete' });
  }

  /** Readies the worker for the transfer's chunks, from the first one not stored. */
  #openIncoming(transfer: StoredTransfer): Promise<void> {
    if (this.#incoming.has(transfer.id)) return Promise.resolve();
    let opening = this.#opening.get(transfer.id);
    if (!opening) {
      opening = this.#startIncoming(transfer).finally(() => this.#opening.delete(transfer.id));
      this.#opening.set(transfer.id, opening);
    }
    return opening;
  }

  async #startIncoming(transfer: StoredTransfer): Promise<void> {
    // A transfer with nothing stored yet goes where this browser stores best; one under way stays where it is.
    if (!transfer.store && transfer.next === 0 && (await this.#receiver.store()) === 'opfs') await this.#update(transfer, { store: 'opfs' });
    const reply = await this.#receiver.open(transfer, transfer.store ?? 'indexeddb');
    if (reply.t === 'failed') return this.#cannotStore(transfer, reply);
    // Stopped meanwhile: a cancel removed what the worker opened; a pause leaves it for Resume, which opens it again.
    if (transfer.state !== 'active') return;
    // What was recorded as stored is gone (the file was deleted): it starts again from the first chunk.
    if (reply.next !== transfer.next) await this.#update(transfer, { next: reply.next, hashState: undefined });
    this.#incoming.set(transfer.id, { writing: Promise.resolve(), digest: reply.sha256 ?? null, expectedSha: transfer.sha256 ?? null });
  }

  /** What the worker did with a chunk: the sender is asked again, told of a stored block, or the transfer stops. */
  #chunkHandled(reply: ReceiverReply): Promise<void> {
    if (reply.t === 'failed') {
      // An empty id: the worker itself failed, and every transfer it held with it.
      const failed = reply.id ? [this.#transfers.get(reply.id)] : [...this.#incoming.keys()].map((id) => this.#transfers.get(id));
      return Promise.all(failed.map((transfer) => transfer && this.#cannotStore(transfer, reply))).then(() => undefined);
    }
    if (reply.t !== 'nack' && reply.t !== 'stored') return Promise.resolve();
    const transfer = this.#transfers.get(reply.id);
    const incoming = this.#incoming.get(reply.id);
    if (!transfer || !incoming || transfer.state !== 'active') return Promise.resolve();
    if (reply.t === 'nack') {
      this.#control(transfer.conversation, { t: 'nack', id: transfer.id, from: reply.from });
      return Promise.resolve();
    }
    const { next, hashState } = reply;
    if (reply.inMemory && !this.#saidInMemory) {
      this.#saidInMemory = true;
      this.emit('wh-transfer-error', 'This browser keeps received files only until this tab is closed (Private Browsing): save the ones you want to keep before you close it.');
    }
    incoming.writing = incoming.writing.then(async () => {
      if (transfer.state !== 'active' || this.#incoming.get(transfer.id) !== incoming) return;
      try {
        await this.#db.put('transfers', { ...transfer, next, hashState });
      } catch (error) {
        return this.#cannotStore(transfer, { reason: String(error), quota: isQuotaError(error) });
      }
      transfer.next = next;
      transfer.hashState = hashState;
      this.#measure(transfer, next);
      this.#control(transfer.conversation, { t: 'progress', id: transfer.id, next });
      this.emit('wh-transfer', transfer);
      if (reply.sha256) {
        incoming.digest = reply.sha256;
        if (incoming.expectedSha) await this.#finish(transfer, incoming);
      }
    });
    return incoming.writing;
  }

  /** The data could not be stored: the transfer waits (paused) until the person frees space and presses Resume. */
  async #cannotStore(transfer: StoredTransfer, failure: { reason: string; quota: boolean }): Promise<void> {
    this.#incoming.delete(transfer.id);
    if (transfer.state !== 'active') return;
    const reason = failure.quota ? new StorageFullError().message : `Saving “${transfer.name}” failed: ${failure.reason}`;
    await this.#update(transfer, { state: 'paused', reason });
    this.emit('wh-transfer-error', reason);
  }

  async #ended(transfer: StoredTransfer, sha256: string): Promise<void> {
    const incoming = this.#incoming.get(transfer.id);
    if (!incoming || transfer.state !== 'active') return;
    incoming.expectedSha = sha256;
    await this.#update(transfer, { sha256 });
    await incoming.writing;
    if (incoming.digest && transfer.state === 'active') await this.#finish(transfer, incoming);
  }

  async #finish(transfer: StoredTransfer, incoming: Incoming): Promise<void> {
    if (transfer.state !== 'active') return;
    const ok = incoming.digest === incoming.expectedSha;
    this.#incoming.delete(transfer.id);
    if (ok) {
      await this.#update(transfer, { state: 'complete', hashState: undefined });
    } else {
      await this.#deleteReceived(transfer);
      await this.#update(transfer, { state: 'failed', hashState: undefined, reason: 'The file did not match what was sent, so it was not kept.' });
    }
    this.#control(transfer.conversation, { t: 'done', id: transfer.id, ok });
  }

  /** Deletes what was stored of a received file, where its store says (a transfer never changes store once data is kept). */
  async #deleteReceived(transfer: StoredTransfer): Promise<void> {
    if (transfer.store === 'opfs') await this.#receiver.remove(transfer.id);
    else await this.#db.delete('chunks', IDBKeyRange.bound([transfer.id, 0], [transfer.id, Infinity]));
  }

  // Both sides

  async #stop(transfer: StoredTransfer, state: 'declined' | 'cancelled' | 'failed', reason?: string): Promise<void> {
    this.#forgetFile(transfer.id);
    this.#incoming.delete(transfer.id);
    if (transfer.direction === 'in') await this.#deleteReceived(transfer);
    await this.#update(transfer, { state, hashState: undefined, ...(reason ? { reason } : {}) });
  }

  /** The sender is done with the picked file: its pump stops waiting, and its stream is closed. */
  #forgetFile(id: string): void {
    const outgoing = this.#outgoing.get(id);
    outgoing?.wake?.();
    outgoing?.reader.close();
    this.#outgoing.delete(id);
    this.#acceptedOn.delete(id);
  }

  #control(device: string, frame: TransferFrame): boolean {
    const channel = this.#transport.channel(device);
    if (!channel || channel.readyState !== 'open') return false;
    channel.send(JSON.stringify(frame));
    return true;
  }

  #measure(transfer: StoredTransfer, next: number): void {
    const now = performance.now();
    const last = this.#speed.get(transfer.id);
    if (!last || next < last.next) {
      this.#speed.set(transfer.id, { at: now, next, rate: null });
      return;
    }
    const seconds = (now - last.at) / 1000;
    if (seconds < 0.25) return;
    const sample = ((next - last.next) * transfer.chunkSize) / seconds;
    this.#speed.set(transfer.id, { at: now, next, rate: last.rate === null ? sample : last.rate * 0.6 + sample * 0.4 });
  }

  /** A chunk's hash for its frame, as the transfer checks chunks: its SHA-256 (version 2, also fed to the file's hash), or its xxhash64. */
  async #chunkHash(transfer: StoredTransfer, data: Uint8Array): Promise<{ hex: string; digest: Uint8Array | null }> {
    if (integrityOf(transfer) === 2) {
      const digest = await chunkDigest(data);
      return { hex: bytesToHex(digest), digest };
    }
    return { hex: await this.#xxhash64(data), digest: null };
  }

  /** An xxhash64 (hex): a version 1 chunk's hash, and what identifies a picked file (its first chunk's). */
  async #xxhash64(data: ArrayBuffer | Uint8Array): Promise<string> {
    const hasher = await (this.#xxhash ??= createXXHash64());
    hasher.init();
    hasher.update(data instanceof Uint8Array ? data : new Uint8Array(data));
    return hasher.digest('hex');
  }

  async #save(transfer: StoredTransfer): Promise<void> {
    this.#transfers.set(transfer.id, transfer);
    await this.#db.put('transfers', transfer);
    this.emit('wh-transfer', transfer);
  }

  async #update(transfer: StoredTransfer, change: Partial<StoredTransfer>): Promise<void> {
    Object.assign(transfer, change);
    for (const key of Object.keys(change) as Array<keyof StoredTransfer>) if (change[key] === undefined) delete transfer[key];
    await this.#save(transfer);
  }
}
