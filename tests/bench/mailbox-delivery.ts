/**
 * The browser half of `npm run bench:mailbox` (issue 30): a message to someone whose app is closed, through the
 * mailbox and Web Push, beside the same message to their open app, in one run.
 *
 * Alice and Bob in Chromium, each in a context of their own (their device), in one room, both with "Notify me
 * when I'm away" on: each device keeps the other's mailbox and push subscription. The real signal process (on
 * WH_SIGNAL_NODE: Node.js 22 as deployed; its mailboxes in LevelDB), and our HTTPS push service on loopback.
 * Chromium's part of Web Push is stood in for as in bench:push (stand-in-push.ts): each push the service takes
 * is decrypted at once and handed to the worker of the device it is for, as that device's browser would.
 *
 * - open: both apps open and connected (a data channel). From Alice's Enter in the composer to the message in
 *   Bob's conversation (its entry added to his page), and to "Delivered" (or "Read") on Alice's page.
 * - closed: Bob's page is closed, his browser and its worker stay (as on a phone). Alice's page seals the message
 *   to Bob's mailbox, deposits it and has the server push him; his worker reads the mailbox, stores the message,
 *   leaves a sealed receipt in Alice's mailbox and pushes her, then shows the notification. From Alice's Enter to
 *   Bob's notification with the text (his worker's showNotification resolved, its body the message), and to
 *   Delivered stored by Alice's worker (the receipt's push handed to it; the IndexedDB transaction that writes the
 *   status complete). Alice's page stays open: whether it shows that Delivered is recorded too, and what it shows
 *   once reloaded (each closed run ends with a reload of her page).
 *
 * Stamps are taken where things happen, on one clock (the machine's: Date.now() in the pages, in the workers, and
 * in the bench when the push service takes a push); the bench's polling decides nothing timed.
 *
 * BENCH_ROUNDS rounds (5); each runs both contenders in turns (open first in odd rounds, closed first in even
 * ones), each a run of BENCH_WARMUP untimed messages (2) and BENCH_MESSAGES timed ones (10): 50 of each by
 * default. measureMailboxDelivery() measures and returns the figures, mailboxDeliveryReport() writes them up:
 * median and p95 of each step, and the ratio closed / open of the medians (over all messages, and per round).
 * `tsx tests/bench/mailbox-delivery.ts` runs this half alone.
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page, type Worker } from 'playwright-core';
import { CHROMIUM_ARGS } from '../e2e/playwright.config.js';
import { readStore } from '../support/indexed-db.js';
import { PushService, PUSH_SERVICE_CA, stubPushManager, type StubSubscription } from '../support/push-service.js';
import { launchSignal, SIGNAL_NODE } from '../support/signal-process.js';
import { STAMP_SHOWN, StandInPushClient } from './stand-in-push.js';
import { bootstrapInterval, median, percentile } from './statistics.js';
import { joinAs, until } from './two-people.js';

export interface MailboxDeliveryOptions {
  rounds: number;
  /** Timed messages in each run (one contender in one round). */
  messages: number;
  /** Untimed messages before them. */
  warmup: number;
  /** Where progress goes. */
  log: (line: string) => void;
}

export function mailboxDeliveryOptionsFromEnvironment(log: (line: string) => void = console.log): MailboxDeliveryOptions {
  return { rounds: Number(process.env.BENCH_ROUNDS ?? 5), messages: Number(process.env.BENCH_MESSAGES ?? 10), warmup: Number(process.env.BENCH_WARMUP ?? 2), log };
}

/** A message to Bob's open app: ms from Alice's Enter. */
export interface OpenMessage {
  onBobsPage: number;
  delivered: number;
}

/** A message to Bob's closed app: ms from Alice's Enter. */
export interface ClosedMessage {
  /** "Waiting in Bob's mailbox" on Alice's page (sealed and deposited); null if her page never showed it. */
  waiting: number | null;
  /** The push for Bob taken by the push service. */
  pushForBob: number;
  /** In Bob's IndexedDB, by his worker. */
  storedByBob: number;
  /** The receipt's push for Alice taken by the push service. */
  receiptPush: number;
  /** Bob's notification shown, its body the message. */
  notified: number;
  /** Delivered in Alice's IndexedDB, by her worker. */
  storedDelivered: number;
  /** Delivered (or Read) on Alice's open page before Bob's app opened again; null if it never showed there. */
  deliveredOnPage: number | null;
}

