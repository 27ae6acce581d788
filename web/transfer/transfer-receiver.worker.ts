/**
 * The receiving end of file transfers, off the page's main thread: each chunk
 * is checked (index, length, and its SHA-256 by the browser's own WebCrypto, or
 * its xxhash64 for a version 1 transfer), fed to the file's running hash and
 * written at its place in the file, in the origin private file system through
 * a synchronous access handle (no copy through the browser process, no Blob
 * assembled), or, where a browser has no such handle, in 1 MiB blocks in
 * IndexedDB. A stored block is flushed to disk before the page hears of it, so
 * the progress the page records (and the sender is told) never runs ahead of
 * what a crash would leave. The page's counterpart is `TransferReceiver`.
 */
import type { IHasher } from 'hash-wasm';
import { createSHA256, createXXHash64 } from 'hash-wasm';
import { isQuotaError, openDatabase, type WhisperDatabase } from '../storage/database.js';
import { BLOCK_BYTES, chunksPer, FLUSH_CHUNKS, filesDirectory, type ReceiverReply, type ReceiverRequest } from './receiver-messages.js';
import { bytesToHex, chunkDigest, decodeChunk, type Integrity } from './transfer-wire.js';

/** The synchronous file API that only dedicated workers have (not in TypeScript's DOM library). */
interface SyncAccessHandle {
  write(data: Uint8Array, options: { at: number }): number;
  truncate(size: number): void;
  getSize(): number;
  flush(): void;
  close(): void;
}
interface WithSyncAccess {
  createSyncAccessHandle(): Promise<SyncAccessHandle>;
}
interface WorkerScope {
  /** The database's name, given when the page started the worker. */
  name: string;
  postMessage(message: ReceiverReply): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<ReceiverRequest>) => void): void;
}
const scope = globalThis as unknown as WorkerScope;

interface Receiving {
  conversation: string;
  size: number;
  chunkSize: number;
  chunkCount: number;
  integrity: Integrity;
  /** Chunks checked, hashed and written (or batched) so far: the next one expected. */
  received: number;
  /** The chunk a `nack` last asked for: asked once until it comes. */
  nackedAt: number;
  /** The file's running hash: over the chunks' data (version 1), or over their SHA-256 (version 2). */
  sha: IHasher;
  /** OPFS: the file, open for this transfer's life here; and the chunks written since its last flush. */
  handle: SyncAccessHandle | null;
  unflushed: number;
  /** IndexedDB: the block being gathered. */
  batch: Uint8Array[];
}

const receiving = new Map<string, Receiving>();
let xxhash: IHasher | null = null;
let database: Promise<WhisperDatabase> | null = null;
/** IndexedDB refused a Blob (Safari's Private Browsing): blocks are stored as ArrayBuffers from then on. */
let blobsRefused = false;

/** Requests are handled one after another, in the order the page sent them (opening a file is asynchronous). */
let queue: Promise<void> = Promise.resolve();
scope.addEventListener('message', (event) => {
  const request = event.data;
  // Whatever fails unexpectedly is answered (the page waits for every reply) and leaves the queue running.
  queue = queue.then(() => handle(request)).catch((error: unknown) => fail(request.seq, request.t === 'open' ? request.transfer.id : request.t === 'remove' ? request.id : '', error));
});

async function handle(request: ReceiverRequest): Promise<void> {
  const { seq } = request;
  switch (request.t) {
    case 'probe':
      scope.postMessage({ t: 'probed', seq, opfs: await opfsWorks() });
      return;
    case 'open':
      await open(request).catch((error: unknown) => fail(seq, request.transfer.id, error));
      return;
    case 'chunk':
      await chunk(seq, request.device, request.buffer);
      return;
    case 'remove':
      close(request.id);
      await (await directory(false))?.removeEntry(request.id).catch(() => undefined);
      scope.postMessage({ t: 'removed', seq, id: request.id });
      return;
  }
}

/** The transfer cannot go on here (no space, a file another tab holds): forgotten, and the page told why. */
function fail(seq: number, id: string, error: unknown): void {
  close(id);
  scope.postMessage({ t: 'failed', seq, id, reason: error instanceof Error ? error.message : String(error), quota: isQuotaError(error) });
}

async function opfsWorks(): Promise<boolean> {
  try {
    if (!('createSyncAccessHandle' in FileSystemFileHandle.prototype)) return false;
    // Private browsing (Firefox) refuses the origin private file system altogether.
    const dir = (await directory(true))!;
    // Safari 15.2–16.3 gave Promises from the sync handle's getSize/truncate/flush/close (WebKit bug 247071):
    // the file is used only where they answer at once.
    const name = `.probe-${Math.random().toString(36).slice(2)}`; // Another tab may be probing too.
    const probe = await ((await dir.getFileHandle(name, { create: true })) as unknown as WithSyncAccess).createSyncAccessHandle();
    const synchronous = typeof probe.getSize() === 'number';
    await probe.close();
    await dir.removeEntry(name).catch(() => undefined);
    return synchronous;
  } catch {
    return false;
  }
}

async function directory(create: boolean): Promise<FileSystemDirectoryHandle | null> {
  const root = await navigator.storage.getDirectory();
  return root.getDirectoryHandle(filesDirectory(scope.name), { create }).catch((error: unknown) => {
    if (!create && error instanceof DOMException && error.name === 'NotFoundError') return null;
    throw error;
  });
}

