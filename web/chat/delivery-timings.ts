/**
 * Benchmarks only: when the page defines `whTimings` (`{ sent: [], received: [] }`), each message sent records
 * when `send` was called, when its own write committed, when the `ack` came and when "Delivered" was known,
 * and each message received records when its write began and committed (before the `ack`), all by
 * `performance.now()`: the app is measured, not the driver, and the time spent storing on each side is seen apart.
 */
export interface SentTiming {
  id: string;
  sent: number;
  stored: number;
  acked: number;
  delivered: number;
}
export interface ReceivedTiming {
  id: string;
  storing: number;
  stored: number;
}
interface BenchTimings {
  sent: SentTiming[];
  received: ReceivedTiming[];
}
/** The page's timings, when it asked for them. */
export const timings = (): BenchTimings | undefined => (globalThis as { whTimings?: BenchTimings }).whTimings;

/** The page's own messages not yet delivered, with what is known of their way so far. */
const sentTimings = new Map<string, SentTiming>();

/** `send` was called for own message `id`. */
export function timeSent(id: string): void {
  if (timings()) sentTimings.set(id, { id, sent: performance.now(), stored: NaN, acked: NaN, delivered: NaN });
}

/** The write of own message `id` committed. */
export function timeStored(id: string): void {
  const timing = sentTimings.get(id);
  if (timing) timing.stored = performance.now();
}

/** The `ack` for these own messages came. */
export function timeAcked(ids: readonly string[]): void {
  if (sentTimings.size === 0) return;
  const acked = performance.now();
  for (const id of ids) {
    const timing = sentTimings.get(id);
    if (timing && Number.isNaN(timing.acked)) timing.acked = acked;
  }
}

/** These own messages were known to be delivered: their timings are complete. */
export function timeDelivered(ids: readonly string[]): void {
  const list = timings()?.sent;
  if (!list) return;
  const delivered = performance.now();
  for (const id of ids) {
    const timing = sentTimings.get(id);
    if (timing === undefined) continue;
    sentTimings.delete(id);
    list.push({ ...timing, delivered });
  }
}
