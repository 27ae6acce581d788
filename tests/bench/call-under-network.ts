/**
 * A Whisper video call against a raw call under a lossy or capped network: what each receives, in the
 * private network namespace, under each condition of BENCH_NETWORKS (default "none,loss5,cap2mb": no rule,
 * 5 % of UDP packets dropped at random, UDP capped at 2 MiB/s; tests/support/network-faults.ts).
 *
 * Whisper: Alice presses "Video call" in the chat with Bob, Bob presses Accept (each in a Chromium context
 * of their own, one room, the real signal process). Raw: two fresh pages, each in a context of its own, with
 * a peer connection of their own (no server, no app) sending the same fake camera and microphone, asked for
 * with the app's own constraints (`videoConstraints` of web/calls/local-media.ts; the app's audio constraints
 * are Chromium's defaults). Once both sides play the other's video, the rule goes in (for both contenders
 * alike, on what the namespace receives: the pages reach each other over loopback, where the rule sees each
 * packet once), and for BENCH_SECONDS (20) both sides' inbound RTP statistics are read: bitrate received
 * (audio and video payload, both directions summed), frames decoded per second per side, freezes (Chromium's
 * freezeCount: a frame much later than the ones before it) and the share of the time frozen
 * (totalFreezesDuration), and the packets reported lost. Then the rule goes and the call ends.
 *
 * BENCH_ROUNDS rounds (3); in each, every condition once, the conditions in a rotating order, and within each
 * the raw call first in odd rounds and Whisper's first in even ones. Prints each measurement, then per
 * condition the medians over the rounds with their range, and the ratio of Whisper's bitrate and frame rate to
 * the raw call's.
 */
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { videoConstraints } from '../../web/calls/local-media.js';
import { CHROMIUM_ARGS } from '../e2e/playwright.config.js';
import { networkCondition, NetworkFaults, type NetworkConditionName } from '../support/network-faults.js';
import { KEEP_PEER_CONNECTIONS, RECEIVED_MEDIA, type ReceivedMedia } from '../support/network-peer-stats.js';
import { launchSignal } from '../support/signal-process.js';
import { connectRawCall, endRawCall } from './raw-data-channel.js';
import { median } from './statistics.js';
import { meet } from './two-people.js';

const CONDITIONS = (process.env.BENCH_NETWORKS ?? 'none,loss5,cap2mb').split(',').map(networkCondition);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);

/** What both sides of a call received over the window, per second. */
interface Reading {
  /** Kilobits per second of audio and video payload, both directions summed. */
  kbps: number;
  /** Frames decoded per second, per side. */
  fps: number;
  /** Freezes per minute, per side. */
  freezesPerMinute: number;
  /** Share of the time a side's video was frozen. */
  frozen: number;
  /** Share of the packets reported lost. */
  lost: number;
  /** Packets the rule dropped meanwhile. */
  dropped: number;
}

const sum = (readings: ReceivedMedia[]): ReceivedMedia =>
  readings.reduce((total, reading) => {
    for (const key of Object.keys(total) as Array<keyof ReceivedMedia>) total[key] += reading[key];
    return total;
  });

/** Puts the condition's rule in, reads both pages' inbound statistics over SECONDS, takes the rule away. */
async function measure(pages: Page[], condition: ReturnType<typeof networkCondition>, faults: NetworkFaults): Promise<Reading> {
  const read = async () => sum(await Promise.all(pages.map((page) => page.evaluate(RECEIVED_MEDIA) as Promise<ReceivedMedia>)));
  const rule = condition.apply ? await condition.apply(faults) : null;
  try {
    const started = performance.now();
    const before = await read();
    // The window the media is measured over.
    await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
    const after = await read();
    const seconds = (performance.now() - started) / 1000;
    const sides = pages.length;
    const packets = after.packetsReceived - before.packetsReceived + (after.packetsLost - before.packetsLost);
    return {
      kbps: ((after.bytesReceived - before.bytesReceived) * 8) / 1000 / seconds,
      fps: (after.framesDecoded - before.framesDecoded) / seconds / sides,
      freezesPerMinute: ((after.freezeCount - before.freezeCount) * 60) / seconds / sides,
      frozen: (after.totalFreezesDuration - before.totalFreezesDuration) / seconds / sides,
      lost: packets > 0 ? (after.packetsLost - before.packetsLost) / packets : 0,
      dropped: rule ? await rule.packets() : 0,
    };
  } finally {
    await rule?.remove();
  }
}

/** Waits until the page plays the other person's video in the call (source text: tsx would add helpers the page lacks). */
async function playing(page: Page, other: string): Promise<void> {
  // Evaluated by DevTools, which the page's CSP does not stop (waitForFunction's would be).
  const played = `(() => {
    const video = document.querySelector('wh-app')?.shadowRoot?.querySelector('wh-call-view')?.shadowRoot?.querySelector('video[aria-label="${other}’s video"]');
    return Boolean(video && video.videoWidth > 0 && video.getVideoPlaybackQuality().totalVideoFrames > 0);
  })()`;
  while (!(await page.evaluate(played))) await new Promise((resolve) => setTimeout(resolve, 50));
}

