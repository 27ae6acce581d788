/**
 * The file-transfer protocol between two devices, over their "files" data
 * channel: JSON text frames for control, binary frames for chunks. Every
 * inbound frame is validated.
 *
 * Chunk frame: [1 byte version][16 bytes transfer id][4 bytes index, big-endian][the chunk's hash][data].
 * Version 2 (`integrity: 2` in the offer and the accept): the hash is the data's SHA-256 (32 bytes), and the
 * file's hash in `end` is the SHA-256 of every chunk's SHA-256 in order. Version 1 (a peer that says nothing
 * of integrity): an xxhash64 of the data (8 bytes), and the SHA-256 of the whole file. Version 2 lets both
 * sides hash with the browser's own SHA-256 (WebCrypto cannot hash a stream piece by piece, only whole
 * buffers), several times cheaper than SHA-256 in WebAssembly.
 */
import * as v from 'valibot';
import { RoomIdSchema } from '../../signal/protocol/messages.js';
import { parseJsonFrame } from '../peers/json-frame.js';

export const MAX_FILE_SIZE = 2 ** 40;
/** How chunks are checked: 1 (xxhash64 per chunk, SHA-256 of the file) or 2 (SHA-256 per chunk, SHA-256 of their list). */
export type Integrity = 1 | 2;
/** The chunk frame's header before the data: version, transfer id, index, then the hash. */
export const headerBytes = (integrity: Integrity): number => 1 + 16 + 4 + (integrity === 2 ? 32 : 8);
const MAX_HEADER_BYTES = headerBytes(2);

/**
 * A transfer's chunk size is chosen by the sender from the largest message the peer takes
 * (`RTCSctpTransport.maxMessageSize`: 256 KiB in Chromium, far more in Firefox), in whole KiB, so that
 * a chunk and its header fit one message; it is fixed for the transfer, including its resumes.
 */
export const MIN_CHUNK_SIZE = 16 * 1024;
export const MAX_CHUNK_SIZE = 256 * 1024;
/** What every WebRTC stack takes when the peer says nothing (RFC 8841's default max-message-size). */
export const DEFAULT_MESSAGE_SIZE = 64 * 1024;

/** The chunk size for a peer that takes messages up to `maxMessageSize` bytes (0 means no limit). */
export function chunkSizeFor(maxMessageSize: number | null): number {
  const limit = maxMessageSize === null ? DEFAULT_MESSAGE_SIZE : maxMessageSize === 0 ? Infinity : maxMessageSize;
  // The larger header of the two versions, so that a chunk fits whichever way it is checked.
  const kib = Math.floor(Math.min(MAX_CHUNK_SIZE, limit - MAX_HEADER_BYTES) / 1024) * 1024;
  return Math.max(MIN_CHUNK_SIZE, kib);
}

/** Whether a transfer's chunks fit the messages this peer takes now (after a resume on a new connection). */
export function chunksFit(chunkSize: number, maxMessageSize: number | null): boolean {
  return chunkSizeFor(maxMessageSize) >= chunkSize;
}

const TransferId = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{22}$/));
const Index = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(2 ** 32 - 1));

