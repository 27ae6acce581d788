/**
 * npm run bench:call — how fast a call starts, through the real UI, the real
 * signal server and the chat's peer connection, on loopback with Chromium's
 * fake camera and microphone, against the same work done bare on a raw peer
 * connection between the same two pages.
 *
 * Both sides start from a connection that is already up, as a call in the app
 * does (it rides on the chat's connection):
 *  - Whisper: Alice presses "Video call"; Bob's page presses "Accept" the
 *    moment it rings. The app opens Alice's camera and microphone, sends the
 *    invite over the chat's data channel, Bob's opens his on "Accept" and puts
 *    them in the connection's transceivers, Alice's hers on "call-accept".
 *  - Raw: a peer connection of its own between the same two pages (no server,
 *    no app, no ringing, no screen), which does the same steps by hand: Alice
 *    opens her camera and microphone (with the app's constraints) and sends
 *    "invite" over its data channel,
 *    Bob's page at once opens his, puts them in the transceivers and sends
 *    "accept", Alice's page puts hers in.
 * The first call on each connection adds the audio and video transceivers (the
 * callee adds them, which renegotiates the connection; the caller fills them
 * before answering, as the app does); later calls only replace the tracks.
 * The first call of each is reported apart (one sample each); then BENCH_CALLS
 * rounds (20), each one Whisper call and one raw call, raw first in odd rounds
 * and Whisper first in even ones, so that the machine's drift weighs on both.
 *
 * Per call, on the same clocks for both (`performance.timeOrigin +
 * performance.now()` in the pages, so that two pages of one machine agree to
 * well under a millisecond):
 *  - from the start (the click on "Video call", or the raw call's first line)
 *    to the first video frame of Bob's camera decoded at Alice's: a fresh
 *    `<video>` showing a frame, and inbound-rtp counting more decoded frames
 *    than before the call (so that no frame left from the call before counts);
 *  - from Bob's answer ("Accept" clicked, or the raw invite received) to audio
 *    packets arriving on both sides (inbound-rtp, more than before the call).
 * Each round gives two ratios, Whisper over raw; the run prints each round,
 * then the medians with their range and bootstrap 90 % interval. No goal is
 * set for call set-up: the ratio is what the app adds to the bare mechanism.
 */
import { chromium } from 'playwright-core';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS } from '../e2e/playwright.config.js';
import { launchSignal } from '../support/signal-process.js';
import { connectRawChannel } from './raw-data-channel.js';
import { spread } from './statistics.js';
import { twoPeople } from './two-people.js';

const ROUNDS = Number(process.env.BENCH_CALLS ?? 20);
/** Both sides let the call's media stop (camera released, decoders idle) for as long after each call. */
const SETTLE_MS = 300;

// In-page code is kept as source text: tsx would otherwise add helpers that do not exist in the page.

/** Shared by both pages and both sides: the app's parts, and what is read on a peer connection. */
const PAGE_HELPERS = `
  window.whBench = {
    /** The clock both pages share: ms since the epoch, to a fraction of a millisecond. */
    now: () => performance.timeOrigin + performance.now(),
    app: () => document.querySelector('wh-app'),
    session: () => document.querySelector('wh-app').phase.session,
    device: (name) => window.whBench.session().people.find((p) => p.name === name)?.device,
    /** Resolves when fn() returns something truthy, checked every 2 ms. */
    until: (fn) => new Promise((resolve) => { const check = () => { const v = fn(); if (v) resolve(v); else setTimeout(check, 2); }; check(); }),
    /** Sums a counter of the connection's inbound-rtp of one kind. */
    inbound: async (pc, kind, counter) => {
      let sum = 0;
      if (pc) (await pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === kind) sum += s[counter] ?? 0; });
      return sum;
    },
    /** What the connection has received so far: decoded video frames and audio packets. */
    received: async (pc) => ({ frames: await window.whBench.inbound(pc, 'video', 'framesDecoded'), packets: await window.whBench.inbound(pc, 'audio', 'packetsReceived') }),
    /** When \`video\` shows a frame and the connection (pc() may be null for a while) has decoded more frames than \`before\`. */
    newFrame: async (video, pc, before) => {
      for (;;) {
        await window.whBench.until(() => video.videoWidth > 0 && video.getVideoPlaybackQuality().totalVideoFrames > 0);
        if ((await window.whBench.inbound(pc(), 'video', 'framesDecoded')) > before.frames) return window.whBench.now();
        await new Promise((r) => setTimeout(r, 2));
      }
    },
    /** When audio packets have arrived on the connection beyond \`before\`. */
    audioArrives: async (pc, before) => {
      for (;;) {
        if ((await window.whBench.inbound(pc(), 'audio', 'packetsReceived')) > before.packets) return window.whBench.now();
        await new Promise((r) => setTimeout(r, 2));
      }
    },
  };
`;

