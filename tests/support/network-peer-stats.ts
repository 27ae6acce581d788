/**
 * What a page's WebRTC connections did on the network, read with getStats in the page, for the tests that cut
 * the network (tests/e2e/network.ts) and the benchmarks that run under loss or a cap. Kept as source text: the
 * benchmarks run under tsx, which would add helpers to a function that do not exist in the page.
 */

/**
 * An init script: the page keeps every RTCPeerConnection it describes (`whPeerConnections`), which every
 * connection does at least once, and every connection state they went through since (`whConnectionStates`);
 * nothing about them changes. A page that makes its own (a benchmark's raw call) adds them itself.
 */
export const KEEP_PEER_CONNECTIONS = `(() => {
  const kept = new Set();
  const states = [];
  window.whPeerConnections = kept;
  window.whConnectionStates = states;
  const setLocalDescription = RTCPeerConnection.prototype.setLocalDescription;
  RTCPeerConnection.prototype.setLocalDescription = function (...args) {
    if (!kept.has(this)) {
      kept.add(this);
      this.addEventListener('connectionstatechange', () => states.push(this.connectionState));
    }
    return setLocalDescription.apply(this, args);
  };
})()`;

/** An expression that evaluates to every state the page's connections went through, in order. */
export const CONNECTION_STATE_HISTORY = `[...(window.whConnectionStates ?? [])]`;

/** What the page's connections that are not closed received, summed over their inbound RTP streams. */
export interface ReceivedMedia {
  /** Audio and video payload bytes. */
  bytesReceived: number;
  packetsReceived: number;
  packetsLost: number;
  framesDecoded: number;
  /** Chromium's count of video freezes: a frame that came much later than the ones before it. */
  freezeCount: number;
  /** Seconds. */
  totalFreezesDuration: number;
}

/** An expression that evaluates, in a page with KEEP_PEER_CONNECTIONS, to its ReceivedMedia. */
export const RECEIVED_MEDIA = `(async () => {
  const sum = { bytesReceived: 0, packetsReceived: 0, packetsLost: 0, framesDecoded: 0, freezeCount: 0, totalFreezesDuration: 0 };
  for (const pc of window.whPeerConnections ?? []) {
    if (pc.connectionState === 'closed') continue;
    (await pc.getStats()).forEach((report) => {
      if (report.type !== 'inbound-rtp') return;
      for (const key of Object.keys(sum)) sum[key] += report[key] ?? 0;
    });
  }
  return sum;
})()`;

/** An expression that evaluates to the states of the page's connections that are not closed. */
export const CONNECTION_STATES = `[...(window.whPeerConnections ?? [])].map((pc) => pc.connectionState).filter((state) => state !== 'closed')`;
