import { describe, expect, it } from 'vitest';
import { ChunkReader } from './chunk-reader.js';

const CHUNK = 1000;
/** 10.5 chunks of bytes whose value says where they are. */
const bytes = Uint8Array.from({ length: 10 * CHUNK + 500 }, (_, i) => (i * 7) % 251);
const expected = (index: number) => [...bytes.subarray(index * CHUNK, Math.min(bytes.length, (index + 1) * CHUNK))];
const parts = [bytes.subarray(0, 333), bytes.subarray(333, 4100), bytes.subarray(4100)];

/** A Blob whose stream is not a byte stream (no BYOB reader), as in a browser that has none: its pieces are copied. */
class PiecewiseBlob extends Blob {
  override stream(): ReadableStream<Uint8Array<ArrayBuffer>> {
    return super.stream().pipeThrough(new TransformStream<Uint8Array<ArrayBuffer>, Uint8Array<ArrayBuffer>>());
  }
  override slice(start?: number, end?: number): Blob {
    return new PiecewiseBlob([super.slice(start, end)]);
  }
}

for (const [kind, file] of [
  ['a byte stream (BYOB reads)', new Blob(parts)],
  ['a stream of pieces', new PiecewiseBlob(parts)],
] as const) {
  describe(`ChunkReader, ${kind}`, () => {
    it('reads chunks in order, the last one short, into the frame given (after its header)', async () => {
      const reader = new ChunkReader(file, CHUNK);
      let frame = new Uint8Array(8 + CHUNK);
      for (let index = 0; index <= 10; index++) {
        const chunk = await reader.read(index, frame.subarray(8));
        expect(chunk.byteOffset).toBe(8);
        expect([...chunk]).toEqual(expected(index));
        // The frame to use from now on: a BYOB read hands the filled buffer back as a new one.
        frame = new Uint8Array(chunk.buffer);
        expect(frame.byteLength).toBe(8 + CHUNK);
      }
    });

    it('goes back (a nack) and jumps ahead (a resume) by opening the stream again at that chunk', async () => {
      const reader = new ChunkReader(file, CHUNK);
      let into = new Uint8Array(CHUNK);
      for (const index of [0, 1, 2, 1, 2, 3, 8, 9, 10, 0]) {
        const chunk = await reader.read(index, into);
        expect([...chunk]).toEqual(expected(index));
        into = new Uint8Array(chunk.buffer);
      }
    });

    it('a file shorter than its size said (changed since it was picked) fails the read, in words', async () => {
      /** Says it is the whole file, but has only its first 4 chunks. */
      class Shrunk extends (file instanceof PiecewiseBlob ? PiecewiseBlob : Blob) {
        override get size(): number {
          return file.size;
        }
        override slice(start?: number): Blob {
          return file.slice(start, 4 * CHUNK);
        }
      }
      const short = new ChunkReader(new Shrunk([]), CHUNK);
      await expect(short.read(3, new Uint8Array(CHUNK))).resolves.toHaveLength(CHUNK);
      await expect(short.read(5, new Uint8Array(CHUNK))).rejects.toThrow(/changed since it was picked/);
    });
  });
}
