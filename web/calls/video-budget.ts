/**
 * The video budget per peer, by the number of peers each sender sends to. The total uplink stays
 * about 1.5–1.8 Mbit/s, what a phone keeps on a fair mobile link; each copy gets smaller as more are sent.
 */

/** A video sender's limit: its bitrate, and how much its resolution is scaled down. */
export interface VideoBudget {
  maxBitrate: number;
  scaleResolutionDownBy: number;
}

export const VIDEO_BUDGET: readonly VideoBudget[] = [
  { maxBitrate: 1_500_000, scaleResolutionDownBy: 1 }, // 1 peer: 720p
  { maxBitrate: 900_000, scaleResolutionDownBy: 1.5 }, // 2 peers: 480p each
  { maxBitrate: 600_000, scaleResolutionDownBy: 2 }, // 3 peers: 360p each
];

/** Each copy's budget when sent to that many peers; a shared screen keeps its resolution (text must stay legible) within the same bitrate. */
export function videoBudget(peers: number, screen: boolean): VideoBudget {
  const budget = VIDEO_BUDGET[Math.min(Math.max(peers, 1), VIDEO_BUDGET.length) - 1]!;
  return screen ? { ...budget, scaleResolutionDownBy: 1 } : budget;
}
