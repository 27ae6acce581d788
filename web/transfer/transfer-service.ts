/**
 * Files of any size between two devices, over their "files" data channel: the one object the app holds
 * (`RoomSession.transfers`). It keeps the transfers' records (`IndexedDbTransferStore`), routes each frame to the
 * side it is for, and loads that side with the first transfer that needs it: the sender
 * (`OutgoingTransfers`) and the receiver (`IncomingTransfers`, with its worker) are not in the app's first
 * load. Both move transfers through one state machine (`transfer-state.ts`, as docs/architecture.md draws it).
 */
import { TypedEventTarget } from '../events/typed-event-target.js';
import type { ChatService } from '../chat/chat-service.js';
import type { StoredTransfer, WhisperDatabase } from '../storage/database.js';
import type { IncomingTransfers } from './incoming-transfers.js';
import type { OutgoingTransfers } from './outgoing-transfers.js';
import type { ReceiveStore } from './receiver-messages.js';
import type { TransferContext } from './transfer-context.js';
import type { RoomFileHistory } from './transfer-history.js';
import { TransferSpeed, type TransferProgress } from './transfer-speed.js';
import { isUnfinished } from './transfer-state.js';
import { IndexedDbTransferStore } from './transfer-store.js';
import { sendControl, type TransferTransport } from './transfer-transport.js';
import { parseTransferFrame, type TransferFrame } from './transfer-wire.js';

export type { RoomFileHistory } from './transfer-history.js';
export type { TransferProgress } from './transfer-speed.js';
export type { TransferTransport } from './transfer-transport.js';

export interface TransferEventMap {
  'wh-transfer': CustomEvent<StoredTransfer>;
  'wh-transfer-error': CustomEvent<string>;
}

export class TransferService extends TypedEventTarget<TransferEventMap> {
  readonly #context: TransferContext;
  readonly #receiveStore: ReceiveStore | undefined;
  #outgoing: OutgoingTransfers | null = null;
  #loadingOutgoing: Promise<OutgoingTransfers> | null = null;
  #incoming: IncomingTransfers | null = null;
  #loadingIncoming: Promise<IncomingTransfers> | null = null;
  /** Per device, control frames are handled one after another, in the order they came. */
  readonly #controlQueue = new Map<string, Promise<void>>();

