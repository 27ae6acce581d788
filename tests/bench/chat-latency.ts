/**
 * npm run bench:chat — time from sending a message to its "Delivered" status
 * (stored on both devices and acknowledged), through the real UI, the real
 * signal server and a real peer connection on loopback, against the round trip
 * of a raw data channel between the same two pages (a peer connection of its
 * own, the other page echoing), measured in turns with the messages: before
 * each odd message, after each even one. Per message, inside the app
 * (`performance.now()` stamps through the pages' `whTimings` hook: send called,
 * own write committed, `ack` come, "Delivered" known; and on the receiver its
 * write's start and commit) and from the Enter key to the mark on screen.
 * Prints medians, p95 and the medians' bootstrap 90 % intervals as a table,
 * in ms and in raw round trips, where the time goes (the writes on each side),
 * and a verdict on the goal: in the app, median ≤ 4 and p95 ≤ 8 round trips.
 * BENCH_MESSAGES sets the number of messages (default 200).
 */
import { chromium, type Page } from 'playwright-core';
import { join } from 'node:path';
import type { ReceivedTiming, SentTiming } from '../../web/chat/delivery-timings.js';
import { CHROMIUM_ARGS } from '../e2e/playwright.config.js';
import { launchSignal } from '../support/signal-process.js';
import { connectRawChannel, echo, roundTrip } from './raw-data-channel.js';
import { bootstrapInterval, explain, judge, judgeAll, median, percentile, sayVerdict, type Goal } from './statistics.js';
import { twoPeople } from './two-people.js';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 200);
const MEDIAN_GOAL: Goal = { at: 4, direction: 'atMost' };
const P95_GOAL: Goal = { at: 8, direction: 'atMost' };

/**
 * In the page: sends `text` through the composer and resolves with ms from Enter
 * to the "Delivered" mark. Kept as source text: tsx would otherwise add helpers
 * to the function that do not exist in the page.
 */
const SEND_AND_TIME = `(text) => new Promise((resolve) => {
  const app = document.querySelector('wh-app').shadowRoot;
  const chat = app.querySelector('wh-room-view').shadowRoot.querySelector('wh-chat-view').shadowRoot;
  const textarea = chat.querySelector('wh-composer').shadowRoot.querySelector('textarea');
  textarea.value = text;
  const observer = new MutationObserver(() => {
    for (const item of chat.querySelectorAll('li.message.out')) {
      if (item.querySelector('.text')?.textContent !== text) continue;
      const status = item.querySelector('[role="img"]')?.getAttribute('aria-label');
      if (status === 'Delivered' || status === 'Read') {
        observer.disconnect();
        resolve(performance.now() - started);
      }
    }
  });
  observer.observe(chat, { subtree: true, childList: true, attributes: true, characterData: true });
  const started = performance.now();
  textarea.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, composed: true }));
})`;

function sendAndTime(page: Page, text: string): Promise<number> {
  return page.evaluate(`(${SEND_AND_TIME})(${JSON.stringify(text)})`) as Promise<number>;
}

/** Starts the app's `whTimings` hook on a page (see web/chat/delivery-timings.ts), or starts it again empty. */
const START_TIMINGS = 'globalThis.whTimings = { sent: [], received: [] }';

/** One message and the raw round trip measured in turn with it, in ms. */
interface Turn {
  raw: number;
  onScreen: number;
  sent: SentTiming;
  received: ReceivedTiming;
}

/** A raw round trip carries about what the app's `msg` frame does. */
const rawFrame = (text: string) => JSON.stringify({ t: 'msg', id: 'x'.repeat(22), text, sentAt: Date.now() });

