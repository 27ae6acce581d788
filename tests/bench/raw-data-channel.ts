/**
 * The baselines of the browser benchmarks: a raw data channel between two pages (of any browser), on a peer
 * connection of its own with no server (the offer and answer are handed over by the benchmark), and what is
 * measured on it: a blast of bytes (no storage, no hashing) and a round trip (the other page echoes).
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

/** Connects the two pages by a raw data channel (`sender` offers), open on both sides when it resolves. */
export async function connectRawChannel(sender: Evaluator, receiver: Evaluator): Promise<void> {
  await sender.evaluate(`(${RAW_PEER})('offer')`);
  await receiver.evaluate(`(${RAW_PEER})('answer')`);
  const offer = await sender.evaluate(`(${GATHERED})()`);
  await receiver.evaluate(`(${ANSWER})(${JSON.stringify(offer)})`);
  const answer = await receiver.evaluate(`(${GATHERED})()`);
  await sender.evaluate(`(${ACCEPT_ANSWER})(${JSON.stringify(answer)})`);
  await Promise.all([sender.evaluate(`(${OPEN})()`), receiver.evaluate(`(${OPEN})()`)]);
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
