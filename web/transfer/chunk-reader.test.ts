import { describe, expect, it } from 'vitest';
import { ChunkReader } from './chunk-reader.js';

const CHUNK = 1000;
/** 10.5 chunks of bytes whose value says where they are. */
const bytes = Uint8Array.from({ length: 10 * CHUNK + 500 }, (_, i) => (i * 7) % 251);
const expected = (index: number) => bytes.subarray(index * CHUNK, Math.min(bytes.length, (index + 1) * CHUNK));
/** A Blob that streams in pieces of awkward sizes, as a browser's may. */
const file = new Blob([bytes.subarray(0, 333), bytes.subarray(333, 4100), bytes.subarray(4100)]);

describe('ChunkReader', () => {
  it('reads chunks in order, the last one short, into the buffer given', async () => {
    const reader = new ChunkReader(file, CHUNK);
    const into = new Uint8Array(CHUNK);
    for (let index = 0; index <= 10; index++) {
      const chunk = await reader.read(index, into);
      expect(chunk.buffer).toBe(into.buffer);
      expect([...chunk]).toEqual([...expected(index)]);
    }
  });

  it('goes back (a nack) and jumps ahead (a resume) by opening the stream again at that chunk', async () => {
    const reader = new ChunkReader(file, CHUNK);
    const into = new Uint8Array(CHUNK);
    for (const index of [0, 1, 2, 1, 2, 3, 8, 9, 10, 0]) expect([...(await reader.read(index, into))]).toEqual([...expected(index)]);
  });

  it('a file that is shorter than its size said (changed since it was picked) fails the read, in words', async () => {
    const reader = new ChunkReader(file, CHUNK);
    /** Says it is the whole file, but has only its first 4 chunks. */
    class Shrunk extends Blob {
      override get size(): number {
        return file.size;
      }
      override slice(start?: number): Blob {
        return file.slice(start, 4 * CHUNK);
      }
    }
    const short = new ChunkReader(new Shrunk([]), CHUNK);
    await expect(reader.read(3, new Uint8Array(CHUNK))).resolves.toHaveLength(CHUNK);
    await expect(short.read(5, new Uint8Array(CHUNK))).rejects.toThrow(/changed since it was picked/);
  });
});
