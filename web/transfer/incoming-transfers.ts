/**
 * The receiver's side of file transfers (direction 'in'): offers are entered in the history for the person
 * to accept or decline; chunks go to the receiving worker (`TransferReceiver`), which checks each one, feeds
 * the file's running hash and writes it to disk (a file in the origin private file system, flushed every 16
 * chunks, or 1 MiB blocks in IndexedDB); this side then records the progress and the hash state, so memory
 * stays flat and a break (network, reload on either side) resumes from the first chunk not stored. A chunk
 * that fails its check is asked for again; a file whose hash differs from the sender's is never shown as
 * complete. Loaded with the first transfer this page receives.
 */
import { StorageFullError, isQuotaError, type StoredTransfer } from '../storage/database.js';
import { formatBytes } from '../format/amounts.js';
import type { ReceiverReply, ReceiveStore } from './receiver-messages.js';
import type { TransferContext } from './transfer-context.js';
import { historyEntry } from './transfer-history.js';
import { TransferReceiver } from './transfer-receiver.js';
import { nextState, type TransferEvent } from './transfer-state.js';
import { moveTransfer } from './transfer-store.js';
import type { TransferFrame } from './transfer-wire.js';

/** Space kept free beyond the file when accepting. */
const SPACE_MARGIN = 1.05;

/** A transfer this page receives (its chunks go to the worker). */
interface Incoming {
  /** Progress recorded one block after another, in order. */
  writing: Promise<void>;
  /** The SHA-256 of what was stored, once every chunk is; and the sender's, once `end` said it. */
  digest: string | null;
  expectedSha: string | null;
}

export class IncomingTransfers {
  readonly #context: TransferContext;
  readonly #receiver: TransferReceiver;
  readonly #incoming = new Map<string, Incoming>();
  /** Incoming transfers whose worker side is being opened, so that two callers open it once. */
  readonly #opening = new Map<string, Promise<void>>();
  /**
   * The transfers the receiver asked to go on over each channel: asked once per channel, since the sender
   * goes back to the chunk named in every `accept` it gets (a repeat would send a window again).
   */
  readonly #askedOn = new WeakMap<RTCDataChannel, Set<string>>();
  /** The person was told that received files last only until the tab closes (said once per page). */
  #saidInMemory = false;

  /** `store`: where received files go; by default, the best this browser has (`TransferReceiver.store`). */
  constructor(context: TransferContext, store?: ReceiveStore) {
    this.#context = context;
    this.#receiver = new TransferReceiver(context.db.name, store);
  }

  /** The room is left: the receiving worker ends, so that a new session can open the same files. */
  stop(): void {
    this.#receiver.stop();
    this.#incoming.clear();
  }