/** Whisper, Bob's page: from now on, presses "Accept" the moment the next call rings; window.whBench.answered says when, and when audio came. */
const ARM_ANSWER = `(async () => {
  const b = window.whBench;
  const pc = () => b.session().link(b.device('Alice'))?.pc;
  const before = await b.received(pc());
  b.answered = (async () => {
    const accept = await b.until(() => b.app().shadowRoot.querySelector('wh-incoming-call')?.shadowRoot?.querySelector('button.accept'));
    const answered = b.now();
    accept.click();
    await b.until(() => b.session().calls.current?.phase === 'active');
    return { answered, audio: await b.audioArrives(pc, before) };
  })();
})()`;

/** Whisper, Alice's page: presses "Video call"; resolves with when, when Bob's first frame was decoded, and when audio came. */
const PLACE_CALL = `(async () => {
  const b = window.whBench;
  const pc = () => b.session().link(b.device('Bob'))?.pc;
  const before = await b.received(pc());
  const chat = b.app().shadowRoot.querySelector('wh-room-view').shadowRoot.querySelector('wh-chat-view').shadowRoot;
  const button = chat.querySelector('button[aria-label="Video call"]');
  await b.until(() => !button.disabled);
  const started = b.now();
  button.click();
  const video = await b.until(() => b.app().shadowRoot.querySelector('wh-call-view')?.shadowRoot?.querySelector('video.remote'));
  const frame = await b.newFrame(video, pc, before);
  await b.until(() => b.session().calls.current?.phase === 'active');
  return { started, frame, audio: await b.audioArrives(pc, before) };
})()`;

const HANG_UP = `(async () => { await window.whBench.session().calls.hangUp(); })()`;

const NO_CALL = `(async () => { const b = window.whBench; await b.until(() => !b.session().calls.current); })()`;

/**
 * Raw, both pages: the bare call's steps on the raw connection (raw-data-channel.ts), as the app does them: the
 * callee adds the transceivers when there are none (which renegotiates: offer from the callee, answer from the
 * caller, over the raw data channel), or puts its tracks into them; the caller fills them.
 */
const RAW_HELPERS = `
  window.whRaw = {
    pc: () => window.__pc,
    /** The next message of the raw channel, parsed. */
    next: () => new Promise((resolve) => { window.__channel.onmessage = (event) => resolve(JSON.parse(event.data)); }),
    send: (message) => window.__channel.send(JSON.stringify(message)),
    /** What the app asks for a video call (web/calls/local-media.ts). */
    media: () => navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
      video: { facingMode: 'user', width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } },
    }),
    transceiver: (kind) => window.__pc.getTransceivers().find((t) => t.receiver.track.kind === kind && t.currentDirection !== 'stopped'),
    /** Puts the stream's tracks into the transceivers there are, as the app's attachTracks does (not waiting for them). */
    fill: (stream) => {
      for (const track of stream.getTracks()) {
        const transceiver = window.whRaw.transceiver(track.kind);
        if (!transceiver) continue;
        if (transceiver.direction !== 'sendrecv') transceiver.direction = 'sendrecv';
        void transceiver.sender.replaceTrack(track);
      }
    },
    /** The call's end on this side: senders emptied (the transceivers stay), camera and microphone released. */
    end: async () => {
      for (const t of window.__pc.getTransceivers()) if (t.sender.track) await t.sender.replaceTrack(null);
      window.whRaw.stream?.getTracks().forEach((track) => track.stop());
      window.whRaw.video?.remove();
    },
  };
`;

/** Raw, Bob's page: answers the next invite at once; window.whRaw.answered says when it came, and when audio came. */
const RAW_ARM_ANSWER = `(async () => {
  const b = window.whBench, r = window.whRaw;
  const before = await b.received(r.pc());
  r.answered = (async () => {
    await r.next();
    const answered = b.now();
    r.stream = await r.media();
    if (r.transceiver('video')) {
      r.fill(r.stream);
      r.send({ t: 'accept' });
    } else {
      for (const track of r.stream.getTracks()) r.pc().addTransceiver(track, { direction: 'sendrecv' });
      await r.pc().setLocalDescription();
      r.send({ t: 'offer', description: r.pc().localDescription.toJSON() });
      await r.pc().setRemoteDescription((await r.next()).description);
    }
    return { answered, audio: await b.audioArrives(r.pc, before) };
  })();
})()`;

/** Raw, Alice's page: the call from its first step; resolves with when it started, when Bob's first frame was decoded, and when audio came. */
const RAW_PLACE_CALL = `(async () => {
  const b = window.whBench, r = window.whRaw;
  const before = await b.received(r.pc());
  const started = b.now();
  r.stream = await r.media();
  r.send({ t: 'invite' });
  const reply = await r.next();
  if (reply.t === 'offer') {
    await r.pc().setRemoteDescription(reply.description);
    r.fill(r.stream);
    await r.pc().setLocalDescription();
    r.send({ t: 'answer', description: r.pc().localDescription.toJSON() });
  } else {
    r.fill(r.stream);
  }
  const video = document.createElement('video');
  video.muted = true;
  video.autoplay = true;
  video.srcObject = new MediaStream(['audio', 'video'].map((kind) => r.transceiver(kind).receiver.track));
  document.body.append(video);
  r.video = video;
  const frame = await b.newFrame(video, r.pc, before);
  return { started, frame, audio: await b.audioArrives(r.pc, before) };
})()`;

