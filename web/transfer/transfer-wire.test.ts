import { describe, expect, it } from 'vitest';
import { chunkSizeFor, chunksFit, decodeChunk, DEFAULT_MESSAGE_SIZE, encodeChunk, MAX_CHUNK_SIZE, parseTransferFrame } from './transfer-wire.js';

const ID = 'AAAAAAAAAAAAAAAAAAAAAA';
const HASH = '0123456789abcdef';
const offer = (chunkSize: number) => JSON.stringify({ t: 'offer', id: ID, name: 'a.bin', size: 10, type: '', chunkSize });

describe('chunk size from the peer’s largest message', () => {
  it('a chunk and its 29-byte header fit one message, in whole KiB, at most 256 KiB', () => {
    // Chromium advertises 256 KiB; Firefox 1 GiB - 1; 0 means no limit; null is a peer that said nothing.
    expect(chunkSizeFor(262_144)).toBe(255 * 1024);
    expect(chunkSizeFor(1_073_741_823)).toBe(MAX_CHUNK_SIZE);
    expect(chunkSizeFor(0)).toBe(MAX_CHUNK_SIZE);
    expect(chunkSizeFor(null)).toBe(63 * 1024);
    expect(chunkSizeFor(DEFAULT_MESSAGE_SIZE)).toBe(63 * 1024);
    expect(chunkSizeFor(1000)).toBe(16 * 1024);
    for (const max of [65_536, 100_000, 262_144]) expect(chunkSizeFor(max) + 29).toBeLessThanOrEqual(max);
  });

  it('a transfer can go on over a connection only while its chunks still fit', () => {
    expect(chunksFit(255 * 1024, 262_144)).toBe(true);
    expect(chunksFit(MAX_CHUNK_SIZE, 262_144)).toBe(false);
    expect(chunksFit(255 * 1024, null)).toBe(false);
    expect(chunksFit(63 * 1024, null)).toBe(true);
  });

  it('offers are checked: a chunk size in whole KiB from 16 KiB to 256 KiB', () => {
    expect(parseTransferFrame(offer(255 * 1024))).not.toBeNull();
    expect(parseTransferFrame(offer(16 * 1024))).not.toBeNull();
    expect(parseTransferFrame(offer(MAX_CHUNK_SIZE + 1024))).toBeNull();
    expect(parseTransferFrame(offer(8 * 1024))).toBeNull();
    expect(parseTransferFrame(offer(65_000))).toBeNull();
  });

  it('a chunk frame larger than the largest chunk is refused, one of that size is read', () => {
    expect(decodeChunk(encodeChunk(ID, 7, HASH, new Uint8Array(MAX_CHUNK_SIZE)).buffer)).toMatchObject({ id: ID, index: 7, hash: HASH });
    expect(decodeChunk(encodeChunk(ID, 7, HASH, new Uint8Array(MAX_CHUNK_SIZE + 1)).buffer)).toBeNull();
  });
});
