/**
 * What the page and the receiving worker (`transfer-receiver.worker.ts`) say to each other. Both are this
 * app's own code in one origin, so these are types, not a validated wire: the peer's frames are validated
 * where they enter (the chunk's header in the worker, control frames in `transfer-wire.ts`).
 */
import type { StoredTransfer } from '../storage/database.js';

/**
 * Bytes the receiver stores at once in IndexedDB (one block), in whole chunks: a block always starts on a
 * block boundary, so its size follows from the chunk size alone (and must not change: blocks are keyed by
 * their index).
 */
export const BLOCK_BYTES = 1024 * 1024;
/**
 * Chunks the receiver writes to its file between two flushes to disk, each followed by a progress record
 * (IndexedDB on both sides) and a `progress` frame: 4 MiB of 255 KiB chunks, 1 MiB of the 63 KiB ones a
 * browser that says nothing of its message size gets. A crash or a reload costs at most that much again.
 */
export const FLUSH_CHUNKS = 16;
export const chunksPer = (bytes: number, chunkSize: number): number => Math.max(1, Math.floor(bytes / chunkSize));

/** Where a received file's data is kept: a file in the origin private file system, or blocks in IndexedDB. */
export type ReceiveStore = 'opfs' | 'indexeddb';

/** The origin private file system's directory for the received files of one database. */
export const filesDirectory = (database: string): string => `${database}-files`;

export type ReceiverRequest =
  /** Whether this browser lets a worker write files in the origin private file system. */
  | { t: 'probe'; seq: number }
  /** Get ready for a transfer's chunks from its first one not stored (`next`, with the hash state over the rest). */
  | { t: 'open'; seq: number; transfer: StoredTransfer; store: ReceiveStore }
  /** A chunk frame from `device`'s files channel, as it came (the buffer is transferred, not copied). */
  | { t: 'chunk'; seq: number; device: string; buffer: ArrayBuffer }
  /** Forget a transfer and delete its file. */
  | { t: 'remove'; seq: number; id: string };

export type ReceiverReply =
  | { t: 'probed'; seq: number; opfs: boolean }
  /** Ready from `next` (0 when what was stored is gone); `sha256` when every chunk is stored already. */
  | { t: 'opened'; seq: number; id: string; next: number; sha256?: string }
  /** A chunk checked and written, or dropped (not the one expected, already asked for, not for a transfer here). */
  | { t: 'handled'; seq: number }
  /** A chunk failed its check or was not the one expected: ask the sender to go back to `from`. */
  | { t: 'nack'; seq: number; id: string; from: number }
  /**
   * Chunks 0..next-1 are stored; the SHA-256 state over them, and the file's SHA-256 after the last one.
   * `inMemory`: this browser keeps them only in memory, until the tab closes (Safari's Private Browsing).
   */
  | { t: 'stored'; seq: number; id: string; next: number; hashState: Uint8Array; sha256?: string; inMemory?: true }
  /** The transfer cannot go on (no space, a file another tab holds): the worker forgot it. */
  | { t: 'failed'; seq: number; id: string; reason: string; quota: boolean }
  | { t: 'removed'; seq: number; id: string };
