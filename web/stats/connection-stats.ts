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
  /** During a call: one entry per media stream and direction (sending audio, receiving video...). */
  media: MediaSummary[];
}

export interface MediaSummary {
  /** 'out' for what this device sends, 'in' for what it receives. */
  direction: 'out' | 'in';
  kind: 'audio' | 'video';
  /** The id of the RTP stream's stats, to compute rates between two reports. */
  id: string;
  codec: string | null;
  width: number | null;
  height: number | null;
  framesPerSecond: number | null;
  bytes: number;
  bitrate: number | null;
  packetsLost: number | null;
  /** Lost packets as a share of those expected, percent. */
  lossPercent: number | null;
  jitterMs: number | null;
  rttMs: number | null;
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
    media: summarizeMedia(stats, previous?.media ?? [], typeof rtt === 'number' ? rtt * 1000 : null),
  };
}

/**
 * Sent streams are read from `outbound-rtp` and what the other side reported
 * about them (`remote-inbound-rtp`: loss, jitter, RTT); received ones from
 * `inbound-rtp`. Streams that carried nothing yet are left out.
 */
function summarizeMedia(stats: Map<string, Stat>, previous: MediaSummary[], pairRttMs: number | null): MediaSummary[] {
  const summaries: MediaSummary[] = [];
  const remoteInbound = new Map<string, Stat>();
  for (const stat of stats.values()) if (stat.type === 'remote-inbound-rtp' && typeof stat.localId === 'string') remoteInbound.set(stat.localId, stat);
  for (const stat of stats.values()) {
    if ((stat.type !== 'outbound-rtp' && stat.type !== 'inbound-rtp') || (stat.kind !== 'audio' && stat.kind !== 'video')) continue;
    const out = stat.type === 'outbound-rtp';
    const bytes = Number((out ? stat.bytesSent : stat.bytesReceived) ?? 0);
    if (bytes === 0) continue;
    const before = previous.find((p) => p.id === stat.id);
    const elapsed = before ? (stat.timestamp - before.timestamp) / 1000 : 0;
    const report = out ? remoteInbound.get(stat.id) : stat;
    const lost = num(report?.packetsLost);
    const received = out ? null : num(stat.packetsReceived);
    const fractionLost = out ? num(report?.fractionLost) : null;
    const codec = stats.get(String(stat.codecId));
    const remoteRtt = num(report?.roundTripTime);
    const jitter = num(report?.jitter);
    summaries.push({
      direction: out ? 'out' : 'in',
      kind: stat.kind,
      id: stat.id,
      codec: typeof codec?.mimeType === 'string' ? codec.mimeType.replace(/^(audio|video)\//, '') : null,
      width: num(stat.frameWidth),
      height: num(stat.frameHeight),
      framesPerSecond: num(stat.framesPerSecond),
      bytes,
      bitrate: before && elapsed > 0 ? Math.max(0, ((bytes - before.bytes) * 8) / elapsed) : null,
      packetsLost: lost,
      lossPercent: fractionLost !== null ? fractionLost * 100 : lost !== null && received !== null && lost + received > 0 ? (Math.max(0, lost) / (lost + received)) * 100 : null,
      jitterMs: jitter === null ? null : jitter * 1000,
      rttMs: remoteRtt !== null ? remoteRtt * 1000 : pairRttMs,
      timestamp: stat.timestamp,
    });
  }
  const order = (m: MediaSummary) => (m.direction === 'out' ? 0 : 2) + (m.kind === 'video' ? 0 : 1);
  return summaries.sort((a, b) => order(a) - order(b));
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
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