async function open(request: Extract<ReceiverRequest, { t: 'open' }>): Promise<void> {
  const { seq, transfer } = request;
  close(transfer.id);
  const integrity = transfer.integrity ?? 1;
  if (integrity === 1) xxhash ??= await createXXHash64();
  const sha = await createSHA256();
  let from = transfer.hashState ? transfer.next : 0;
  let handle: SyncAccessHandle | null = null;
  if (request.store === 'opfs') {
    const dir = (await directory(true))!;
    const file = await dir.getFileHandle(transfer.id, { create: true });
    handle = await (file as unknown as WithSyncAccess).createSyncAccessHandle();
    // What the page recorded as stored must be in the file: if it is not (the file was deleted or cut), start again.
    if (handle.getSize() < Math.min(transfer.size, from * transfer.chunkSize)) from = 0;
    if (from === 0) handle.truncate(0);
    // The whole file's space at once: one quota check (a file that does not fit fails here, before any
    // chunk is sent), not one from every write that grows it.
    if (handle.getSize() < transfer.size) handle.truncate(transfer.size);
  }
  if (from > 0) sha.load(transfer.hashState!);
  if (from === transfer.chunkCount) {
    // Every chunk is stored (the page reloaded before the sender's `end`): only the file's hash is left to give.
    handle?.close();
    scope.postMessage({ t: 'opened', seq, id: transfer.id, next: from, sha256: sha.digest('hex') });
    return;
  }
  receiving.set(transfer.id, {
    conversation: transfer.conversation,
    size: transfer.size,
    chunkSize: transfer.chunkSize,
    chunkCount: transfer.chunkCount,
    integrity,
    received: from,
    nackedAt: -1,
    sha,
    handle,
    unflushed: 0,
    batch: [],
  });
  scope.postMessage({ t: 'opened', seq, id: transfer.id, next: from });
}

function close(id: string): void {
  receiving.get(id)?.handle?.close();
  receiving.delete(id);
}

async function chunk(seq: number, device: string, buffer: ArrayBuffer): Promise<void> {
  const frame = decodeChunk(buffer);
  const transfer = frame ? receiving.get(frame.id) : undefined;
  // Not a transfer being received from this device (finished, stopped, or another person's): dropped.
  if (!frame || !transfer || transfer.conversation !== device) return scope.postMessage({ t: 'handled', seq });
  const expected = transfer.received;
  // Go-back-N: after a bad chunk, everything until its new copy is dropped. A chunk from beyond it means
  // the sender went on without the one expected: it is asked for, once.
  if (frame.index < expected) return scope.postMessage({ t: 'handled', seq });
  const length = Math.min(transfer.chunkSize, transfer.size - frame.index * transfer.chunkSize);
  // A chunk checked the other way (sent before the sender heard this side's accept) is asked for again.
  const good = frame.index === expected && frame.data.byteLength === length && frame.integrity === transfer.integrity;
  const digest = good && transfer.integrity === 2 ? await chunkDigest(frame.data) : null;
  if (!good || (digest ? bytesToHex(digest) : chunkHash(frame.data)) !== frame.hash) {
    if (transfer.nackedAt === expected) return scope.postMessage({ t: 'handled', seq });
    transfer.nackedAt = expected;
    return scope.postMessage({ t: 'nack', seq, id: frame.id, from: expected });
  }
  transfer.sha.update(digest ?? frame.data);
  transfer.received++;
  const last = transfer.received === transfer.chunkCount;
  try {
    if (transfer.handle) {
      const written = transfer.handle.write(frame.data, { at: frame.index * transfer.chunkSize });
      if (written !== length) throw new DOMException('The file could not be written whole.', 'QuotaExceededError');
      if (++transfer.unflushed < FLUSH_CHUNKS && !last) return scope.postMessage({ t: 'handled', seq });
      transfer.handle.flush();
      transfer.unflushed = 0;
    } else {
      const perBlock = chunksPer(BLOCK_BYTES, transfer.chunkSize);
      transfer.batch.push(frame.data);
      if (transfer.batch.length < perBlock && !last) return scope.postMessage({ t: 'handled', seq });
      const block = transfer.batch;
      transfer.batch = [];
      const db = await (database ??= openDatabase(scope.name));
      // One stored block per batch, keyed [transfer, block index]: a flush always starts on a block boundary.
      const key: [string, number] = [frame.id, (transfer.received - block.length) / perBlock];
      if (!blobsRefused) {
        try {
          await db.put('chunks', new Blob(block as Uint8Array<ArrayBuffer>[]), key);
        } catch (error) {
          if (isQuotaError(error)) throw error;
          // Safari's Private Browsing refuses Blobs in IndexedDB (its data lives in memory): the bytes themselves go.
          blobsRefused = true;
        }
      }
      if (blobsRefused) await db.put('chunks', joined(block), key);
    }
  } catch (error) {
    return fail(seq, frame.id, error);
  }
  const hashState = transfer.sha.save();
  const sha256 = last ? transfer.sha.digest('hex') : undefined;
  if (last) close(frame.id);
  scope.postMessage({ t: 'stored', seq, id: frame.id, next: transfer.received, hashState, ...(sha256 ? { sha256 } : {}), ...(blobsRefused ? { inMemory: true } : {}) });
}

/** The block's chunks as one ArrayBuffer (for a browser that will not store Blobs). */
function joined(block: Uint8Array[]): ArrayBuffer {
  const bytes = new Uint8Array(block.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of block) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes.buffer;
}

function chunkHash(data: Uint8Array): string {
  xxhash!.init();
  xxhash!.update(data);
  return xxhash!.digest('hex');
}
