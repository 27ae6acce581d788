/**
 * Reads a file's chunks in order, from any chunk on, through one stream of the
 * file, straight into a buffer the caller gives. A Blob's stream read with a
 * BYOB reader is the cheapest way to read it in Chromium: measured on a
 * 256 MiB file, 3 ms of CPU per MiB, against 6–12 with the stream's default
 * reader and 18 for `slice().arrayBuffer()` in 1 MiB blocks (the browser
 * process copies each slice into a new buffer). Where a Blob's stream has no
 * BYOB reader, its pieces are copied in. Going back (a nack, a resume) opens a
 * new stream at that chunk.
 */
export class ChunkReader {
  readonly #file: Blob;
  readonly #chunkSize: number;
  #reader: ReadableStreamBYOBReader | ReadableStreamDefaultReader<Uint8Array> | null = null;
  #byob = false;
  /** The chunk the stream gives next, and (default reader) what it gave beyond the last chunk read. */
  #next = 0;
  #left: Uint8Array | null = null;

  constructor(file: Blob, chunkSize: number) {
    this.#file = file;
    this.#chunkSize = chunkSize;
  }

  /**
   * Chunk `index`, written at the start of `into` (at least a chunk long). Returns the bytes written, as a
   * view of the same length at the same offset, whose buffer replaces `into`'s: a BYOB read transfers the
   * buffer it fills, so `into`'s own buffer may be detached afterwards.
   */
  async read(index: number, into: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
    const start = index * this.#chunkSize;
    const length = Math.max(0, Math.min(this.#chunkSize, this.#file.size - start));
    if (!this.#reader || index !== this.#next) this.#open(index);
    const reader = this.#reader!;
    const byob = this.#byob;
    // Read before the first read detaches it: a detached view's offset reads 0.
    const offset = into.byteOffset;
    let buffer = into.buffer;
    let filled = 0;
    while (filled < length) {
      if (byob) {
        const { done, value } = await (reader as ReadableStreamBYOBReader).read(new Uint8Array(buffer, offset + filled, length - filled));
        if (done || !value) throw changed();
        buffer = value.buffer;
        filled += value.byteLength;
        continue;
      }
      let piece = this.#left;
      this.#left = null;
      if (!piece) {
        const { done, value } = await (reader as ReadableStreamDefaultReader<Uint8Array>).read();
        if (done) throw changed();
        piece = value;
      }
      const take = Math.min(piece.byteLength, length - filled);
      new Uint8Array(buffer, offset + filled, take).set(take === piece.byteLength ? piece : piece.subarray(0, take));
      filled += take;
      if (take < piece.byteLength) this.#left = piece.subarray(take);
    }
    this.#next = index + 1;
    return new Uint8Array(buffer, offset, length);
  }

  close(): void {
    void this.#reader?.cancel().catch(() => undefined);
    this.#reader = null;
    this.#left = null;
  }

  #open(index: number): void {
    this.close();
    const stream = this.#file.slice(index * this.#chunkSize).stream();
    try {
      this.#reader = stream.getReader({ mode: 'byob' });
      this.#byob = true;
    } catch {
      // Not a byte stream in this browser: its pieces are copied in.
      this.#reader = stream.getReader();
      this.#byob = false;
    }
    this.#next = index;
  }
}

const changed = (): Error => new Error('The file ended before its size: it changed since it was picked.');
