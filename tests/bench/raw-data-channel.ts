/**
 * The baselines of the browser benchmarks: a raw data channel between two pages (of any browser), on a peer
 * connection of its own with no server (the offer and answer are handed over by the benchmark), and what is
 * measured on it: a blast of bytes (no storage, no hashing) and a round trip (the other page echoes). And a
 * raw call: the same kind of connection carrying each page's camera and microphone to the other.
 */

/** What the baseline needs of a page, in either browser: evaluating source text. */
export interface Evaluator {
  evaluate(source: string): Promise<unknown>;
}

// In-page code is kept as source text (tsx would add helpers that do not exist in the page).
const RAW_PEER = `async (role) => {
  const pc = new RTCPeerConnection();
  window.__pc = pc;
  const channel = pc.createDataChannel('raw', { negotiated: true, id: 0 });
  channel.binaryType = 'arraybuffer';
  window.__channel = channel;
  if (role === 'offer') await pc.setLocalDescription(await pc.createOffer());
  return null;
}`;
const GATHERED = `async () => {
  const pc = window.__pc;
  if (pc.iceGatheringState !== 'complete') await new Promise((r) => pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && r()));
  return pc.localDescription.toJSON();
}`;
const ANSWER = `async (offer) => {
  const pc = window.__pc;
  await pc.setRemoteDescription(offer);
  await pc.setLocalDescription(await pc.createAnswer());
  return null;
}`;
const ACCEPT_ANSWER = `async (answer) => { await window.__pc.setRemoteDescription(answer); return null; }`;
const OPEN = `async () => {
  const channel = window.__channel;
  if (channel.readyState !== 'open') await new Promise((r) => channel.addEventListener('open', r, { once: true }));
  return null;
}`;
const RECEIVE = `(total) => new Promise((resolve) => {
  const channel = window.__channel;
  let received = 0, started = 0;
  channel.onmessage = (event) => {
    if (!started) started = performance.now();
    received += event.data.byteLength;
    if (received >= total) resolve(performance.now() - started);
  };
})`;
const BLAST = `async (total) => {
  const channel = window.__channel;
  const chunk = new Uint8Array(Math.min(256 * 1024, window.__pc.sctp?.maxMessageSize || 64 * 1024));
  // getRandomValues fills at most 64 KiB at a time.
  for (let i = 0; i < chunk.byteLength; i += 65536) crypto.getRandomValues(chunk.subarray(i, i + 65536));
  channel.bufferedAmountLowThreshold = 1024 * 1024;
  for (let sent = 0; sent < total; sent += chunk.byteLength) {
    if (channel.bufferedAmount > 4 * 1024 * 1024) await new Promise((r) => channel.addEventListener('bufferedamountlow', r, { once: true }));
    channel.send(chunk);
  }
  return null;
}`;
const ECHO = `() => { const channel = window.__channel; channel.onmessage = (event) => channel.send(event.data); return null; }`;
const ROUND_TRIP = `(text) => new Promise((resolve) => {
  const channel = window.__channel;
  channel.onmessage = () => resolve(performance.now() - started);
  const started = performance.now();
  channel.send(text);
})`;

/** The offer and answer handed over once each side has gathered its candidates (no trickling, no server). */
async function negotiate(offerer: Evaluator, answerer: Evaluator): Promise<void> {
  const offer = await offerer.evaluate(`(${GATHERED})()`);
  await answerer.evaluate(`(${ANSWER})(${JSON.stringify(offer)})`);
  const answer = await answerer.evaluate(`(${GATHERED})()`);
  await offerer.evaluate(`(${ACCEPT_ANSWER})(${JSON.stringify(answer)})`);
}

/** Connects the two pages by a raw data channel (`sender` offers), open on both sides when it resolves. */
export async function connectRawChannel(sender: Evaluator, receiver: Evaluator): Promise<void> {
  await sender.evaluate(`(${RAW_PEER})('offer')`);
  await receiver.evaluate(`(${RAW_PEER})('answer')`);
  await negotiate(sender, receiver);
  await Promise.all([sender.evaluate(`(${OPEN})()`), receiver.evaluate(`(${OPEN})()`)]);
}

/**
 * A raw call's side: its camera and microphone (`constraints`, as the app asks) on a peer connection of its own,
 * kept in `whPeerConnections` for the readings of network-peer-stats.ts, and the other side's video playing.
 */
const RAW_CALL_PEER = `async (role, constraints) => {
  const pc = new RTCPeerConnection();
  window.__pc = pc;
  (window.whPeerConnections ??= new Set()).add(pc);
  const stream = await navigator.mediaDevices.getUserMedia(constraints);
  window.__stream = stream;
  for (const track of stream.getTracks()) pc.addTrack(track, stream);
  const video = document.createElement('video');
  video.muted = true;
  video.autoplay = true;
  document.body.append(video);
  window.__video = video;
  pc.ontrack = (event) => { video.srcObject = event.streams[0]; };
  if (role === 'offer') await pc.setLocalDescription(await pc.createOffer());
  return null;
}`;
const FIRST_FRAME = `() => new Promise((resolve) => {
  const video = window.__video;
  const check = () => (video.videoWidth > 0 && video.getVideoPlaybackQuality().totalVideoFrames > 0 ? resolve(null) : setTimeout(check, 10));
  check();
})`;
const END_CALL = `() => { for (const track of window.__stream.getTracks()) track.stop(); window.__pc.close(); window.__video.remove(); return null; }`;

/** A raw call between the two pages, each sending its camera and microphone: resolves once both play the other's video. */
export async function connectRawCall(caller: Evaluator, callee: Evaluator, constraints: MediaStreamConstraints): Promise<void> {
  await caller.evaluate(`(${RAW_CALL_PEER})('offer', ${JSON.stringify(constraints)})`);
  await callee.evaluate(`(${RAW_CALL_PEER})('answer', ${JSON.stringify(constraints)})`);
  await negotiate(caller, callee);
  await Promise.all([caller.evaluate(`(${FIRST_FRAME})()`), callee.evaluate(`(${FIRST_FRAME})()`)]);
}

/** Ends the page's side of a raw call: its camera and microphone stop, its connection closes. */
export async function endRawCall(page: Evaluator): Promise<void> {
  await page.evaluate(`(${END_CALL})()`);
}

/**
 * Sends `bytes` over the connected channel, in messages as large as the peer takes
 * (`RTCSctpTransport.maxMessageSize`, at most 256 KiB), with bufferedAmount flow control; resolves with the
 * seconds from the first message received to the last.
 */
export async function blast(sender: Evaluator, receiver: Evaluator, bytes: number): Promise<number> {
  const received = receiver.evaluate(`(${RECEIVE})(${bytes})`) as Promise<number>;
  await sender.evaluate(`(${BLAST})(${bytes})`);
  return (await received) / 1000;
}

/** From now on, `page` sends back every message its raw channel receives. */
export async function echo(page: Evaluator): Promise<void> {
  await page.evaluate(`(${ECHO})()`);
}

/** One round trip of `text` over the connected channel to a page that echoes: ms, on the sender's clock. */
export function roundTrip(sender: Evaluator, text: string): Promise<number> {
  return sender.evaluate(`(${ROUND_TRIP})(${JSON.stringify(text)})`) as Promise<number>;
}
