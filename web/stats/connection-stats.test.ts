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