  /** An `offer` from `device`: a new one is entered in the history; one known (offered again after a break) is answered with where it stands. */
  async offered(device: string, frame: Extract<TransferFrame, { t: 'offer' }>, known: StoredTransfer | undefined): Promise<void> {
    // A file for a room is taken only in that room (no member puts a file into another), and a transfer
    // stays where it was first filed: a one-to-one file never moves into a room, nor a room's out of it.
    if (frame.room !== undefined && frame.room !== this.#context.room?.room) return;
    if (known && known.room !== frame.room) return;
    if (known) {
      if (known.size !== frame.size) return;
      // The sender offers again after a break: tell it where we are.
      switch (known.state) {
        case 'active':
          await this.askForTheRest(known);
          break;
        case 'declined':
          this.#context.control(known.conversation, { t: 'decline', id: known.id });
          break;
        case 'cancelled':
          this.#context.control(known.conversation, { t: 'cancel', id: known.id });
          break;
        case 'complete':
        case 'failed':
          this.sayVerdict(known);
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
    const { store } = this.#context;
    if (!transfer.room) {
      await store.save(transfer);
      await this.#context.chat.record(historyEntry(transfer));
      return;
    }
    // The room's entry and its transfer, in one transaction.
    store.keep(transfer);
    try {
      await this.#record(transfer, [transfer]);
    } catch (error) {
      // Not stored: the sender offers it again on the next connection.
      store.forget(transfer.id);
      this.#context.error(error instanceof Error ? error.message : String(error));
      return;
    }
    store.told(transfer);
  }

  /** Adds the transfer's entry to its conversation, the room's or the person's (with `transfers` in the same transaction); false when it was there. */
  async #record(transfer: StoredTransfer, transfers: readonly StoredTransfer[] = []): Promise<boolean> {
    if (!transfer.room) return this.#context.chat.record(historyEntry(transfer));
    return (await this.#context.room?.record(historyEntry(transfer), transfers)) ?? false;
  }

  /** The person presses Accept, or Resume: when there is room for the rest of the file, the sender is asked for it. */
  async accept(transfer: StoredTransfer): Promise<void> {
    if (!nextState(transfer, 'accept')) return;
    const estimate = await globalThis.navigator?.storage?.estimate?.().catch(() => null);
    const free = estimate?.quota !== undefined && estimate.usage !== undefined ? estimate.quota - estimate.usage : Infinity;
    const needed = (transfer.size - transfer.next * transfer.chunkSize) * SPACE_MARGIN;
    if (needed > free) {
      await this.#context.store.update(transfer, { reason: `Not enough space: this file needs ${formatBytes(needed)} and the device has ${formatBytes(free)} free for Whisper.` });
      this.#context.error(transfer.reason!);
      return;
    }
    await moveTransfer(this.#context.store, transfer, 'accept', { reason: undefined });
    await this.askForTheRest(transfer, true);
  }

  async decline(transfer: StoredTransfer): Promise<void> {
    if (await moveTransfer(this.#context.store, transfer, 'decline')) this.#context.control(transfer.conversation, { t: 'decline', id: transfer.id });
  }

  /** Either side cancelled (`reason`: said by the other side): what was stored of the file is deleted. */
  async cancelled(transfer: StoredTransfer, reason?: string): Promise<boolean> {
    return this.#stop(transfer, 'cancel', reason);
  }

  /** The received file (disk-backed: nothing is read into memory). */
  async file(transfer: StoredTransfer): Promise<Blob | null> {
    if (transfer.store === 'opfs') return this.#receiver.file(transfer.id, transfer.type);
    const blocks = await this.#context.db.getAll('chunks', IDBKeyRange.bound([transfer.id, 0], [transfer.id, Infinity]));
    return new Blob(blocks, { type: transfer.type || 'application/octet-stream' });
  }

  /** Frees the space a received file takes; the entry stays in the history, and a transfer still under way is cancelled. */
  async deleteData(transfer: StoredTransfer): Promise<void> {
    await this.#deleteReceived(transfer);
    const deleted = { reason: 'Deleted from this device.' };
    if (!(await moveTransfer(this.#context.store, transfer, 'cancel', deleted))) await this.#context.store.update(transfer, deleted);
  }

  /** Asks the sender for the chunks from the first one not stored: once per channel, unless the person asks (Accept, Resume). */
  async askForTheRest(transfer: StoredTransfer, personAsked = false): Promise<void> {
    await this.#openIncoming(transfer);
    const channel = this.#context.transport.channel(transfer.conversation);
    if (!channel || transfer.state !== 'active') return;
    const asked = this.#askedOn.get(channel) ?? new Set<string>();
    this.#askedOn.set(channel, asked);
    if (asked.has(transfer.id) && !personAsked) return;
    asked.add(transfer.id);
    this.#context.control(transfer.conversation, { t: 'accept', id: transfer.id, from: transfer.next, ...(transfer.integrity ? { integrity: transfer.integrity } : {}) });
  }

  /** The receiver's verdict on a file it finished (complete or failed), said again. */
  sayVerdict(transfer: StoredTransfer): void {
    this.#context.control(transfer.conversation, { t: 'done', id: transfer.id, ok: transfer.state === 'complete' });
  }

  /** A chunk frame from `device`, to the worker as it came; nothing is started for it when no transfer was ever opened here. */
  chunk(device: string, data: ArrayBuffer): Promise<void> {
    return this.#receiver.chunk(device, data).then((reply) => this.#chunkHandled(reply));
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
    const { store } = this.#context;
    // A transfer with nothing stored yet goes where this browser stores best; one under way stays where it is.
    if (!transfer.store && transfer.next === 0 && (await this.#receiver.store()) === 'opfs') await store.update(transfer, { store: 'opfs' });
    const reply = await this.#receiver.open(transfer, transfer.store ?? 'indexeddb');
    if (reply.t === 'failed') return this.#cannotStore(transfer, reply);
    // Stopped meanwhile: a cancel removed what the worker opened; a pause leaves it for Resume, which opens it again.
    if (transfer.state !== 'active') return;
    // What was recorded as stored is gone (the file was deleted): it starts again from the first chunk.
    if (reply.next !== transfer.next) await store.update(transfer, { next: reply.next, hashState: undefined });
    this.#incoming.set(transfer.id, { writing: Promise.resolve(), digest: reply.sha256 ?? null, expectedSha: transfer.sha256 ?? null });
  }

  /** What the worker did with a chunk: the sender is asked again, told of a stored block, or the transfer stops. */
  #chunkHandled(reply: ReceiverReply): Promise<void> {
    const { store } = this.#context;
    if (reply.t === 'failed') {
      // An empty id: the worker itself failed, and every transfer it held with it.
      const failed = reply.id ? [store.get(reply.id)] : [...this.#incoming.keys()].map((id) => store.get(id));
      return Promise.all(failed.map((transfer) => transfer && this.#cannotStore(transfer, reply))).then(() => undefined);
    }
    if (reply.t !== 'nack' && reply.t !== 'stored') return Promise.resolve();
    const transfer = store.get(reply.id);
    const incoming = this.#incoming.get(reply.id);
    if (!transfer || !incoming || transfer.state !== 'active') return Promise.resolve();
    if (reply.t === 'nack') {
      this.#context.control(transfer.conversation, { t: 'nack', id: transfer.id, from: reply.from });
      return Promise.resolve();
    }
    const { next, hashState } = reply;
    if (reply.inMemory && !this.#saidInMemory) {
      this.#saidInMemory = true;
      this.#context.error('This browser keeps received files only until this tab is closed (Private Browsing): save the ones you want to keep before you close it.');
    }
    incoming.writing = incoming.writing.then(async () => {
      if (transfer.state !== 'active' || this.#incoming.get(transfer.id) !== incoming) return;
      try {
        await store.stored(transfer, { next, hashState });
      } catch (error) {
        return this.#cannotStore(transfer, { reason: String(error), quota: isQuotaError(error) });
      }
      this.#context.speed.measure(transfer, next);
      this.#context.control(transfer.conversation, { t: 'progress', id: transfer.id, next });
      store.told(transfer);
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
    if (!nextState(transfer, 'storage-full')) return;
    const reason = failure.quota ? new StorageFullError().message : `Saving “${transfer.name}” failed: ${failure.reason}`;
    await moveTransfer(this.#context.store, transfer, 'storage-full', { reason });
    this.#context.error(reason);
  }

  /** The sender's `end {sha256}`: the file is done once every chunk is stored, and verified against it. */
  async ended(transfer: StoredTransfer, sha256: string): Promise<void> {
    const incoming = this.#incoming.get(transfer.id);
    if (!incoming || transfer.state !== 'active') return;
    incoming.expectedSha = sha256;
    await this.#context.store.update(transfer, { sha256 });
    await incoming.writing;
    if (incoming.digest && transfer.state === 'active') await this.#finish(transfer, incoming);
  }

  async #finish(transfer: StoredTransfer, incoming: Incoming): Promise<void> {
    if (transfer.state !== 'active') return;
    const ok = incoming.digest === incoming.expectedSha;
    this.#incoming.delete(transfer.id);
    if (ok) {
      await moveTransfer(this.#context.store, transfer, 'verified', { hashState: undefined });
    } else {
      await this.#deleteReceived(transfer);
      await moveTransfer(this.#context.store, transfer, 'fail', { hashState: undefined, reason: 'The file did not match what was sent, so it was not kept.' });
    }
    this.#context.control(transfer.conversation, { t: 'done', id: transfer.id, ok });
  }

  async #stop(transfer: StoredTransfer, event: TransferEvent, reason?: string): Promise<boolean> {
    if (!nextState(transfer, event)) return false;
    this.#incoming.delete(transfer.id);
    await this.#deleteReceived(transfer);
    return moveTransfer(this.#context.store, transfer, event, { hashState: undefined, ...(reason ? { reason } : {}) });
  }

  /** Deletes what was stored of a received file, where its store says (a transfer never changes store once data is kept). */
  async #deleteReceived(transfer: StoredTransfer): Promise<void> {
    if (transfer.store === 'opfs') await this.#receiver.remove(transfer.id);
    else await this.#context.db.delete('chunks', IDBKeyRange.bound([transfer.id, 0], [transfer.id, Infinity]));
  }
}
