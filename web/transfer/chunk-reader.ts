/**
 * Reads a file's chunks in order, from any chunk on, through one stream of the
 * file, into a buffer the caller gives. A Blob's stream is the cheapest way
 * to read it in Chromium: measured on a 256 MiB file, 6.5 ms of CPU per MiB
 * against 18 for `slice().arrayBuffer()` in 1 MiB blocks (the browser process
 * copies each slice into a new buffer). Going back (a nack, a resume) opens a
 * new stream at that chunk.
 */
export class ChunkReader {
  readonly #file: Blob;
  readonly #chunkSize: number;
  #reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  /** The chunk the stream gives next, and what it gave beyond the last chunk read. */
  #next = 0;
  #left: Uint8Array | null = null;

  constructor(file: Blob, chunkSize: number) {
    this.#file = file;
    this.#chunkSize = chunkSize;
  }

  /** Chunk `index`, written at the start of `into` (at least a chunk long); returns the part written. */
  async read(index: number, into: Uint8Array): Promise<Uint8Array> {
    const start = index * this.#chunkSize;
    const length = Math.max(0, Math.min(this.#chunkSize, this.#file.size - start));
    if (!this.#reader || index !== this.#next) this.#open(index);
    let filled = 0;
    while (filled < length) {
      let piece = this.#left;
      this.#left = null;
      if (!piece) {
        const { done, value } = await this.#reader!.read();
        if (done) throw new Error('The file ended before its size: it changed since it was picked.');
        piece = value;
      }
      const take = Math.min(piece.byteLength, length - filled);
      into.set(take === piece.byteLength ? piece : piece.subarray(0, take), filled);
      filled += take;
      if (take < piece.byteLength) this.#left = piece.subarray(take);
    }
    this.#next = index + 1;
    return into.subarray(0, length);
  }

  close(): void {
    void this.#reader?.cancel().catch(() => undefined);
    this.#reader = null;
    this.#left = null;
  }

  #open(index: number): void {
    this.close();
    this.#reader = this.#file.slice(index * this.#chunkSize).stream().getReader();
    this.#next = index;
  }
}
