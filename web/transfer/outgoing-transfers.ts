/**
 * The sender's side of file transfers (direction 'out'): it reads the file in chunks as large as the peer's
 * messages, each with its SHA-256 (or an xxhash64, for a peer whose app knows only version 1), and sends
 * them in order, never more than a window ahead of what the receiver has stored, and never more than the
 * channel's buffer allows. It goes back where the receiver says (`accept {from}`, `nack`), and only the
 * receiver's `done` settles a transfer. Loaded with the first transfer this page sends or hears of.
 */
import type { IHasher } from 'hash-wasm';
import { randomId } from '../identity/random-id.js';
import { roomConversation } from '../chat/room-wire.js';
import type { StoredMessage, StoredTransfer } from '../storage/database.js';
import { chunksPer } from './receiver-messages.js';
import { ChunkReader } from './chunk-reader.js';
import type { TransferContext } from './transfer-context.js';
import { historyEntry } from './transfer-history.js';
import { isUnfinished, nextState, type TransferEvent } from './transfer-state.js';
import { moveTransfer } from './transfer-store.js';
import { bytesToHex, chunkDigest, chunkSizeFor, chunksFit, encodeChunk, headerBytes, type Integrity, type TransferFrame } from './transfer-wire.js';

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

/** A transfer whose file this page has. */
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

export class OutgoingTransfers {
  readonly #context: TransferContext;
  readonly #outgoing = new Map<string, Outgoing>();
  /**
   * The channel each outgoing transfer was last accepted on. Chunks go only there: on a new channel the
   * sender waits for the receiver to say where it stands, rather than go on from where the old one was.
   */
  readonly #acceptedOn = new Map<string, RTCDataChannel>();
  #xxhash: Promise<IHasher> | null = null;
  /** Pumps at work (not waiting for room), and who waits for there to be none (`settled`). */
  #atWork = 0;
  readonly #whenSettled: Array<() => void> = [];

  constructor(context: TransferContext) {
    this.#context = context;
  }