export interface DeliveryRound {
  openFirst: boolean;
  open: OpenMessage[];
  closed: ClosedMessage[];
  /** Of the closed run's messages (warm-up included), how many said Delivered (or Read) on Alice's page reloaded after the run. */
  afterReload: { delivered: number; of: number };
}

export interface MailboxDeliveryFigures {
  settings: Omit<MailboxDeliveryOptions, 'log'>;
  browser: string;
  /** The signal process's Node.js version. */
  runtime: string;
  loadAtStart: string;
  loadAtEnd: string;
  rounds: DeliveryRound[];
}

type Mode = 'open' | 'closed';

/** How long Alice's page is given, after a closed run's last Delivered was stored, to show it before it is reloaded. */
const HOLD_MS = 1000;
const WAITING_IN_BOBS_MAILBOX = 'Waiting in Bob’s mailbox';

// Code for the pages and the workers is source text: tsx would otherwise add helpers they lack.
/** Alice's page: when she last pressed Enter (Date.now(), at the key, before the composer sees it). */
const STAMP_ENTER = `(() => {
  addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey) self.whEnterAt = Date.now();
  }, { capture: true });
})()`;

/**
 * A page with a conversation open: when each message's entry was first in it (`shown`, for one that came in) and
 * when each status of an own message was first shown (by its accessible name), by text. From the mutations
 * alone: nothing is read of the rest of the list.
 */
const WATCH_MESSAGES = `(() => {
  const chat = document.querySelector('wh-app').shadowRoot.querySelector('wh-room-view').shadowRoot.querySelector('wh-chat-view').shadowRoot;
  const marks = (self.whMarks = {});
  const note = (item) => {
    const text = item?.querySelector('.text')?.textContent;
    if (text === undefined) return;
    const label = item.classList.contains('in') ? 'shown' : item.querySelector('[role="img"]')?.getAttribute('aria-label');
    const seen = (marks[text] ??= {});
    if (label && seen[label] === undefined) seen[label] = Date.now();
  };
  new MutationObserver((records) => {
    for (const record of records) {
      if (record.type === 'attributes') note(record.target.closest('li.message'));
      else for (const node of record.addedNodes) if (node instanceof Element) (node.matches('li.message') ? [node] : node.querySelectorAll('li.message')).forEach(note);
    }
  }).observe(chat, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-label'] });
  chat.querySelectorAll('li.message').forEach(note);
})()`;

/** A worker: when each message it writes to IndexedDB is there (the transaction's complete event), with its direction and status. */
const STAMP_STORED = `(() => {
  self.whStored = [];
  for (const name of ['add', 'put']) {
    const write = IDBObjectStore.prototype[name];
    IDBObjectStore.prototype[name] = function (...args) {
      const request = write.apply(this, args);
      const message = args[0];
      if (this.name === 'messages' && typeof message?.text === 'string') {
        this.transaction.addEventListener('complete', () => self.whStored.push({ text: message.text, direction: message.direction, status: message.status, at: Date.now() }));
      }
      return request;
    };
  }
})()`;

interface Stored {
  text: string;
  direction: 'in' | 'out';
  status: string;
  at: number;
}

/** A push the service took, as the bench handed it on. */
interface RelayedPush {
  to: 'Alice' | 'Bob';
  kind: string;
  at: number;
}

/**
 * The push service's other side: each push it takes, decrypted and handed at once to the worker of the device
 * whose subscription it names (as each browser's push client would), stamped when the service took it.
 */
class PushRelay {
  readonly relayed: RelayedPush[] = [];
  readonly problems: string[] = [];
  #stopped = false;
  readonly #running: Promise<void>;

  constructor(
    private readonly service: PushService,
    private readonly devices: ReadonlyArray<{ name: RelayedPush['to']; subscription: StubSubscription; client: StandInPushClient }>,
  ) {
    this.#running = this.#run();
  }

