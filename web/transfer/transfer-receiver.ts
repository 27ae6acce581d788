/**
 * The page's side of the receiving worker (`transfer-receiver.worker.ts`):
 * chunks go to it as they come off the files channel (transferred, not
 * copied), so that checking, hashing and storing them never holds up the
 * page. Started with the first transfer this page receives, not with the app.
 */
import type { StoredTransfer } from '../storage/database.js';
import { filesDirectory, type ReceiverReply, type ReceiverRequest, type ReceiveStore } from './receiver-messages.js';

type Reply<T extends ReceiverReply['t']> = Extract<ReceiverReply, { t: T }>;
/** A request as the page writes it: the sequence number is added on the way. */
type Ask = ReceiverRequest extends infer R ? (R extends ReceiverRequest ? Omit<R, 'seq'> : never) : never;

export class TransferReceiver {
  readonly #database: string;
  #worker: Worker | null = null;
  #seq = 0;
  readonly #waiting = new Map<number, (reply: ReceiverReply) => void>();
  #store: Promise<ReceiveStore> | null = null;

  constructor(database: string, store?: ReceiveStore) {
    this.#database = database;
    if (store) this.#store = Promise.resolve(store);
  }

  /** Where a new transfer's data goes: a file in the origin private file system where this browser lets a worker write one, else IndexedDB. */
  store(): Promise<ReceiveStore> {
    return (this.#store ??= this.#ask<'probed'>({ t: 'probe' }).then((reply) => (reply.opfs ? 'opfs' : 'indexeddb')));
  }

  open(transfer: StoredTransfer, store: ReceiveStore): Promise<Reply<'opened'> | Reply<'failed'>> {
    return this.#ask({ t: 'open', transfer, store });
  }

  /** What became of a chunk frame; nothing is started for a frame when no transfer was ever opened here. */
  chunk(device: string, buffer: ArrayBuffer): Promise<Reply<'handled'> | Reply<'nack'> | Reply<'stored'> | Reply<'failed'>> {
    if (!this.#worker) return Promise.resolve({ t: 'handled', seq: 0 });
    return this.#ask({ t: 'chunk', device, buffer }, [buffer]);
  }

  /** Forgets the transfer in the worker and deletes its file. */
  async remove(id: string): Promise<void> {
    await this.#ask({ t: 'remove', id });
  }

  /** The received file kept in the origin private file system (disk-backed), or null when it is not there. */
  async file(id: string, type: string): Promise<Blob | null> {
    try {
      const root = await navigator.storage.getDirectory();
      const file = await (await (await root.getDirectoryHandle(filesDirectory(this.#database))).getFileHandle(id)).getFile();
      // The file's own type is empty (OPFS keeps no type): the sender's is given back for previews and Save.
      return file.slice(0, file.size, type || 'application/octet-stream');
    } catch {
      return null;
    }
  }

  /** The page is done with receiving (the room was left): the worker ends, and its files are closed for the next one. */
  stop(): void {
    this.#worker?.terminate();
    this.#worker = null;
    this.#waiting.clear();
  }

  #ask<T extends ReceiverReply['t']>(request: Ask, transfer: Transferable[] = []): Promise<Reply<T>> {
    const worker = this.#start();
    const seq = ++this.#seq;
    return new Promise((resolve) => {
      this.#waiting.set(seq, resolve as (reply: ReceiverReply) => void);
      worker.postMessage({ ...request, seq }, transfer);
    });
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    // The database's name is the worker's name: its directory in the file system, and where the IndexedDB blocks go.
    const worker = new Worker(new URL('./transfer-receiver.worker.ts', import.meta.url), { type: 'module', name: this.#database });
    worker.addEventListener('message', (event: MessageEvent<ReceiverReply>) => {
      const resolve = this.#waiting.get(event.data.seq);
      this.#waiting.delete(event.data.seq);
      resolve?.(event.data);
    });
    // A worker that could not start (or died) answers nothing: every request waiting on it fails, in words.
    worker.addEventListener('error', () => {
      const reason = 'This browser stopped the part of Whisper that receives files. Reload the page, then Resume.';
      for (const [seq, resolve] of this.#waiting) resolve({ t: 'failed', seq, id: '', reason, quota: false });
      this.#waiting.clear();
      this.#worker = null;
      worker.terminate();
    });
    this.#worker = worker;
    return worker;
  }
}
