/** How fast each transfer moves, from the chunks stored over time (both sides measure it as progress comes). */
import type { StoredTransfer } from '../storage/database.js';

export interface TransferProgress {
  /** Bytes per second, smoothed; null until measured. */
  speed: number | null;
  /** Seconds left at that speed; null until measured. */
  eta: number | null;
}

export class TransferSpeed {
  readonly #speed = new Map<string, { at: number; next: number; rate: number | null }>();

  /** Chunks 0..next-1 are stored now. */
  measure(transfer: StoredTransfer, next: number): void {
    const now = performance.now();
    const last = this.#speed.get(transfer.id);
    if (!last || next < last.next) {
      this.#speed.set(transfer.id, { at: now, next, rate: null });
      return;
    }
    const seconds = (now - last.at) / 1000;
    if (seconds < 0.25) return;
    const sample = ((next - last.next) * transfer.chunkSize) / seconds;
    this.#speed.set(transfer.id, { at: now, next, rate: last.rate === null ? sample : last.rate * 0.6 + sample * 0.4 });
  }

  progress(transfer: StoredTransfer | undefined): TransferProgress {
    const rate = transfer ? (this.#speed.get(transfer.id)?.rate ?? null) : null;
    if (!transfer || rate === null || rate <= 0) return { speed: null, eta: null };
    const left = Math.max(0, transfer.size - transfer.next * transfer.chunkSize);
    return { speed: rate, eta: left / rate };
  }
}