  async #run(): Promise<void> {
    for (let handled = 0; !this.#stopped; ) {
      const push = await this.service.waitFor(handled + 1, 500).catch(() => null);
      if (!push) continue;
      handled++;
      const at = Date.now();
      const device = this.devices.find((d) => d.subscription.endpoint.endsWith(`/${push.subscription}`));
      if (!device || push.problem) {
        this.problems.push(`a push the bench cannot hand on: ${push.problem ?? `to an unknown subscription ${push.subscription}`}`);
        continue;
      }
      const data = this.service.decrypt(device.subscription, push.body).toString();
      const kind = (JSON.parse(data) as { notification?: { data?: { kind?: string } } }).notification?.data?.kind ?? 'unknown';
      this.relayed.push({ to: device.name, kind, at });
      device.client.deliver(data).catch((error: unknown) => this.problems.push(`handing a push to ${device.name}'s worker: ${String(error)}`));
    }
  }

  /** The first push of `kind` to `to` after the `after` first ones. */
  after(after: number, to: RelayedPush['to'], kind: string): RelayedPush | null {
    return this.relayed.slice(after).find((push) => push.to === to && push.kind === kind) ?? null;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#running;
  }
}

/** Opens the app at `room` in a new page or reloads it, as `name`, with the conversation with `other` open, watched. */
async function openConversation(page: Page, room: string | null, name: string, other: string): Promise<void> {
  if (room) await page.goto(room);
  else await page.reload();
  const nameBox = page.getByRole('textbox', { name: 'Your name' });
  const people = page.getByRole('list', { name: 'People' });
  await nameBox.or(people).first().waitFor();
  if (await nameBox.isVisible()) {
    await nameBox.fill(name);
    await page.getByRole('button', { name: 'Join' }).click();
  }
  await people.getByRole('button', { name: new RegExp(`^${other}, `) }).click();
  await page.getByRole('heading', { name: other }).waitFor();
  await page.getByRole('list', { name: 'Messages' }).waitFor();
  await page.evaluate(WATCH_MESSAGES);
}

const marksOf = (page: Page, text: string) => page.evaluate((t) => (self as unknown as { whMarks: Record<string, Record<string, number>> }).whMarks[t] ?? null, text);
const deliveredMark = (marks: Record<string, number> | null) => {
  const at = [marks?.Delivered, marks?.Read].filter((v): v is number => v !== undefined);
  return at.length > 0 ? Math.min(...at) : null;
};

/** What a worker stamped (STAMP_SHOWN, STAMP_STORED); a worker the browser replaced meanwhile took its stamps with it. */
async function stampsOf<T>(worker: Worker, global: string, whose: string): Promise<T[]> {
  try {
    return (await worker.evaluate(`self.${global}`)) as T[];
  } catch (error) {
    throw new Error(`${whose} service worker stopped during the run (its stamps are gone): ${String(error)}`);
  }
}