const signal = launchSignal({ STATIC_DIR: join(import.meta.dirname, '../../dist'), MESSAGES_PER_SECOND: '1000', MESSAGE_BURST: '1000' });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
try {
  const port = await signal.listening;
  const { alice, bob } = await twoPeople(browser, `http://localhost:${port}/`, 'alice');
  await connectRawChannel(alice, bob);
  await echo(bob);
  await Promise.all([alice.evaluate(START_TIMINGS), bob.evaluate(START_TIMINGS)]);
  await sendAndTime(alice, 'warm-up');
  for (let i = 0; i < 5; i++) await roundTrip(alice, rawFrame('warm-up'));
  await Promise.all([alice.evaluate(START_TIMINGS), bob.evaluate(START_TIMINGS)]);

  const raw: number[] = [];
  const onScreen: number[] = [];
  for (let i = 1; i <= MESSAGES; i++) {
    const text = `message ${i} ${'x'.repeat(40)}`;
    if (i % 2) raw.push(await roundTrip(alice, rawFrame(text)));
    onScreen.push(await sendAndTime(alice, text));
    if (!(i % 2)) raw.push(await roundTrip(alice, rawFrame(text)));
  }
  const sent = (await alice.evaluate('globalThis.whTimings.sent')) as SentTiming[];
  const received = new Map(((await bob.evaluate('globalThis.whTimings.received')) as ReceivedTiming[]).map((r) => [r.id, r]));
  if (sent.length !== MESSAGES) throw new Error(`the app timed ${sent.length} of ${MESSAGES} messages`);
  const turns: Turn[] = sent.map((s, i) => {
    const r = received.get(s.id);
    if (!r) throw new Error(`the receiver did not time message ${i + 1}`);
    return { raw: raw[i]!, onScreen: onScreen[i]!, sent: s, received: r };
  });

  /** The figures of the table, per message, in ms. */
  const rows: Array<[string, (t: Turn) => number]> = [
    ['raw data channel: round trip (baseline, in turn with each message)', (t) => t.raw],
    ['in the app: send called → Delivered known', (t) => t.sent.delivered - t.sent.sent],
    ['on screen: Enter → Delivered mark shown', (t) => t.onScreen],
    ['  of which: send called → ack come (there, receiver stores, back)', (t) => t.sent.acked - t.sent.sent],
    ["  receiver's write (IndexedDB add → commit, before its ack)", (t) => t.received.stored - t.received.storing],
    ["  sender's write (IndexedDB add → commit, while the message travels)", (t) => t.sent.stored - t.sent.sent],
    ["  Delivered held after the ack for the sender's own write", (t) => Math.max(0, t.sent.stored - t.sent.acked)],
  ];
  const rtt = median(raw);
  const ms = (value: number) => value.toFixed(2);
  console.log(`Send -> Delivered over ${MESSAGES} messages on loopback (Chromium ${browser.version()}):`);
  console.log('| per message, ms | median | 90 % interval of the median | p95 | max | median in raw round trips |');
  console.log('|---|---|---|---|---|---|');
  for (const [what, figure] of rows) {
    const values = turns.map(figure);
    const sorted = [...values].sort((a, b) => a - b);
    const { low, high } = bootstrapInterval(values, median);
    console.log(`| ${what} | ${ms(median(values))} | ${ms(low)}–${ms(high)} | ${ms(percentile(sorted, 95))} | ${ms(sorted.at(-1)!)} | ${(median(values) / rtt).toFixed(2)} |`);
  }
  const waited = turns.filter((t) => t.sent.stored > t.sent.acked).length;
  console.log(`  The ack came before the sender's own write had committed in ${waited} of ${MESSAGES} messages.`);

  // In round trips, each message drawn with the raw round trip measured in turn with it.
  const inApp = (sample: readonly Turn[]) => sample.map((t) => t.sent.delivered - t.sent.sent);
  const rawOf = (sample: readonly Turn[]) => median(sample.map((t) => t.raw));
  const medianTrips = (sample: readonly Turn[]) => median(inApp(sample)) / rawOf(sample);
  const p95Trips = (sample: readonly Turn[]) => percentile([...inApp(sample)].sort((a, b) => a - b), 95) / rawOf(sample);
  const medianInterval = bootstrapInterval(turns, medianTrips);
  const p95Interval = bootstrapInterval(turns, p95Trips);
  const trips = (value: number) => value.toFixed(1);
  console.log(`  In the app, in raw round trips: median ${trips(medianTrips(turns))} (90 % interval ${trips(medianInterval.low)}–${trips(medianInterval.high)}), p95 ${trips(p95Trips(turns))} (${trips(p95Interval.low)}–${trips(p95Interval.high)})`);
  const medianVerdict = judge(medianInterval, MEDIAN_GOAL);
  const p95Verdict = judge(p95Interval, P95_GOAL);
  console.log(`  Verdict (goal: in the app, median ≤ 4 and p95 ≤ 8 round trips): ${sayVerdict(judgeAll([medianVerdict, p95Verdict]))}`);
  console.log(`    median: ${explain(medianVerdict, medianInterval, MEDIAN_GOAL, trips)}`);
  console.log(`    p95: ${explain(p95Verdict, p95Interval, P95_GOAL, trips)}`);
} finally {
  await browser.close();
  await signal.stop();
}
