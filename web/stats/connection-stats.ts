/**
 * Reads an RTCStatsReport into what a person can understand: whether the path
 * is direct or relayed through TURN, which candidates it uses, round-trip time
 * and traffic. Rates come from the difference between two reports.
 */
export type PathKind = 'direct' | 'relay';

export interface ConnectionSummary {
  path: PathKind | null;
  localCandidateType: string | null;
  remoteCandidateType: string | null;
  protocol: string | null;
  /** Round-trip time of the selected candidate pair, ms. */
  rttMs: number | null;
  bytesSent: number;
  bytesReceived: number;
  /** Bits per second since the previous summary (null on the first). */
  bitrateOut: number | null;
  bitrateIn: number | null;
  timestamp: number;
}

type Stat = Record<string, unknown> & { id: string; type: string; timestamp: number };

export function summarize(report: RTCStatsReport, previous?: ConnectionSummary | null): ConnectionSummary {
  const stats = new Map<string, Stat>();
  report.forEach((stat: Stat) => stats.set(stat.id, stat));
  const pair = selectedPair(stats);
  const local = pair ? stats.get(String(pair.localCandidateId)) : undefined;
  const remote = pair ? stats.get(String(pair.remoteCandidateId)) : undefined;
  const localType = typeof local?.candidateType === 'string' ? local.candidateType : null;
  const remoteType = typeof remote?.candidateType === 'string' ? remote.candidateType : null;
  const bytesSent = Number(pair?.bytesSent ?? 0);
  const bytesReceived = Number(pair?.bytesReceived ?? 0);
  const timestamp = Number(pair?.timestamp ?? performance.now());
  const elapsed = previous ? (timestamp - previous.timestamp) / 1000 : 0;
  const rate = (now: number, before: number | undefined) => (previous && elapsed > 0 && before !== undefined ? Math.max(0, ((now - before) * 8) / elapsed) : null);
  const rtt = pair?.currentRoundTripTime;
  return {
    path: localType === null ? null : localType === 'relay' || remoteType === 'relay' ? 'relay' : 'direct',
    localCandidateType: localType,
    remoteCandidateType: remoteType,
    protocol: typeof local?.protocol === 'string' ? local.protocol : null,
    rttMs: typeof rtt === 'number' ? rtt * 1000 : null,
    bytesSent,
    bytesReceived,
    bitrateOut: rate(bytesSent, previous?.bytesSent),
    bitrateIn: rate(bytesReceived, previous?.bytesReceived),
    timestamp,
  };
}

function selectedPair(stats: Map<string, Stat>): Stat | undefined {
  for (const stat of stats.values()) {
    if (stat.type === 'transport' && typeof stat.selectedCandidatePairId === 'string') {
      const pair = stats.get(stat.selectedCandidatePairId);
      if (pair) return pair;
    }
  }
  for (const stat of stats.values()) {
    if (stat.type === 'candidate-pair' && stat.nominated === true && stat.state === 'succeeded') return stat;
  }
  return undefined;
}

export function formatBitrate(bitsPerSecond: number | null): string {
  if (bitsPerSecond === null) return '—';
  if (bitsPerSecond >= 1e6) return `${(bitsPerSecond / 1e6).toFixed(1)} Mbit/s`;
  if (bitsPerSecond >= 1e3) return `${(bitsPerSecond / 1e3).toFixed(1)} kbit/s`;
  return `${Math.round(bitsPerSecond)} bit/s`;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}