async function whisperCall(alice: Page, bob: Page, condition: ReturnType<typeof networkCondition>, faults: NetworkFaults): Promise<Reading> {
  await alice.getByRole('button', { name: 'Video call', exact: true }).click();
  await bob.getByRole('dialog', { name: 'Alice' }).getByRole('button', { name: 'Accept' }).click();
  await Promise.all([playing(alice, 'Bob'), playing(bob, 'Alice')]);
  const reading = await measure([alice, bob], condition, faults);
  await alice.getByRole('button', { name: 'Hang up' }).click();
  await Promise.all([alice, bob].map((page) => page.getByRole('region', { name: /^Call with / }).waitFor({ state: 'hidden' })));
  return reading;
}

async function rawCall(browser: Browser, url: string, condition: ReturnType<typeof networkCondition>, faults: NetworkFaults): Promise<Reading> {
  const pages = await Promise.all([0, 1].map(async () => (await browser.newContext()).newPage()));
  await Promise.all(pages.map((page) => page.goto(url)));
  const [caller, callee] = pages as [Page, Page];
  await connectRawCall(caller, callee, { audio: true, video: videoConstraints('user') });
  const reading = await measure(pages, condition, faults);
  for (const page of pages) {
    await endRawCall(page);
    await page.context().close();
  }
  return reading;
}

const describe = (r: Reading) =>
  `${r.kbps.toFixed(0)} kbit/s, ${r.fps.toFixed(1)} frames/s per side, ${r.freezesPerMinute.toFixed(1)} freezes/min, ${(100 * r.frozen).toFixed(1)} % frozen, ${(100 * r.lost).toFixed(1)} % of packets lost (the rule dropped ${r.dropped})`;
const range = (values: number[], format: (v: number) => string) => `${format(median(values))} (${format(Math.min(...values))}–${format(Math.max(...values))})`;

const signal = launchSignal({ STATIC_DIR: join(import.meta.dirname, '../../dist') });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
const faults = await NetworkFaults.open();
try {
  const url = `http://localhost:${await signal.listening}/`;
  const [aliceContext, bobContext] = await Promise.all([browser.newContext(), browser.newContext()]);
  for (const context of [aliceContext, bobContext]) await context.addInitScript({ content: KEEP_PEER_CONNECTIONS });
  const { alice, bob } = await meet(await aliceContext.newPage(), await bobContext.newPage(), url, 'both');
  await alice.getByText('Direct (P2P)').waitFor();
  console.log(`A video call under each network condition, Whisper against a raw call (Chromium ${browser.version()}, fake camera and microphone at 20 fps), ${ROUNDS} rounds of ${SECONDS} s windows:`);

  const results = new Map<NetworkConditionName, { whisper: Reading[]; raw: Reading[] }>(CONDITIONS.map((c) => [c.name, { whisper: [], raw: [] }]));
  for (let round = 1; round <= ROUNDS; round++) {
    const order = CONDITIONS.map((_, i) => CONDITIONS[(i + round - 1) % CONDITIONS.length]!);
    for (const condition of order) {
      const rawFirst = round % 2 === 1;
      const kept = results.get(condition.name)!;
      for (const contender of rawFirst ? (['raw', 'whisper'] as const) : (['whisper', 'raw'] as const)) {
        const reading = contender === 'raw' ? await rawCall(browser, url, condition, faults) : await whisperCall(alice, bob, condition, faults);
        kept[contender].push(reading);
        console.log(`  round ${round}, ${condition.name} (${condition.description}), ${contender === 'raw' ? 'raw call' : 'Whisper'}: ${describe(reading)}`);
      }
    }
  }

  console.log(`Medians over ${ROUNDS} rounds (range):`);
  for (const condition of CONDITIONS) {
    const { whisper, raw } = results.get(condition.name)!;
    for (const [name, readings] of [['Whisper', whisper], ['raw call', raw]] as const) {
      console.log(
        `  ${condition.name.padEnd(6)} ${name.padEnd(8)}: ${range(readings.map((r) => r.kbps), (v) => v.toFixed(0))} kbit/s, ` +
          `${range(readings.map((r) => r.fps), (v) => v.toFixed(1))} frames/s, ${range(readings.map((r) => r.freezesPerMinute), (v) => v.toFixed(1))} freezes/min, ` +
          `${range(readings.map((r) => 100 * r.frozen), (v) => v.toFixed(1))} % frozen`,
      );
    }
    const ratio = (pick: (r: Reading) => number) => range(whisper.map((r, i) => pick(r) / pick(raw[i]!)), (v) => v.toFixed(2));
    console.log(`  ${condition.name.padEnd(6)} Whisper / raw, round by round: bitrate ${ratio((r) => r.kbps)}, frame rate ${ratio((r) => r.fps)}`);
  }
} finally {
  await faults.close();
  await browser.close();
  await signal.stop();
}
