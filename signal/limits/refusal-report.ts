/**
 * Counts each refusal by reason, and logs it with the address as a keyed tag
 * (never the address itself), a few a second at most: a flood must not
 * become a flood of log lines.
 */
import type { Logger } from 'pino';
import { TokenBucket } from '../handlers/token-bucket.js';
import { addressTag } from '../log.js';
import type { RefusalReason, SignalMetrics } from '../ops/metrics.js';

const LOG_LINES_PER_SECOND = 5;

export type ReportRefusal = (reason: RefusalReason, address: string) => void;

export function refusalReporter(metrics: SignalMetrics, log: Logger): ReportRefusal {
  const lines = new TokenBucket(LOG_LINES_PER_SECOND * 2, LOG_LINES_PER_SECOND);
  let unlogged = 0;
  return (reason, address) => {
    metrics.refusals.inc({ reason });
    if (!lines.take()) {
      unlogged++;
      return;
    }
    log.warn({ reason, address: addressTag(address), ...(unlogged > 0 ? { unlogged } : {}) }, 'refused by the per-address limits');
    unlogged = 0;
  };
}
