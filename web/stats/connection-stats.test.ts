import { describe, expect, it } from 'vitest';
import { formatBitrate, summarize } from './connection-stats.js';

function report(stats: Array<Record<string, unknown>>): RTCStatsReport {
  return new Map(stats.map((stat) => [stat.id as string, stat])) as unknown as RTCStatsReport;
}

const pair = (bytesSent: number, bytesReceived: number, timestamp: number, local = 'L1') => [
  { id: 'T', type: 'transport', timestamp, selectedCandidatePairId: 'P' },
  { id: 'P', type: 'candidate-pair', timestamp, localCandidateId: local, remoteCandidateId: 'R1', currentRoundTripTime: 0.004, bytesSent, bytesReceived },
  { id: 'L1', type: 'local-candidate', timestamp, candidateType: 'host', protocol: 'udp' },
  { id: 'L2', type: 'local-candidate', timestamp, candidateType: 'relay', protocol: 'udp' },
  { id: 'R1', type: 'remote-candidate', timestamp, candidateType: 'srflx' },
];

describe('summarize', () => {
  it('reads the selected pair: direct path, candidate types, protocol and round-trip time', () => {
    const summary = summarize(report(pair(1000, 2000, 1000)));
    expect(summary).toMatchObject({ path: 'direct', localCandidateType: 'host', remoteCandidateType: 'srflx', protocol: 'udp', rttMs: 4, bitrateOut: null });
  });

  it('calls a path through a relay candidate Relay', () => {
    expect(summarize(report(pair(0, 0, 1000, 'L2'))).path).toBe('relay');
  });

  it('computes bitrates from the previous summary', () => {
    const first = summarize(report(pair(1000, 2000, 1000)));
    const second = summarize(report(pair(126_000, 2000, 2000)), first);
    expect(second.bitrateOut).toBe(1_000_000);
    expect(second.bitrateIn).toBe(0);
    expect(formatBitrate(second.bitrateOut)).toBe('1.0 Mbit/s');
  });

  it('says nothing about the path before a pair is selected', () => {
    expect(summarize(report([{ id: 'T', type: 'transport', timestamp: 1 }])).path).toBeNull();
  });
});

describe('summarize, during a call', () => {
  const media = (timestamp: number, sent: number, received: number) => [
    ...pair(0, 0, timestamp),
    { id: 'OV', type: 'outbound-rtp', timestamp, kind: 'video', codecId: 'C1', bytesSent: sent, frameWidth: 640, frameHeight: 480, framesPerSecond: 30 },
    { id: 'RIV', type: 'remote-inbound-rtp', timestamp, kind: 'video', localId: 'OV', packetsLost: 3, fractionLost: 0.02, jitter: 0.005, roundTripTime: 0.012 },
    { id: 'IA', type: 'inbound-rtp', timestamp, kind: 'audio', codecId: 'C2', bytesReceived: received, packetsReceived: 990, packetsLost: 10, jitter: 0.002 },
    { id: 'IV', type: 'inbound-rtp', timestamp, kind: 'video', codecId: 'C1', bytesReceived: 0 },
    { id: 'C1', type: 'codec', timestamp, mimeType: 'video/VP8' },
    { id: 'C2', type: 'codec', timestamp, mimeType: 'audio/opus' },
  ];

  it('reads each direction: codec, resolution, frame rate, loss, jitter and round-trip time', () => {
    const [sending, receiving, ...rest] = summarize(report(media(1000, 5000, 800))).media;
    expect(rest).toEqual([]); // the received video carried nothing yet
    expect(sending).toMatchObject({ direction: 'out', kind: 'video', codec: 'VP8', width: 640, height: 480, framesPerSecond: 30, packetsLost: 3, lossPercent: 2, jitterMs: 5, rttMs: 12 });
    expect(receiving).toMatchObject({ direction: 'in', kind: 'audio', codec: 'opus', width: null, packetsLost: 10, lossPercent: 1, jitterMs: 2, rttMs: 4 });
  });

  it('computes each stream’s bitrate from the previous summary', () => {
    const first = summarize(report(media(1000, 5000, 800)));
    const second = summarize(report(media(2000, 130_000, 4800)), first);
    expect(second.media.map((m) => m.bitrate)).toEqual([1_000_000, 32_000]);
  });
});