export const TransferFrameSchema = v.variant('t', [
  /** The sender offers a file. */
  v.object({
    t: v.literal('offer'),
    id: TransferId,
    name: v.pipe(v.string(), v.minLength(1), v.maxLength(1000)),
    size: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_FILE_SIZE)),
    type: v.pipe(v.string(), v.maxLength(200)),
    chunkSize: v.pipe(v.number(), v.integer(), v.minValue(MIN_CHUNK_SIZE), v.maxValue(MAX_CHUNK_SIZE), v.multipleOf(1024)),
    /** Chunks checked with SHA-256 (version 2); absent from a sender that knows only version 1. */
    integrity: v.optional(v.literal(2)),
    /**
     * A file sent to this room (one transfer per member): the receiver files it under the room's conversation,
     * and takes it only in that very room. Absent: a file to this person alone.
     */
    room: v.optional(RoomIdSchema),
  }),
  /**
   * The receiver wants the chunks from `from` on (accept, and resume after a break), checked as `integrity`
   * says (absent: version 1, what a receiver that knows only version 1 checks); the sender follows it.
   */
  v.object({ t: v.literal('accept'), id: TransferId, from: Index, integrity: v.optional(v.literal(2)) }),
  v.object({ t: v.literal('decline'), id: TransferId }),
  v.object({ t: v.literal('cancel'), id: TransferId }),
  /** The receiver has stored and verified chunks 0..next-1 (the sender's window moves on). */
  v.object({ t: v.literal('progress'), id: TransferId, next: Index }),
  /** A chunk failed its check: send again from `from`. */
  v.object({ t: v.literal('nack'), id: TransferId, from: Index }),
  /** The sender has sent the last chunk; the file's hash (hex): its SHA-256 (version 1), or that of its chunks' SHA-256 (version 2). */
  v.object({ t: v.literal('end'), id: TransferId, sha256: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)) }),
  /** The receiver's verdict on the whole file. */
  v.object({ t: v.literal('done'), id: TransferId, ok: v.boolean() }),
]);

export type TransferFrame = v.InferOutput<typeof TransferFrameSchema>;

export function parseTransferFrame(text: string): TransferFrame | null {
  return parseJsonFrame(TransferFrameSchema, text);
}

export interface ChunkFrame {
  integrity: Integrity;
  id: string;
  index: number;
  /** The chunk's hash as sent, in hex: 16 digits (xxhash64, version 1) or 64 (SHA-256, version 2). */
  hash: string;
  data: Uint8Array;
}

/**
 * The chunk's frame, of the version its hash says (16 hex digits: 1, 64: 2), written into `into` when given
 * (a buffer of at least the header and the chunk size, reused for every chunk of a transfer:
 * `RTCDataChannel.send` copies what it is given, and a fresh 256 KiB buffer per chunk cost the sender more
 * than the copy), otherwise into a new one. Data already in place (`into` after the header) is not copied again.
 */
export function encodeChunk(id: string, index: number, hashHex: string, data: Uint8Array, into?: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  if (hashHex.length !== 16 && hashHex.length !== 64) throw new Error(`A chunk's hash is 8 or 32 bytes, not ${hashHex.length / 2}.`);
  const integrity: Integrity = hashHex.length === 64 ? 2 : 1;
  const header = headerBytes(integrity);
  const length = header + data.byteLength;
  const frame = into && into.byteLength >= length ? into.subarray(0, length) : new Uint8Array(length);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  frame[0] = integrity;
  frame.set(idToBytes(id), 1);
  view.setUint32(17, index);
  frame.set(hexToBytes(hashHex), 21);
  // The data may have been read into the frame already (the sender reads each chunk there).
  if (data.buffer !== frame.buffer || data.byteOffset !== frame.byteOffset + header) frame.set(data, header);
  return frame;
}

export function decodeChunk(buffer: ArrayBuffer): ChunkFrame | null {
  const bytes = new Uint8Array(buffer);
  const integrity = bytes[0];
  if (integrity !== 1 && integrity !== 2) return null;
  const header = headerBytes(integrity);
  if (buffer.byteLength < header || buffer.byteLength > header + MAX_CHUNK_SIZE) return null;
  const view = new DataView(buffer);
  return {
    integrity,
    id: bytesToId(bytes.subarray(1, 17)),
    index: view.getUint32(17),
    hash: bytesToHex(bytes.subarray(21, header)),
    data: bytes.subarray(header),
  };
}

/** A chunk's SHA-256 (version 2), by the browser's own implementation, in hex. */
export async function chunkDigest(data: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>));
}

function idToBytes(id: string): Uint8Array {
  const binary = atob(id.replace(/-/g, '+').replace(/_/g, '/') + '==');
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function bytesToId(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function hexToBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

export function bytesToHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