  /**
   * `store` says where received files go; by default, the best this browser has (`TransferReceiver.store`).
   * `room`: the room's conversation, for files sent to the whole room and offered in it (none: one to one only).
   */
  constructor(db: WhisperDatabase, chat: ChatService, transport: TransferTransport, { store, room }: { store?: ReceiveStore; room?: RoomFileHistory } = {}) {
    super();
    this.#receiveStore = store;
    this.#context = {
      db,
      chat,
      transport,
      room: room ?? null,
      store: new IndexedDbTransferStore(db, (transfer) => this.emit('wh-transfer', transfer)),
      speed: new TransferSpeed(),
      control: (device, frame) => sendControl(transport, device, frame),
      error: (message) => this.emit('wh-transfer-error', message),
    };
  }

  /**
   * The sender's side, loaded with the first transfer this page sends or hears of. A load that failed (the
   * network went while the app's files were not all cached yet) is tried again the next time, not kept.
   */
  #sender(): Promise<OutgoingTransfers> {
    return (this.#loadingOutgoing ??= import('./outgoing-transfers.js').then(
      ({ OutgoingTransfers }) => (this.#outgoing = new OutgoingTransfers(this.#context)),
      (error: unknown) => {
        this.#loadingOutgoing = null;
        throw error;
      },
    ));
  }

  /** The receiver's side, loaded with the first transfer this page receives (a failed load, as the sender's). */
  #receiver(): Promise<IncomingTransfers> {
    return (this.#loadingIncoming ??= import('./incoming-transfers.js').then(
      ({ IncomingTransfers }) => (this.#incoming = new IncomingTransfers(this.#context, this.#receiveStore)),
      (error: unknown) => {
        this.#loadingIncoming = null;
        throw error;
      },
    ));
  }

  #sideOf(transfer: StoredTransfer): Promise<OutgoingTransfers | IncomingTransfers> {
    return transfer.direction === 'out' ? this.#sender() : this.#receiver();
  }

  /** The room is left: the receiving worker ends, so that a new session can open the same files. */
  stop(): void {
    this.#incoming?.stop();
  }

  get(id: string): StoredTransfer | undefined {
    return this.#context.store.get(id);
  }

  /** Transfers that are moving or waiting to move (for the wake lock and the leave-page warning). */
  get busy(): boolean {
    return this.#context.store.all().some((transfer) => transfer.state === 'active');
  }

  /**
   * Settles at a moment when nothing this service does on its own is under way: no file being read, hashed
   * or sent (a sender waiting for the receiver's progress, or for the channel's buffer to drain, waits on the
   * other side). All else it does is in the promise it gave for it: `receive`'s for a frame that came (a chunk
   * stored by the receiving worker and recorded), `accept`'s, `channelOpened`'s.
   */
  async settled(): Promise<void> {
    await this.#outgoing?.settled();
  }

  progress(id: string): TransferProgress {
    return this.#context.speed.progress(this.get(id));
  }

  /** Whether anything waits to move between this device and `device`. */
  hasPending(device: string): boolean {
    return this.#context.store
      .all()
      .some((t) => t.conversation === device && (t.state === 'active' || (t.direction === 'out' && (t.state === 'offered' || t.state === 'paused'))));
  }

  /** The sender must pick the file again: it is needed (chunks are left to send) and this page does not have it. */
  needsFile(id: string): boolean {
    const t = this.get(id);
    return !!t && t.direction === 'out' && (t.state === 'active' || t.state === 'paused') && !this.#outgoing?.hasFile(id) && !(t.sha256 && t.next >= t.chunkCount);
  }

  load(conversation: string): Promise<void> {
    return this.#context.store.load(conversation);
  }

  /** The transfer, read from the database when it is not loaded yet (a history entry may be shown first). */
  find(id: string): Promise<StoredTransfer | undefined> {
    return this.#context.store.find(id);
  }

  async send(device: string, files: readonly File[]): Promise<void> {
    await (await this.#sender()).send(device, files);
  }

  /** Offers each file to everyone in the room, one transfer per member (`OutgoingTransfers.sendToRoom`). */
  async sendToRoom(files: readonly File[]): Promise<void> {
    await (await this.#sender()).sendToRoom(files);
  }

  /** The sender picked the file again after a reload: it must be the same one. */
  async provideFile(id: string, file: File): Promise<boolean> {
    const transfer = this.get(id);
    if (!transfer || transfer.direction !== 'out') return false;
    return (await this.#sender()).provideFile(transfer, file);
  }

  async accept(id: string): Promise<void> {
    const transfer = this.get(id);
    if (transfer?.direction === 'in') await (await this.#receiver()).accept(transfer);
  }

  async decline(id: string): Promise<void> {
    const transfer = this.get(id);
    if (transfer?.direction === 'in') await (await this.#receiver()).decline(transfer);
  }

  async cancel(id: string): Promise<void> {
    const transfer = this.get(id);
    if (!transfer) return;
    if (await (await this.#sideOf(transfer)).cancelled(transfer)) this.#context.control(transfer.conversation, { t: 'cancel', id });
  }

  /** The received file (disk-backed: nothing is read into memory). */
  async file(id: string): Promise<Blob | null> {
    const transfer = this.get(id);
    if (!transfer || transfer.direction !== 'in' || transfer.state !== 'complete') return null;
    return (await this.#receiver()).file(transfer);
  }

  /** Frees the space a received file takes; the entry stays in the history. */
  async deleteData(id: string): Promise<void> {
    const transfer = this.get(id);
    if (transfer) await (await this.#receiver()).deleteData(transfer);
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
    for (const transfer of this.#context.store.all()) {
      if (transfer.conversation !== device) continue;
      if (transfer.direction === 'out' && isUnfinished(transfer)) (await this.#sender()).offer(transfer);
      if (transfer.direction === 'in' && transfer.state === 'active') await (await this.#receiver()).askForTheRest(transfer);
    }
  }

  channelClosed(device: string): void {
    this.#outgoing?.channelClosed(device);
  }

  /**
   * A frame that came on `channel`, `device`'s files channel. Chunks are handled as they come (in order);
   * control frames one after another, in the order they came. Settles once the frame is handled: a chunk
   * checked and stored by the receiving worker, its progress recorded and reported.
   */
  receive(device: string, data: string | ArrayBuffer, channel: RTCDataChannel): Promise<void> {
    // No receiver yet: no transfer was ever opened here, so the chunk is for nothing.
    if (typeof data !== 'string') return this.#incoming?.chunk(device, data) ?? Promise.resolve();
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
        if (!outgoing) await (await this.#receiver()).offered(device, frame, incoming);
        return;
      case 'accept':
        // What the receiver asked for on a channel that is gone no longer holds: it asks again on the new one.
        if (outgoing && this.#context.transport.channel(device) === channel) await (await this.#sender()).accepted(outgoing, frame.from, frame.integrity ?? 1, channel);
        // A transfer this side no longer knows: tell the receiver, so that it does not wait for ever.
        else if (!transfer) this.#context.control(device, { t: 'cancel', id: frame.id });
        return;
      case 'decline':
        if (outgoing) await (await this.#sender()).declined(outgoing);
        return;
      case 'cancel':
        if (transfer) await (await this.#sideOf(transfer)).cancelled(transfer, 'Cancelled by the other side.');
        return;
      case 'progress':
        // Paused too (the sender reloaded and waits for the file to be picked again): the receiver goes on storing
        // what it had received, and the sender must go on from there, or it would send again what is stored
        // there, which the receiver drops without a word, and wait for ever for an acknowledgement.
        if (outgoing && isUnfinished(outgoing)) (await this.#sender()).acknowledged(outgoing, frame.next);
        return;
      case 'nack':
        // No sender yet: no file is being sent from this page, so nothing to go back in.
        if (outgoing) this.#outgoing?.nacked(outgoing, frame.from, channel);
        return;
      case 'end':
        if (incoming?.state === 'active') await (await this.#receiver()).ended(incoming, frame.sha256);
        // The receiver's verdict was lost on the way: say it again.
        else if (incoming?.state === 'complete' || incoming?.state === 'failed') (await this.#receiver()).sayVerdict(incoming);
        return;
      case 'done':
        if (outgoing) await (await this.#sender()).done(outgoing, frame.ok);
        return;
    }
  }
}
