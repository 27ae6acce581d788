/**
 * npm run bench:call — how fast a call starts, through the real UI, the real
 * signal server and the chat's peer connection, on loopback with Chromium's
 * fake camera and microphone. For each of BENCH_CALLS calls (20):
 *  - "Video call" pressed → the first decoded frame of the callee's video at
 *    the caller (the callee's page presses "Accept" as soon as it rings);
 *  - "Accept" pressed → audio packets arriving on both sides.
 * Baseline in the same run: the bare minimum of a call in the same browser,
 * two RTCPeerConnections in one page with no server, no ringing and no app,
 * from getUserMedia to the first decoded frame.
 */
import { chromium } from 'playwright-core';
import { join } from 'node:path';
import { CHROMIUM_ARGS } from '../e2e/playwright.config.js';
import { launchSignal } from '../support/signal-process.js';
import { percentile } from './statistics.js';
import { twoPeople } from './two-people.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 20);

const stats = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: percentile(sorted, 50), p95: percentile(sorted, 95), min: sorted[0]!, max: sorted.at(-1)! };
};

// In-page code is kept as source text: tsx would otherwise add helpers that do not exist in the page.

/** Shared by both pages: the app's parts, reached through the shadow roots a person's clicks go through. */
const PAGE_HELPERS = `
  window.whBench = {
    app: () => document.querySelector('wh-app'),
    session: () => document.querySelector('wh-app').phase.session,
    /** Resolves when fn() returns something truthy, checked every 2 ms. */
    until: (fn) => new Promise((resolve) => { const check = () => { const v = fn(); if (v) resolve(v); else setTimeout(check, 2); }; check(); }),
    /** Date.now() when audio packets from the other side start arriving (more than before). */
    audioArrives: async () => {
      const session = window.whBench.session();
      const device = session.calls.current.device;
      const received = async () => {
        const link = session.link(device);
        if (!link) return 0;
        let packets = 0;
        (await link.pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'audio') packets += s.packetsReceived; });
        return packets;
      };
      const before = await received();
      for (;;) {
        if ((await received()) > before) return Date.now();
        await new Promise((r) => setTimeout(r, 5));
      }
    },
  };
`;

/** Callee: presses Accept the moment the call rings; resolves with when it pressed and when audio arrived. */
const ANSWER_NEXT_CALL = `(async () => {
  const b = window.whBench;
  const ringing = await b.until(() => b.app().shadowRoot.querySelector('wh-incoming-call')?.shadowRoot?.querySelector('button.accept'));
  const accepted = Date.now();
  ringing.click();
  await b.until(() => b.session().calls.current?.phase === 'active');
  const audio = await b.audioArrives();
  return { accepted, audio };
})()`;

/** Caller: presses "Video call"; resolves with when, when the first remote frame was decoded, and when audio arrived. */
const PLACE_CALL = `(async () => {
  const b = window.whBench;
  const chat = b.app().shadowRoot.querySelector('wh-room-view').shadowRoot.querySelector('wh-chat-view').shadowRoot;
  const button = chat.querySelector('button[aria-label="Video call"]');
  await b.until(() => !button.disabled);
  const pressed = Date.now();
  button.click();
  const video = await b.until(() => b.app().shadowRoot.querySelector('wh-call-view')?.shadowRoot?.querySelector('video.remote'));
  await b.until(() => video.videoWidth > 0 && video.getVideoPlaybackQuality().totalVideoFrames > 0);
  const frame = Date.now();
  await b.until(() => b.session().calls.current?.phase === 'active');
  const audio = await b.audioArrives();
  return { pressed, frame, audio };
})()`;

const HANG_UP = `(async () => {
  const b = window.whBench;
  await b.session().calls.hangUp();
})()`;

const NO_CALL = `(async () => {
  const b = window.whBench;
  await b.until(() => !b.session().calls.current);
  return true;
})()`;

/** The baseline: two peer connections in one page, getUserMedia to the first decoded frame. */
const BARE_CALL = `(async () => {
  const started = performance.now();
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  const a = new RTCPeerConnection();
  const b = new RTCPeerConnection();
  a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
  b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
  const video = document.createElement('video');
  video.muted = true;
  video.autoplay = true;
  document.body.append(video);
  b.ontrack = (e) => { video.srcObject = e.streams[0]; };
  for (const track of stream.getTracks()) a.addTrack(track, stream);
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription();
  await a.setRemoteDescription(b.localDescription);
  await new Promise((resolve) => { const check = () => (video.videoWidth > 0 && video.getVideoPlaybackQuality().totalVideoFrames > 0 ? resolve() : setTimeout(check, 2)); check(); });
  const elapsed = performance.now() - started;
  for (const track of stream.getTracks()) track.stop();
  a.close();
  b.close();
  video.remove();
  return elapsed;
})()`;

const signal = launchSignal({ STATIC_DIR: join(import.meta.dirname, '../../dist') });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
try {
  const port = await signal.listening;
  const { alice, bob } = await twoPeople(browser, `http://localhost:${port}/`, 'both');
  await alice.getByText('Direct (P2P)').waitFor();
  for (const page of [alice, bob]) await page.evaluate(PAGE_HELPERS);

  const bare: number[] = [];
  for (let i = 0; i < CALLS; i++) bare.push((await alice.evaluate(BARE_CALL)) as number);

  const toFrame: number[] = [];
  const toAudio: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const answered = bob.evaluate(ANSWER_NEXT_CALL) as Promise<{ accepted: number; audio: number }>;
    const placed = (await alice.evaluate(PLACE_CALL)) as { pressed: number; frame: number; audio: number };
    const callee = await answered;
    toFrame.push(placed.frame - placed.pressed);
    toAudio.push(Math.max(placed.audio, callee.audio) - callee.accepted);
    await alice.evaluate(HANG_UP);
    await Promise.all([alice.evaluate(NO_CALL), bob.evaluate(NO_CALL)]);
    await new Promise((r) => setTimeout(r, 300));
  }

  const frame = stats(toFrame);
  const audio = stats(toAudio);
  const base = stats(bare);
  const ms = (v: number) => `${v.toFixed(0)} ms`;
  console.log(`Call set-up over ${CALLS} video calls on loopback (Chromium ${browser.version()}, fake camera and microphone):`);
  console.log(`  "Video call" -> first remote frame at the caller: median ${ms(frame.median)}, p95 ${ms(frame.p95)}, min ${ms(frame.min)}, max ${ms(frame.max)}`);
  console.log(`    (the first call, which adds the media to the connection: ${ms(toFrame[0]!)})`);
  console.log(`  "Accept" -> audio arriving on both sides: median ${ms(audio.median)}, p95 ${ms(audio.p95)}, min ${ms(audio.min)}, max ${ms(audio.max)}`);
  console.log(`  baseline: a bare call in one page (getUserMedia -> first frame, no server, no ringing): median ${ms(base.median)}, p95 ${ms(base.p95)}`);
  console.log(`  ratio "Video call" -> first frame / bare call: ${(frame.median / base.median).toFixed(2)}`);
} finally {
  await browser.close();
  await signal.stop();
}