  /** Settles at a moment when no file is being read, hashed or sent here (`TransferService.settled`). */
  settled(): Promise<void> {
    return new Promise((settle) => (this.#atWork ? this.#whenSettled.push(settle) : settle()));
  }

  /** A pump is at work from now until the function returned is called, once. */
  #working(): () => void {
    this.#atWork++;
    return () => --this.#atWork || this.#whenSettled.splice(0).forEach((settle) => settle());
  }

  /** Whether this page has the transfer's file (picked here, not lost with a reload). */
  hasFile(id: string): boolean {
    return this.#outgoing.has(id);
  }

  async send(device: string, files: readonly File[]): Promise<void> {
    for (const file of files) {
      const transfer = await this.#newOutgoing(device, file);
      await this.#context.store.save(transfer);
      this.#outgoing.set(transfer.id, await this.#sending(transfer, file, 0));
      await this.#context.chat.record(historyEntry(transfer));
      this.offer(transfer);
    }
  }

  /**
   * Offers each file to everyone in the room: one transfer per member, each accepted or declined, sent,
   * resumed and verified on its own as between two people, all shown under one entry in the room's
   * conversation, written with them in one transaction. A member who is away gets theirs when their
   * connection opens.
   */
  async sendToRoom(files: readonly File[]): Promise<void> {
    const { room, store } = this.#context;
    const members = room?.members() ?? [];
    if (!room || members.length === 0) {
      this.#context.error('No one else is in this room yet: share its link first.');
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
      for (const transfer of transfers) store.keep(transfer);
      try {
        await room.record(entry, transfers);
      } catch (error) {
        for (const transfer of transfers) store.forget(transfer.id);
        this.#context.error(error instanceof Error ? error.message : String(error));
        return;
      }
      for (const transfer of transfers) {
        this.#outgoing.set(transfer.id, await this.#sending(transfer, file, 0));
        store.told(transfer);
        this.offer(transfer);
      }
    }
  }

  /** A new transfer of `file` to `device` (not stored yet), in chunks as large as their connection takes. */
  async #newOutgoing(device: string, file: File, room?: string): Promise<StoredTransfer> {
    const { transport } = this.#context;
    // The peer's limit when connected; otherwise the size every WebRTC stack takes.
    const chunkSize = chunkSizeFor(transport.channel(device) ? transport.maxMessageSize(device) : null);
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
  async provideFile(transfer: StoredTransfer, file: File): Promise<boolean> {
    const first = await this.#xxhash64(await file.slice(0, transfer.chunkSize).arrayBuffer());
    if (file.size !== transfer.size || first !== transfer.firstChunkHash) {
      this.#context.error(`That is not the same file as “${transfer.name}”. Pick the file you sent.`);
      return false;
    }
    this.#outgoing.get(transfer.id)?.reader.close();
    this.#outgoing.set(transfer.id, await this.#sending(transfer, file, transfer.next));
    await moveTransfer(this.#context.store, transfer, 'file-picked', { reason: undefined });
    this.#pump(transfer);
    return true;
  }

  offer(transfer: StoredTransfer): void {
    const { id, name, size, type, chunkSize, integrity, room } = transfer;
    const frame: TransferFrame = { t: 'offer', id, name, size, type, chunkSize, ...(integrity ? { integrity } : {}), ...(room ? { room } : {}) };
    if (!this.#context.control(transfer.conversation, frame)) this.#context.transport.want(transfer.conversation);
  }

  /** The receiver's `accept {from}` on `channel`: the sender goes back to `from`, checking chunks as the receiver does. */
  async accepted(transfer: StoredTransfer, from: number, integrity: Integrity, channel: RTCDataChannel): Promise<void> {
    const { store, transport } = this.#context;
    if (transfer.state === 'cancelled' || transfer.state === 'declined') {
      // Cancelled here while the receiver could not hear it: it hears it now.
      this.#context.control(transfer.conversation, { t: 'cancel', id: transfer.id });
      return;
    }
    if (!isUnfinished(transfer)) return;
    if (!chunksFit(transfer.chunkSize, transport.maxMessageSize(transfer.conversation))) {
      // Resumed on a connection that takes smaller messages than the one it started on (another browser).
      await this.#stop(transfer, 'fail', 'Their browser now takes smaller pieces than this transfer uses: send the file again.');
      this.#context.control(transfer.conversation, { t: 'cancel', id: transfer.id });
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
      await store.update(transfer, { integrity: integrity === 2 ? 2 : undefined, sha256: undefined });
    }
    if (!outgoing) {
      // Every chunk is stored there and the file's hash is known here: the file itself is not needed to finish.
      if (start === transfer.chunkCount && transfer.sha256) {
        await moveTransfer(store, transfer, 'accept', { next: start, reason: undefined });
        this.#context.control(transfer.conversation, { t: 'end', id: transfer.id, sha256: transfer.sha256 });
      } else {
        await moveTransfer(store, transfer, 'accept-without-file', { next: start });
      }
      return;
    }
    outgoing.cursor = start;
    outgoing.acked = start;
    await moveTransfer(store, transfer, 'accept', { next: start, reason: undefined });
    outgoing.wake?.();
    this.#pump(transfer);
  }

  /** The receiver's `progress {next}`: the window moves on (only forward). */
  acknowledged(transfer: StoredTransfer, next: number): void {
    const outgoing = this.#outgoing.get(transfer.id);
    if (outgoing) {
      outgoing.acked = Math.max(outgoing.acked, next);
      // What is stored there is not sent again.
      outgoing.cursor = Math.max(outgoing.cursor, next);
      outgoing.wake?.();
    }
    this.#context.speed.measure(transfer, next);
    this.#context.store.acknowledged(transfer, next);
  }

  /** The receiver's `nack {from}` on `channel`: a chunk failed its check there, and the sender goes back to it. */
  nacked(transfer: StoredTransfer, from: number, channel: RTCDataChannel): void {
    const sending = this.#outgoing.get(transfer.id);
    if (transfer.state === 'active' && sending && this.#acceptedOn.get(transfer.id) === channel && from < sending.cursor) {
      sending.cursor = from;
      sending.wake?.();
      // The sender may have finished already: go again from there.
      this.#pump(transfer);
    }
  }

  /** The receiver's verdict: only its word that it verified and stored the whole file makes a sent file "verified". */
  async done(transfer: StoredTransfer, ok: boolean): Promise<void> {
    if (!isUnfinished(transfer)) return;
    this.#forgetFile(transfer.id);
    await moveTransfer(this.#context.store, transfer, ok ? 'verified' : 'fail', ok ? { next: transfer.chunkCount, reason: undefined } : { reason: 'The file arrived damaged.' });
  }

  /** The receiver declined the offer. */
  async declined(transfer: StoredTransfer): Promise<boolean> {
    return this.#stop(transfer, 'decline');
  }

  /** Either side cancelled (`reason`: said by the other side): the file is let go. */
  async cancelled(transfer: StoredTransfer, reason?: string): Promise<boolean> {
    return this.#stop(transfer, 'cancel', reason);
  }

  channelClosed(device: string): void {
    for (const [id, outgoing] of this.#outgoing) {
      if (this.#context.store.get(id)?.conversation === device) outgoing.wake?.();
    }
  }

  async #stop(transfer: StoredTransfer, event: TransferEvent, reason?: string): Promise<boolean> {
    if (!nextState(transfer, event)) return false;
    this.#forgetFile(transfer.id);
    return moveTransfer(this.#context.store, transfer, event, reason ? { reason } : {});
  }

  /** The sender is done with the picked file: its pump stops waiting, and its stream is closed. */
  #forgetFile(id: string): void {
    const outgoing = this.#outgoing.get(id);
    outgoing?.wake?.();
    outgoing?.reader.close();
    this.#outgoing.delete(id);
    this.#acceptedOn.delete(id);
  }

  /** Sends chunks while there is a window, a channel and room in its buffer. */
  #pump(transfer: StoredTransfer): void {
    const outgoing = this.#outgoing.get(transfer.id);
    if (!outgoing || outgoing.pumping) return;
    outgoing.pumping = true;
    // At work until it stops, but for its waits for room.
    let atWork = this.#working();
    void (async () => {
      try {
        while (transfer.state === 'active') {
          const channel = this.#context.transport.channel(transfer.conversation);
          // No channel, or one the receiver has not accepted on yet: its accept starts the pump again.
          if (!channel || this.#acceptedOn.get(transfer.id) !== channel) return;
          if (outgoing.cursor >= transfer.chunkCount) {
            // Everything is out; the hash covers the whole file once every chunk was read in order. It is
            // kept, so that a lost `end` can be sent again without the file (after a reload).
            if (!transfer.sha256) {
              await this.#hashUpTo(outgoing, transfer, transfer.chunkCount);
              // The receiver's accept changed how chunks are checked meanwhile: it starts over.
              if (outgoing.hashedUpTo < transfer.chunkCount) continue;
              await this.#context.store.update(transfer, { sha256: outgoing.sha.digest('hex') });
            }
            this.#context.control(transfer.conversation, { t: 'end', id: transfer.id, sha256: transfer.sha256! });
            return;
          }
          if (outgoing.cursor - outgoing.acked >= chunksPer(WINDOW_BYTES, transfer.chunkSize) || channel.bufferedAmount > BUFFER_HIGH) {
            atWork();
            await this.#waitForRoom(outgoing, channel, () => (atWork = this.#working()));
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
        this.#context.error(`Sending “${transfer.name}” stopped: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        outgoing.pumping = false;
        atWork();
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

  /** Waits for room: the receiver's progress, the buffer drained, or any wake (`woken` is called the moment it comes). */
  #waitForRoom(outgoing: Outgoing, channel: RTCDataChannel, woken: () => void): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        channel.removeEventListener('bufferedamountlow', done);
        channel.removeEventListener('close', done);
        outgoing.wake = null;
        woken();
        resolve();
      };
      channel.bufferedAmountLowThreshold = BUFFER_LOW;
      channel.addEventListener('bufferedamountlow', done);
      channel.addEventListener('close', done);
      outgoing.wake = done;
    });
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
}
