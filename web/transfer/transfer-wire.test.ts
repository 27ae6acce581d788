import { describe, expect, it } from 'vitest';
import { chunkSizeFor, chunksFit, decodeChunk, DEFAULT_MESSAGE_SIZE, encodeChunk, headerBytes, MAX_CHUNK_SIZE, parseTransferFrame } from './transfer-wire.js';

const ID = 'AAAAAAAAAAAAAAAAAAAAAA';
const HASH = '0123456789abcdef';
const SHA = 'ab'.repeat(32);
const offer = (chunkSize: number) => JSON.stringify({ t: 'offer', id: ID, name: 'a.bin', size: 10, type: '', chunkSize });

describe('chunk size from the peer’s largest message', () => {
  it('a chunk and its header (53 bytes with a SHA-256, 29 with an xxhash64) fit one message, in whole KiB, at most 256 KiB', () => {
    // Chromium advertises 256 KiB; Firefox 1 GiB - 1; 0 means no limit; null is a peer that said nothing.
    expect(chunkSizeFor(262_144)).toBe(255 * 1024);
    expect(chunkSizeFor(1_073_741_823)).toBe(MAX_CHUNK_SIZE);
    expect(chunkSizeFor(0)).toBe(MAX_CHUNK_SIZE);
    expect(chunkSizeFor(null)).toBe(63 * 1024);
    expect(chunkSizeFor(DEFAULT_MESSAGE_SIZE)).toBe(63 * 1024);
    expect(chunkSizeFor(1000)).toBe(16 * 1024);
    for (const max of [65_536, 65_536 + 1024 + 40, 100_000, 262_144]) expect(chunkSizeFor(max) + headerBytes(2)).toBeLessThanOrEqual(max);
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

  it('a file to the room names a valid room id; anything else in its place is refused', () => {
    const withRoom = (room: unknown) => JSON.stringify({ ...JSON.parse(offer(63 * 1024)), room });
    expect(parseTransferFrame(withRoom('Zm9vYmFyYmF6cXV4MTIzNA'))).toMatchObject({ t: 'offer', room: 'Zm9vYmFyYmF6cXV4MTIzNA' });
    expect(parseTransferFrame(offer(63 * 1024))).not.toHaveProperty('room');
    for (const room of ['short', 'Zm9vYmFyYmF6cXV4MTIz/A', '', true, 42, null]) expect(parseTransferFrame(withRoom(room))).toBeNull();
  });

  it('a chunk frame larger than the largest chunk is refused, one of that size is read, in either version', () => {
    expect(decodeChunk(encodeChunk(ID, 7, HASH, new Uint8Array(MAX_CHUNK_SIZE)).buffer)).toMatchObject({ integrity: 1, id: ID, index: 7, hash: HASH });
    expect(decodeChunk(encodeChunk(ID, 7, HASH, new Uint8Array(MAX_CHUNK_SIZE + 1)).buffer)).toBeNull();
    expect(decodeChunk(encodeChunk(ID, 7, SHA, new Uint8Array(MAX_CHUNK_SIZE)).buffer)).toMatchObject({ integrity: 2, id: ID, index: 7, hash: SHA });
    expect(decodeChunk(encodeChunk(ID, 7, SHA, new Uint8Array(MAX_CHUNK_SIZE + 1)).buffer)).toBeNull();
  });
});

describe('integrity versions', () => {
  it('a version 2 chunk frame: 53-byte header (SHA-256), data after it, read back whole', () => {
    const data = Uint8Array.from({ length: 3000 }, (_, i) => i % 256);
    const frame = encodeChunk(ID, 1, SHA, data);
    expect(frame.byteLength).toBe(53 + 3000);
    expect(frame[0]).toBe(2);
    const read = decodeChunk(frame.buffer)!;
    expect(read.integrity).toBe(2);
    expect([...read.data]).toEqual([...data]);
  });

  it('a frame of an unknown version, or shorter than its header, is refused; so is a hash of another length', () => {
    const frame = encodeChunk(ID, 1, SHA, new Uint8Array(10));
    frame[0] = 3;
    expect(decodeChunk(frame.buffer)).toBeNull();
    expect(decodeChunk(encodeChunk(ID, 1, SHA, new Uint8Array(0)).buffer.slice(0, 40))).toBeNull();
    expect(decodeChunk(new ArrayBuffer(0))).toBeNull();
    expect(() => encodeChunk(ID, 1, 'abcd', new Uint8Array(1))).toThrow();
  });

  it('offers and accepts say version 2, or nothing (version 1); any other value is refused', () => {
    const withIntegrity = (frame: object, integrity: unknown) => parseTransferFrame(JSON.stringify({ ...frame, integrity }));
    const accept = { t: 'accept', id: ID, from: 0 };
    expect(withIntegrity(JSON.parse(offer(16 * 1024)), 2)).toMatchObject({ integrity: 2 });
    expect(parseTransferFrame(offer(16 * 1024))).not.toHaveProperty('integrity');
    expect(withIntegrity(accept, 2)).toMatchObject({ integrity: 2 });
    expect(parseTransferFrame(JSON.stringify(accept))).not.toHaveProperty('integrity');
    for (const bad of [1, 3, '2', null]) {
      expect(withIntegrity(JSON.parse(offer(16 * 1024)), bad)).toBeNull();
      expect(withIntegrity(accept, bad)).toBeNull();
    }
  });
});