/** One call, either side: ms from the start to Bob's first frame at Alice's, and from Bob's answer to audio both ways. */
interface CallTimes {
  toFrame: number;
  toAudio: number;
}

interface Placed {
  started: number;
  frame: number;
  audio: number;
}
interface Answered {
  answered: number;
  audio: number;
}

const times = (placed: Placed, answered: Answered): CallTimes => ({ toFrame: placed.frame - placed.started, toAudio: Math.max(placed.audio, answered.audio) - answered.answered });
const settle = () => new Promise((r) => setTimeout(r, SETTLE_MS));

const signal = launchSignal({ STATIC_DIR: join(import.meta.dirname, '../../dist') });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
try {
  const port = await signal.listening;
  const { alice, bob } = await twoPeople(browser, `http://localhost:${port}/`, 'both');
  await alice.getByText('Direct (P2P)').waitFor();
  await connectRawChannel(alice, bob);
  for (const page of [alice, bob]) await page.evaluate(PAGE_HELPERS + RAW_HELPERS);

  const whisperCall = async (): Promise<CallTimes> => {
    await bob.evaluate(ARM_ANSWER);
    const placed = (await alice.evaluate(PLACE_CALL)) as Placed;
    const answered = (await bob.evaluate('window.whBench.answered')) as Answered;
    await alice.evaluate(HANG_UP);
    await Promise.all([alice.evaluate(NO_CALL), bob.evaluate(NO_CALL)]);
    await settle();
    return times(placed, answered);
  };
  const rawCall = async (): Promise<CallTimes> => {
    await bob.evaluate(RAW_ARM_ANSWER);
    const placed = (await alice.evaluate(RAW_PLACE_CALL)) as Placed;
    const answered = (await bob.evaluate('window.whRaw.answered')) as Answered;
    await Promise.all([alice.evaluate('window.whRaw.end()'), bob.evaluate('window.whRaw.end()')]);
    await settle();
    return times(placed, answered);
  };

  const ms = (value: number) => `${value.toFixed(0)} ms`;
  const two = (value: number) => value.toFixed(2);
  const describe = (call: CallTimes) => `${ms(call.toFrame)} to the first frame, ${ms(call.toAudio)} to audio`;
  const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

  console.log(`Call set-up on loopback (Chromium ${browser.version()}, fake camera and microphone), load average at the start: ${load()}`);
  // The first call on each connection adds the transceivers (one renegotiation); it also warms both sides up.
  const firstRaw = await rawCall();
  const firstWhisper = await whisperCall();
  console.log(`  first call on each connection (adds the transceivers: one renegotiation), one each: raw ${describe(firstRaw)}; Whisper ${describe(firstWhisper)}`);

  const rounds: Array<{ raw: CallTimes; whisper: CallTimes }> = [];
  console.log(`  ${ROUNDS} rounds of one raw call and one Whisper call, on the connections already up:`);
  for (let n = 1; n <= ROUNDS; n++) {
    const rawFirst = n % 2 === 1;
    const first = rawFirst ? await rawCall() : await whisperCall();
    const second = rawFirst ? await whisperCall() : await rawCall();
    const [raw, whisper] = rawFirst ? [first, second] : [second, first];
    rounds.push({ raw, whisper });
    console.log(
      `  round ${n} (${rawFirst ? 'raw first' : 'Whisper first'}): raw ${describe(raw)}; Whisper ${describe(whisper)};` +
        ` ratio ${two(whisper.toFrame / raw.toFrame)} to the first frame, ${two(whisper.toAudio / raw.toAudio)} to audio`,
    );
  }

  console.log(`  start -> Bob's first video frame decoded at Alice's ("Video call" clicked, or the raw call's first step):`);
  console.log(`    raw:     ${spread(rounds.map((r) => r.raw.toFrame), ms).text}`);
  console.log(`    Whisper: ${spread(rounds.map((r) => r.whisper.toFrame), ms).text}`);
  console.log(`    ratio Whisper / raw: ${spread(rounds.map((r) => r.whisper.toFrame / r.raw.toFrame), two).text}`);
  console.log(`  Bob's answer -> audio arriving on both sides ("Accept" clicked, or the raw invite received):`);
  console.log(`    raw:     ${spread(rounds.map((r) => r.raw.toAudio), ms).text}`);
  console.log(`    Whisper: ${spread(rounds.map((r) => r.whisper.toAudio), ms).text}`);
  console.log(`    ratio Whisper / raw: ${spread(rounds.map((r) => r.whisper.toAudio / r.raw.toAudio), two).text}`);
  console.log(`  (no goal is set for call set-up: the ratio is what the app adds to the bare mechanism; load average at the end: ${load()})`);
} finally {
  await browser.close();
  await signal.stop();
}
