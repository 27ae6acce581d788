/**
 * The signals a process holds for its peers who cannot take them now: away within their grace period, or
 * waiting for the process they resumed from to hand over what waited for them there. What is held is
 * bounded in count and bytes per peer, and in bytes for the whole process, and every byte is given back
 * once its signal is delivered, handed over or dropped.
 */
import type { Frame } from './client-link.js';

/** What one peer has held for it. */
export interface HeldSignals {
  /** Signals that arrived while the peer was away, delivered in order on resume. */
  pending: Frame[];
  /** The bytes of the frames in `pending` and `handover.fresh`, counted against the caps on what is held. */
  pendingBytes: number;
  /**
   * Set while the process this session was resumed from hands over the signals
   * that waited for it there: signals arriving meanwhile wait behind those.
   */
  handover: { fresh: Frame[]; timer: ReturnType<typeof setTimeout> } | null;
}

export interface PendingSignalLimits {
  /** How many signals are kept for one peer. */
  perPeer: number;
  /** How many bytes of signals are kept for one peer (default: no cap beyond `perPeer`). */
  bytesPerPeer?: number | undefined;
  /** How many bytes of signals are kept for all the peers together (default: no cap). */
  bytes?: number | undefined;
  /** A signal was refused because the process holds as many bytes as it may. */
  onFull?: (() => void) | undefined;
  /** How long a handover is awaited before the signals behind it are delivered without it. */
  handoverTimeoutMs: number;
}

export class PendingSignals {
  readonly #limits: PendingSignalLimits;
  #bytes = 0;

  constructor(limits: PendingSignalLimits) {
    this.#limits = limits;
  }

  /** Bytes of the signals held for every peer. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Holds `frame` for `peer`, behind the handover it awaits if any; false when a cap refuses it. */
  hold(peer: HeldSignals, frame: Frame): boolean {
    const queue = peer.handover ? peer.handover.fresh : peer.pending;
    const bytes = typeof frame === 'string' ? Buffer.byteLength(frame) : frame.byteLength;
    if (queue.length >= this.#limits.perPeer || peer.pendingBytes + bytes > (this.#limits.bytesPerPeer ?? Infinity)) return false;
    // Away sessions are cheap to make (a join, then a dropped socket): what they hold must be bounded in all.
    if (this.#bytes + bytes > (this.#limits.bytes ?? Infinity)) {
      this.#limits.onFull?.();
      return false;
    }
    // A frame's bytes may be a view into a larger buffer: keep a copy of its own.
    queue.push(typeof frame === 'string' ? frame : new Uint8Array(frame));
    peer.pendingBytes += bytes;
    this.#bytes += bytes;
    return true;
  }

  /** Takes out the signals that waited for `peer` while it was away, and gives their bytes back. */
  take(peer: HeldSignals): Frame[] {
    const pending = peer.pending;
    peer.pending = [];
    this.#release(peer);
    return pending;
  }

  /** Holds what arrives for `peer` until `handover` brings what waited elsewhere, or the wait ends (`onTimeout`). */
  awaitHandover(peer: HeldSignals, onTimeout: () => void): void {
    const timer = setTimeout(onTimeout, this.#limits.handoverTimeoutMs);
    timer.unref?.();
    peer.handover = { fresh: [], timer };
  }

  /** Ends the wait for a handover: what arrived meanwhile, to deliver (or hold again) after the frames handed over. */
  endHandover(peer: HeldSignals): Frame[] {
    const fresh = peer.handover?.fresh ?? [];
    if (peer.handover) {
      clearTimeout(peer.handover.timer);
      // While a handover is awaited every frame waits in `fresh`: they are delivered now, or held (and counted) again.
      this.#release(peer);
    }
    peer.handover = null;
    return fresh;
  }

  /** Everything held for `peer`, in order, taken out and given back: it left, or moved to another process. */
  drop(peer: HeldSignals): Frame[] {
    const frames = [...peer.pending, ...(peer.handover?.fresh ?? [])];
    this.stop(peer);
    peer.pending = [];
    peer.handover = null;
    this.#release(peer);
    return frames;
  }

  /** Stops the wait for a handover (server shutdown). */
  stop(peer: HeldSignals): void {
    if (peer.handover) clearTimeout(peer.handover.timer);
  }

  #release(peer: HeldSignals): void {
    this.#bytes -= peer.pendingBytes;
    peer.pendingBytes = 0;
  }
}