/** Runs the benchmark and returns its figures. */
export async function measureMailboxDelivery(options: MailboxDeliveryOptions): Promise<MailboxDeliveryFigures> {
  const { log } = options;
  const runtime = execFileSync(SIGNAL_NODE, ['-p', 'process.version']).toString().trim();
  const loadAtStart = load();
  const service = await PushService.start();
  const signal = launchSignal({
    STATIC_DIR: join(import.meta.dirname, '../../dist'),
    VAPID_SUBJECT: 'mailto:bench@whisper.example',
    PUSH_ALLOWED_HOSTS: `localhost:${service.port}`,
    PUSH_ALLOW_PRIVATE_ADDRESSES: 'true',
    NODE_EXTRA_CA_CERTS: PUSH_SERVICE_CA,
    // A push per message and one per receipt, a hundred and more a minute to one device: the most the server allows.
    PUSHES_PER_MINUTE: '10000',
  });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  let relay: PushRelay | null = null;
  try {
    const appUrl = `http://localhost:${await signal.listening}`;
    log(`Mailbox delivery: Chromium ${browser.version()}, the signal process on Node.js ${runtime}; load average ${loadAtStart}`);
    const device = async (name: 'Alice' | 'Bob'): Promise<{ context: BrowserContext; subscription: StubSubscription; page: Page }> => {
      const context = await browser.newContext();
      const subscription = service.subscribe();
      await stubPushManager(context, service, subscription);
      await context.grantPermissions(['notifications'], { origin: appUrl });
      if (name === 'Alice') await context.addInitScript({ content: STAMP_ENTER });
      return { context, subscription, page: await context.newPage() };
    };
    const alice = await device('Alice');
    const bob = await device('Bob');
    let bobsPage: Page | null = bob.page;

    await joinAs(alice.page, appUrl, 'Alice');
    await alice.page.getByRole('button', { name: 'New room' }).click();
    await alice.page.waitForURL(/\/r\//);
    const room = alice.page.url();
    await joinAs(bob.page, room, 'Bob');
    for (const page of [alice.page, bob.page]) {
      await page.evaluate(() => navigator.serviceWorker.ready);
      const away = page.getByRole('switch', { name: /Notify me when I’m away/ });
      await away.click();
      await until(async () => ((await away.isChecked()) ? true : null), '“Notify me when I’m away”');
    }
    await openConversation(alice.page, null, 'Alice', 'Bob');
    await openConversation(bob.page, null, 'Bob', 'Alice');
    await alice.page.getByText('Direct (P2P)').waitFor();
    // Each device keeps the other's mailbox and subscription, as their proven channel handed them over.
    for (const page of [alice.page, bob.page]) {
      await until(async () => (((await page.evaluate(readStore('mailboxContacts'))) as Array<{ target?: unknown }>).some((c) => c.target) ? true : null), 'the other’s mailbox');
      await until(async () => (((await page.evaluate(readStore('contacts'))) as Array<{ push?: unknown }>).some((c) => c.push) ? true : null), 'the other’s push subscription');
    }
    const alicesBrowser = await StandInPushClient.attach(alice.context, appUrl);
    const bobsBrowser = await StandInPushClient.attach(bob.context, appUrl);
    // The push client's page opened in front of the app's: the app's tab goes back in front, as Alice's and Bob's
    // are. Behind another tab, Alice's page took about 55 ms more to store each message she sent (measured).
    await alice.page.bringToFront();
    await bob.page.bringToFront();
    relay = new PushRelay(service, [
      { name: 'Alice', subscription: alice.subscription, client: alicesBrowser },
      { name: 'Bob', subscription: bob.subscription, client: bobsBrowser },
    ]);
    const pushes = relay;
    /** A worker as it runs now, stamping what it stores and shows. */
    const stampingWorker = async (client: StandInPushClient) => {
      await client.worker('whShown', STAMP_SHOWN);
      return client.worker('whStored', STAMP_STORED);
    };

    const composer = alice.page.getByRole('textbox', { name: 'Message' });
    /** Alice writes `text` and presses Enter: when she pressed it. */
    const send = async (text: string): Promise<number> => {
      await composer.fill(text);
      await composer.press('Enter');
      return (await alice.page.evaluate('self.whEnterAt')) as number;
    };

    const bobsApp = async (mode: Mode) => {
      if (mode === 'closed') {
        await bobsPage?.close();
        bobsPage = null;
        await alice.page.getByRole('list', { name: 'People' }).getByRole('button', { name: /^Bob, offline/ }).waitFor();
      } else if (!bobsPage) {
        bobsPage = await bob.context.newPage();
        await bobsPage.bringToFront();
        await openConversation(bobsPage, room, 'Bob', 'Alice');
        await alice.page.getByText('Direct (P2P)').waitFor();
      }
    };

    const sendTo = {
      open: async (text: string): Promise<OpenMessage> => {
        const page = bobsPage!;
        const sent = await send(text);
        const onBobsPage = await until(async () => (await marksOf(page, text))?.shown ?? null, 'the message on Bob’s page');
        const delivered = await until(async () => deliveredMark(await marksOf(alice.page, text)), 'Delivered on Alice’s page');
        return { onBobsPage: onBobsPage - sent, delivered: delivered - sent };
      },
      /** The message's timings, and when Alice pressed Enter. */
      closed: async (text: string): Promise<{ timing: ClosedMessage; sent: number }> => {
        const bobsWorker = await stampingWorker(bobsBrowser);
        const alicesWorker = await stampingWorker(alicesBrowser);
        const before = pushes.relayed.length;
        const shownBefore = (await stampsOf<unknown>(alicesWorker, 'whShown', 'Alice’s')).length;
        const sent = await send(text);
        const notified = await until(async () => (await stampsOf<{ body?: string; at: number }>(bobsWorker, 'whShown', 'Bob’s')).find((s) => s.body === text)?.at ?? null, 'Bob’s notification');
        const storedByBob = (await stampsOf<Stored>(bobsWorker, 'whStored', 'Bob’s')).find((s) => s.text === text && s.direction === 'in')!.at;
        const storedDelivered = await until(
          async () => (await stampsOf<Stored>(alicesWorker, 'whStored', 'Alice’s')).find((s) => s.text === text && s.direction === 'out' && s.status === 'delivered')?.at ?? null,
          'Delivered stored by Alice’s worker',
        );
        // The quiet notification Alice's worker shows for a receipt, once it stored it: the message's work is done.
        await until(async () => ((await stampsOf<unknown>(alicesWorker, 'whShown', 'Alice’s')).length > shownBefore ? true : null), 'Alice’s worker done with the receipt');
        if (pushes.problems.length > 0) throw new Error(pushes.problems.join('; '));
        const pushForBob = pushes.after(before, 'Bob', 'message');
        const receiptPush = pushes.after(before, 'Alice', 'receipt');
        if (!pushForBob || !receiptPush) throw new Error(`the pushes of “${text}” were not seen: ${JSON.stringify(pushes.relayed.slice(before))}`);
        // Bob has seen it: the next message's notification is not an update of this one.
        await bobsWorker.evaluate('self.registration.getNotifications().then((shown) => shown.forEach((n) => n.close()))');
        const waiting = (await marksOf(alice.page, text))?.[WAITING_IN_BOBS_MAILBOX];
        const timing = {
          waiting: waiting === undefined ? null : waiting - sent,
          pushForBob: pushForBob.at - sent,
          storedByBob: storedByBob - sent,
          receiptPush: receiptPush.at - sent,
          notified: notified - sent,
          storedDelivered: storedDelivered - sent,
          deliveredOnPage: null,
        };
        return { timing, sent };
      },
    };

    const rounds: DeliveryRound[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      const openFirst = round % 2 === 1;
      const result: DeliveryRound = { openFirst, open: [], closed: [], afterReload: { delivered: 0, of: 0 } };
      for (const mode of openFirst ? (['open', 'closed'] as const) : (['closed', 'open'] as const)) {
        await bobsApp(mode);
        const texts: Array<{ text: string; sent: number }> = [];
        for (let i = -options.warmup; i < options.messages; i++) {
          const text = `Round ${round}, ${mode === 'open' ? 'open app' : 'closed app'}, message ${i + 1}: the train leaves at 7:40`;
          if (mode === 'open') {
            const timing = await sendTo.open(text);
            if (i >= 0) result.open.push(timing);
          } else {
            const { timing, sent } = await sendTo.closed(text);
            texts.push({ text, sent });
            if (i >= 0) result.closed.push(timing);
          }
        }
        if (mode === 'closed') {
          // Alice's page, open all along: did it show Delivered before Bob's app opens again? And once reloaded?
          await new Promise((resolve) => setTimeout(resolve, HOLD_MS));
          for (const [i, { text, sent }] of texts.slice(options.warmup).entries()) {
            const shown = deliveredMark(await marksOf(alice.page, text));
            result.closed[i]!.deliveredOnPage = shown === null ? null : shown - sent;
          }
          await openConversation(alice.page, null, 'Alice', 'Bob');
          const statuses = async () =>
            new Map(
              await alice.page.getByRole('list', { name: 'Messages' }).getByRole('listitem').evaluateAll((items) =>
                items.map((item) => [item.querySelector('.text')?.textContent ?? '', item.querySelector('[role="img"]')?.getAttribute('aria-label') ?? ''] as const),
              ),
            );
          const said = await until(async () => {
            const now = await statuses();
            return now.has(texts.at(-1)!.text) ? now : null;
          }, 'the conversation on Alice’s reloaded page');
          result.afterReload = { delivered: texts.filter(({ text }) => /^(Delivered|Read)$/.test(said.get(text) ?? '')).length, of: texts.length };
        }
        const run = mode === 'open' ? result.open.map((m) => m.onBobsPage) : result.closed.map((m) => m.notified);
        log(`  round ${round}, app ${mode}: ${mode === 'open' ? 'on Bob’s page' : 'Bob’s notification'} ${run.map((v) => v.toFixed(0)).join(' ')} ms`);
      }
      log(`  round ${round}: app closed median ${median(result.closed.map((m) => m.notified)).toFixed(0)} ms, app open median ${median(result.open.map((m) => m.onBobsPage)).toFixed(0)} ms; Alice’s page reloaded: ${result.afterReload.delivered} of ${result.afterReload.of} Delivered`);
      rounds.push(result);
    }
    return { settings: { rounds: options.rounds, messages: options.messages, warmup: options.warmup }, browser: browser.version(), runtime, loadAtStart, loadAtEnd: load(), rounds };
  } finally {
    await relay?.stop();
    await browser.close();
    await signal.stop();
    await service.stop();
  }
}

const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const ms = (value: number) => value.toFixed(0);
const two = (value: number) => value.toFixed(2);

/** Median (with the bootstrap 90 % interval of the median), p95 and range of `values`, as table cells. */
function cells(values: readonly number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const { low, high } = bootstrapInterval(values, median);
  return `${ms(median(values))} | ${ms(low)}–${ms(high)} | ${ms(percentile(sorted, 95))} | ${ms(sorted[0]!)}–${ms(sorted.at(-1)!)} | ${values.length}`;
}

/** The markdown tables. */
export function mailboxDeliveryReport(figures: MailboxDeliveryFigures): string {
  const { settings, rounds } = figures;
  const open = rounds.flatMap((r) => r.open);
  const closed = rounds.flatMap((r) => r.closed);
  const waiting = closed.flatMap((m) => (m.waiting === null ? [] : [m.waiting]));
  const lines = [
    `Mailbox delivery, Chromium ${figures.browser} (Alice and Bob), the signal process on Node.js ${figures.runtime}, our push service with stand-in delivery; ` +
      `${settings.rounds} rounds, each contender's run ${settings.warmup} untimed and ${settings.messages} timed messages (open first in odd rounds); ` +
      `load average ${figures.loadAtStart} at the start, ${figures.loadAtEnd} at the end.`,
    '',
    '| ms from Alice’s Enter | median | 90 % interval of the median | p95 | range | messages |',
    '|---|---|---|---|---|---|',
    `| Bob’s app open: the message on his page | ${cells(open.map((m) => m.onBobsPage))} |`,
    `| Bob’s app closed: his notification shown, with the text | ${cells(closed.map((m) => m.notified))} |`,
    `| … the push for Bob taken by the push service | ${cells(closed.map((m) => m.pushForBob))} |`,
    ...(waiting.length > 0 ? [`| … “Waiting in Bob’s mailbox” on Alice’s page | ${cells(waiting)} |`] : []),
    `| … the message stored by Bob’s worker | ${cells(closed.map((m) => m.storedByBob))} |`,
    `| … the receipt’s push for Alice taken by the push service | ${cells(closed.map((m) => m.receiptPush))} |`,
    `| Bob’s app open: Delivered on Alice’s page | ${cells(open.map((m) => m.delivered))} |`,
    `| Bob’s app closed: Delivered stored by Alice’s worker (her page open) | ${cells(closed.map((m) => m.storedDelivered))} |`,
  ];
  const ratio = (closedOf: (m: ClosedMessage) => number, openOf: (m: OpenMessage) => number) => {
    const all = median(closed.map(closedOf)) / median(open.map(openOf));
    const perRound = rounds.map((r) => median(r.closed.map(closedOf)) / median(r.open.map(openOf)));
    const spread = perRound.length > 1 ? `, range ${two(Math.min(...perRound))}–${two(Math.max(...perRound))}` : '';
    const interval = perRound.length >= 3 ? bootstrapInterval(perRound, median) : null;
    return `${two(all)} | ${two(median(perRound))}${spread}${interval ? `, 90 % interval ${two(interval.low)}–${two(interval.high)}` : ''}`;
  };
  lines.push(
    '',
    '| ratio closed / open, of the medians | all messages | per round: median |',
    '|---|---|---|',
    `| Bob reached: his notification / his page | ${ratio((m) => m.notified, (m) => m.onBobsPage)} |`,
    `| Delivered: stored by Alice’s worker / on her page | ${ratio((m) => m.storedDelivered, (m) => m.delivered)} |`,
  );
  const onPage = closed.flatMap((m) => (m.deliveredOnPage === null ? [] : [m.deliveredOnPage]));
  const reloaded = rounds.reduce((sum, r) => sum + r.afterReload.delivered, 0);
  const of = rounds.reduce((sum, r) => sum + r.afterReload.of, 0);
  lines.push(
    '',
    `Alice’s page, open while Bob’s app was closed: it showed Delivered for ${onPage.length} of ${closed.length} messages ` +
      `(watched until ${HOLD_MS / 1000} s after the run’s last Delivered was stored by her worker${onPage.length > 0 ? `; median ${ms(median(onPage))} ms from Enter` : ''}); ` +
      `reloaded after each closed run, it said Delivered for ${reloaded} of ${of} (warm-up included).`,
  );
  return lines.join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await measureMailboxDelivery(mailboxDeliveryOptionsFromEnvironment());
  console.log(`\n${mailboxDeliveryReport(figures)}`);
  // Chromium's DevTools pipe can keep the event loop alive after the browser closed.
  process.exit(0);
}
