/**
 * npm run bench:chat — time from sending a message to its "Delivered" status
 * (stored on both devices and acknowledged), through the real UI, the real
 * signal server and a real peer connection on loopback. Two figures per message:
 * inside the app (`performance.now()` when the chat service is asked to send, and
 * when it knows "Delivered", through the page's `whTimings` hook), and from the
 * Enter key to the mark on screen. The baseline in the same run is the data
 * channel's own round trip (the app's Ping, to 0.1 ms), so the figures read as
 * "how many round trips the app takes".
 */
import { chromium, type Page } from 'playwright-core';
import { join } from 'node:path';
import { CHROMIUM_ARGS } from '../e2e/playwright.config.js';
import { launchSignal } from '../support/signal-process.js';
import { percentile } from './statistics.js';
import { twoPeople } from './two-people.js';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 50);

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

const signal = launchSignal({ STATIC_DIR: join(import.meta.dirname, '../../dist'), MESSAGES_PER_SECOND: '1000', MESSAGE_BURST: '1000' });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
try {
  const port = await signal.listening;
  const { alice } = await twoPeople(browser, `http://localhost:${port}/`, 'alice');
  await alice.evaluate('globalThis.whTimings = []');
  await sendAndTime(alice, 'warm-up');

  const pings: number[] = [];
  const result = alice.getByRole('status', { name: 'Round-trip time' });
  for (let i = 0; i < 5; i++) {
    await alice.getByRole('button', { name: 'Ping' }).click();
    for (let tries = 0; tries < 200; tries++) {
      const match = /^(\d+(?:\.\d)?) ms$/.exec((await result.textContent()) ?? '');
      if (match) {
        pings.push(Number(match[1]));
        break;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  const samples: number[] = [];
  await alice.evaluate('globalThis.whTimings = []');
  for (let i = 0; i < MESSAGES; i++) samples.push(await sendAndTime(alice, `message ${i} ${'x'.repeat(40)}`));
  const inApp = ((await alice.evaluate('globalThis.whTimings')) as Array<{ sent: number; delivered: number }>).map((t) => t.delivered - t.sent);
  if (inApp.length !== MESSAGES) throw new Error(`the app timed ${inApp.length} of ${MESSAGES} messages`);
  samples.sort((a, b) => a - b);
  inApp.sort((a, b) => a - b);
  pings.sort((a, b) => a - b);
  // The Ping shows tenths: a round trip under 0.05 ms would read 0.0.
  const ping = Math.max(0.1, percentile(pings, 50));
  const line = (what: string, sorted: number[]) =>
    `  ${what}: median ${percentile(sorted, 50).toFixed(2)} ms (${(percentile(sorted, 50) / ping).toFixed(1)} round trips), ` +
    `p95 ${percentile(sorted, 95).toFixed(2)} ms (${(percentile(sorted, 95) / ping).toFixed(1)}), min ${sorted[0]!.toFixed(2)} ms, max ${sorted.at(-1)!.toFixed(2)} ms`;
  console.log(`Send -> Delivered over ${MESSAGES} messages on loopback (Chromium ${browser.version()}):`);
  console.log(`  baseline: data-channel round trip (Ping, median of 5 x 5 samples) ${ping.toFixed(1)} ms`);
  console.log(line('in the app (send called -> Delivered known)', inApp));
  console.log(line('on screen (Enter -> Delivered mark shown)', samples));
} finally {
  await browser.close();
  await signal.stop();
}
