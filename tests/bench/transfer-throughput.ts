/**
 * npm run bench:transfer — a real Whisper file transfer against a raw
 * DataChannel blast of the same size, in one run, between the same two
 * browsers: Chromium → Chromium, Chromium → Firefox and Firefox → Chromium
 * (Firefox ESR over WebDriver BiDi), in the private network namespace. The
 * blast does nothing but send and count bytes (no storage, no hashing), in
 * messages as large as the peer takes (`RTCSctpTransport.maxMessageSize`, at
 * most 256 KiB, as Whisper's chunks); the transfer reads the file, hashes every
 * chunk and the whole file on both sides, and writes it to disk. Between two
 * Chromium pages the blast runs before and after the transfer, and the baseline
 * is the mean of the two.
 * Prints the throughputs, their ratio and, for a Chromium receiver, the peak
 * JS heaps (receiver, and the sender's in the transfer) and the CPU per MiB
 * (all of Chromium by process type, and each page's main thread). BENCH_MIB
 * sets the size (default 256); BENCH_PAIRS picks pairs (e.g.
 * "chromium-firefox,firefox-chromium"); BENCH_THREADS=1 splits the CPU by
 * thread; BENCH_PROFILE=1 prints where the main threads of a Chromium →
 * Chromium transfer spend their time.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { chromium, type CDPSession, type Page } from 'playwright-core';
import type { Browser as FirefoxBrowser } from 'puppeteer-core';
import { attachIn, entryIn, FirefoxPerson, launchFirefox, openChatIn, openRoomIn } from '../e2e/firefox.js';
import { CHROMIUM_ARGS } from '../e2e/playwright.config.js';
import { launchSignal } from '../support/signal-process.js';
import { browserTree, readProcesses } from './chromium-processes.js';
import { blast, connectRawChannel, type Evaluator } from './raw-data-channel.js';
import { joinAs, meet } from './two-people.js';

const MIB = 1024 * 1024;
const SIZE_MIB = Number(process.env.BENCH_MIB ?? 256);

/** Samples the page's JS heap until stopped; resolves with the peak in bytes. */
function watchHeap(cdp: CDPSession): { stop(): Promise<number> } {
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const { usedSize } = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
      peak = Math.max(peak, usedSize);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return peak;
    },
  };
}

/**
 * CPU seconds used so far by the Chromium instances started with these profile folders, all their processes
 * by type (browser, renderer, gpu-process, the network service...), read from /proc (a persistent context
 * has no browser-wide DevTools session).
 */
async function cpuByType(profiles: readonly string[]): Promise<Map<string, number>> {
  const processes = await readProcesses();
  const ours = browserTree(processes, (cmdline) => profiles.some((dir) => cmdline.includes(`--user-data-dir=${dir}`)));
  const byType = new Map<string, number>();
  const add = (key: string, seconds: number) => byType.set(key, (byType.get(key) ?? 0) + seconds);
  for (const pid of ours) {
    const p = processes.get(pid)!;
    const type = /--utility-sub-type=(\S+)/.exec(p.cmdline)?.[1] ?? /--type=(\S+)/.exec(p.cmdline)?.[1] ?? 'browser';
    if (type === 'zygote') continue;
    if (!BY_THREAD) {
      add(type, p.seconds);
      continue;
    }
    let live = 0;
    for (const [thread, seconds] of await threadSeconds(pid)) {
      live += seconds;
      add(`${type}/${thread}`, seconds);
    }
    // A thread that has ended (a worker closed) still counts in its process's total.
    add(`${type}/(ended threads)`, p.seconds - live);
  }
  return byType;
}

/** BENCH_THREADS=1: CPU reported by thread name within each process type (e.g. renderer/DedicatedWorker thread). */
const BY_THREAD = Boolean(process.env.BENCH_THREADS);

/** CPU seconds of each thread of a process so far, summed by thread name (digits dropped: pools count as one). */
async function threadSeconds(pid: number): Promise<Map<string, number>> {
  const byName = new Map<string, number>();
  for (const tid of await readdir(`/proc/${pid}/task`).catch(() => [])) {
    try {
      const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/\d+/g, '');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      byName.set(name, (byName.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // Gone meanwhile.
    }
  }
  return byName;
}

/** One DevTools session per page, with its Performance domain on from the first reading. */
const performanceSessions = new WeakMap<Page, Promise<CDPSession>>();

/** Seconds the page's main thread spent in tasks so far (CDP Performance metrics, counted from the first call). */
async function mainThreadSeconds(page: Page): Promise<number> {
  let session = performanceSessions.get(page);
  if (!session) {
    session = page
      .context()
      .newCDPSession(page)
      .then(async (cdp) => {
        await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
        return cdp;
      });
    performanceSessions.set(page, session);
  }
  const { metrics } = (await (await session).send('Performance.getMetrics')) as { metrics: Array<{ name: string; value: number }> };
  return metrics.find((m) => m.name === 'TaskDuration')?.value ?? 0;
}

/** What a transfer cost in CPU, per MiB moved: all of Chromium by process type, and each page's main thread. */
interface CpuCost {
  byType: Map<string, number>;
  sender: number;
  receiver: number;
}

/** Measures CPU around `work` (which moves `mib` MiB from `sender` to `receiver`), in ms per MiB. */
async function cpuPerMiB(profiles: readonly string[], sender: Page, receiver: Page, mib: number, work: () => Promise<void>): Promise<CpuCost> {
  const [before, s0, r0] = await Promise.all([cpuByType(profiles), mainThreadSeconds(sender), mainThreadSeconds(receiver)]);
  await work();
  const [after, s1, r1] = await Promise.all([cpuByType(profiles), mainThreadSeconds(sender), mainThreadSeconds(receiver)]);
  const byType = new Map([...after].map(([type, seconds]) => [type, ((seconds - (before.get(type) ?? 0)) * 1000) / mib]));
  return { byType, sender: ((s1 - s0) * 1000) / mib, receiver: ((r1 - r0) * 1000) / mib };
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

/**
 * With BENCH_PROFILE=1: the page's main thread sampled (CDP Profiler) around `work`, printed as a table of
 * the functions where it spent its own time, by share of the samples.
 */
async function profiled(page: Page, who: string, work: () => Promise<void>): Promise<void> {
  if (!process.env.BENCH_PROFILE) return work();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
  await cdp.send('Profiler.start');
  await work();
  const { profile } = (await cdp.send('Profiler.stop')) as { profile: { nodes: ProfileNode[]; samples: number[] } };
  await cdp.detach();
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  for (const id of profile.samples) {
    const frame = byNode.get(id)!.callFrame;
    const file = frame.url.split('/').pop() || '(native)';
    const name = `${frame.functionName || '(anonymous)'} ${file}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
    self.set(name, (self.get(name) ?? 0) + 1);
  }
  const total = profile.samples.length;
  console.log(`  ${who}'s main thread, by self time (${total} samples):`);
  for (const [name, count] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`    ${((100 * count) / total).toFixed(1).padStart(5)} %  ${name}`);
}

/** The mean of two measurements of the same work. */
const meanCost = (a: CpuCost, b: CpuCost): CpuCost => ({
  byType: new Map([...new Set([...a.byType.keys(), ...b.byType.keys()])].map((type) => [type, ((a.byType.get(type) ?? 0) + (b.byType.get(type) ?? 0)) / 2])),
  sender: (a.sender + b.sender) / 2,
  receiver: (a.receiver + b.receiver) / 2,
});

const describeCost = (cost: CpuCost): string => {
  const total = [...cost.byType.values()].reduce((a, b) => a + b, 0);
  const parts = [...cost.byType].filter(([, ms]) => ms >= 0.5).map(([type, ms]) => `${type} ${ms.toFixed(0)}`);
  return `${total.toFixed(0)} ms CPU per MiB (${parts.join(', ')}); main threads: sender ${cost.sender.toFixed(1)}, receiver ${cost.receiver.toFixed(1)}`;
};

async function rawBlast(sender: Evaluator, receiver: Evaluator, bytes: number): Promise<number> {
  await connectRawChannel(sender, receiver);
  return blast(sender, receiver, bytes);
}

async function writeRandomFile(path: string, bytes: number): Promise<void> {
  const out = createWriteStream(path);
  for (let written = 0; written < bytes; written += 4 * MIB) {
    if (!out.write(randomBytes(Math.min(4 * MIB, bytes - written)))) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

const bytes = SIZE_MIB * MIB;
const PAIRS = (process.env.BENCH_PAIRS ?? 'chromium-chromium,chromium-firefox,firefox-chromium').split(',');
const dir = await mkdtemp(join(tmpdir(), 'whisper-bench-'));
const signal = launchSignal({ STATIC_DIR: join(import.meta.dirname, '../../dist') });
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
/** Launched for the first pair that needs it. */
const firefox: { browser: FirefoxBrowser | null } = { browser: null };
const mib = (value: number) => `${(value / MIB).toFixed(1)} MB`;

interface Result {
  pair: string;
  raw: number;
  whisper: number;
  rawHeap: string;
  heap: string;
  /** The sender's peak JS heap in the transfer (Chromium only). */
  senderHeap?: string;
  rawCpu?: CpuCost;
  /** The raw blasts the baseline is the mean of (before and after the transfer). */
  rawRuns?: [number, number];
  cpu?: CpuCost;
}

/**
 * Chromium → Chromium: the blast and the transfer between two pages of one Chromium whose profile is on disk,
 * as a person's browser is (a fresh Playwright context keeps IndexedDB and the origin private file system in
 * memory, where writing costs far more CPU than a real disk). Alice is at localhost and Bob at 127.0.0.1: two
 * origins of the same app, so two devices with their own storage. Reports the receiver's heap.
 */
async function chromiumToChromium(url: string, file: string): Promise<Result> {
  const profiles = [join(dir, 'profile')];
  const context = await chromium.launchPersistentContext(profiles[0]!, { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  const bobOrigin = url.replace('localhost', '127.0.0.1');
  /** One raw blast between two new pages (Alice's origin to Bob's): MiB/s, its CPU and the receiver's peak heap. */
  const blast = async (): Promise<{ rate: number; cpu: CpuCost; heap: number }> => {
    const rawSender = await context.newPage();
    const rawReceiver = await context.newPage();
    await Promise.all([rawSender.goto(url), rawReceiver.goto(bobOrigin)]);
    const rawHeap = watchHeap(await context.newCDPSession(rawReceiver));
    let rawSeconds = 0;
    const cpu = await cpuPerMiB(profiles, rawSender, rawReceiver, SIZE_MIB, async () => {
      rawSeconds = await rawBlast(rawSender, rawReceiver, bytes);
    });
    const heap = await rawHeap.stop();
    await rawSender.close();
    await rawReceiver.close();
    return { rate: SIZE_MIB / rawSeconds, cpu, heap };
  };
  try {
    // A raw blast before the transfer and one after: the baseline is their mean, so that the machine's
    // drift over the run (a shared, noisy one) weighs on both sides of the ratio alike.
    const before = await blast();
    const { alice, bob } = await meet(await context.newPage(), await context.newPage(), url, 'both', bobOrigin);
    const chooser = alice.waitForEvent('filechooser');
    await alice.getByRole('button', { name: 'Attach file' }).click();
    await (await chooser).setFiles(file);
    const entry = bob.getByRole('list', { name: 'Messages' }).getByRole('listitem').filter({ hasText: 'bench.bin' });
    const heap = watchHeap(await context.newCDPSession(bob));
    const senderHeap = watchHeap(await context.newCDPSession(alice));
    let whisperSeconds = 0;
    const cpu = await cpuPerMiB(profiles, alice, bob, SIZE_MIB, () =>
      profiled(alice, 'Sender', () =>
        profiled(bob, 'Receiver', async () => {
          await entry.getByRole('button', { name: 'Accept' }).click();
          const started = performance.now();
          await entry.getByText('Received and verified.').waitFor({ timeout: 30 * 60_000 });
          whisperSeconds = (performance.now() - started) / 1000;
        }),
      ),
    );
    const peak = await heap.stop();
    const senderPeak = await senderHeap.stop();
    await alice.close();
    await bob.close();
    const after = await blast();
    return {
      pair: 'Chromium → Chromium',
      raw: (before.rate + after.rate) / 2,
      rawRuns: [before.rate, after.rate],
      whisper: SIZE_MIB / whisperSeconds,
      // The page before the transfer: the one after loads an origin that has stored a room by then.
      rawHeap: mib(before.heap),
      heap: mib(peak),
      senderHeap: mib(senderPeak),
      rawCpu: meanCost(before.cpu, after.cpu),
      cpu,
    };
  } finally {
    await context.close();
  }
}

/** Between Chromium and Firefox, one way: the blast, then the transfer, each between a fresh page in each browser. */
async function withFirefox(url: string, file: string, direction: 'to-firefox' | 'from-firefox'): Promise<Result> {
  const launched = (firefox.browser ??= await launchFirefox(dir));
  const chromiumPage = await (await browser.newContext()).newPage();
  const fox = await FirefoxPerson.open(launched, 'Bob');
  await Promise.all([chromiumPage.goto(url), fox.page.goto(url)]);
  const rawSeconds = direction === 'to-firefox' ? await rawBlast(chromiumPage, fox.page, bytes) : await rawBlast(fox.page, chromiumPage, bytes);
  await chromiumPage.context().close();
  await fox.close();

  const alice = await (await browser.newContext()).newPage();
  const bob = await FirefoxPerson.open(launched, 'Bob');
  await joinAs(alice, url, 'Alice');
  await alice.getByRole('button', { name: 'New room' }).click();
  await alice.waitForURL(/\/r\//);
  await openRoomIn(bob, alice.url());
  await alice.getByRole('list', { name: 'People' }).getByRole('button', { name: /^Bob, / }).click();
  await openChatIn(bob, 'Alice');
  let whisperSeconds: number;
  if (direction === 'to-firefox') {
    const chooser = alice.waitForEvent('filechooser');
    await alice.getByRole('button', { name: 'Attach file' }).click();
    await (await chooser).setFiles(file);
    const entry = await entryIn(bob, 'bench.bin', 60_000);
    await bob.click('button', 'Accept', { within: entry });
    const started = performance.now();
    await bob.waitForText(entry, /Received and verified\./, 30 * 60_000);
    whisperSeconds = (performance.now() - started) / 1000;
  } else {
    await attachIn(bob, file);
    const entry = alice.getByRole('list', { name: 'Messages' }).getByRole('listitem').filter({ hasText: 'bench.bin' });
    await entry.getByRole('button', { name: 'Accept' }).click();
    const started = performance.now();
    await entry.getByText('Received and verified.').waitFor({ timeout: 30 * 60_000 });
    whisperSeconds = (performance.now() - started) / 1000;
  }
  await alice.context().close();
  await bob.close();
  const pair = direction === 'to-firefox' ? 'Chromium → Firefox' : 'Firefox → Chromium';
  return { pair, raw: SIZE_MIB / rawSeconds, whisper: SIZE_MIB / whisperSeconds, rawHeap: 'n/a', heap: 'n/a' };
}

try {
  const port = await signal.listening;
  const url = `http://localhost:${port}/`;
  const file = join(dir, 'bench.bin');
  await writeRandomFile(file, bytes);
  const results: Result[] = [];
  for (const pair of PAIRS) {
    if (pair === 'chromium-chromium') results.push(await chromiumToChromium(url, file));
    else if (pair === 'chromium-firefox') results.push(await withFirefox(url, file, 'to-firefox'));
    else if (pair === 'firefox-chromium') results.push(await withFirefox(url, file, 'from-firefox'));
    else throw new Error(`unknown pair ${pair} (chromium-chromium, chromium-firefox, firefox-chromium)`);
  }
  console.log(`File transfer of ${SIZE_MIB} MiB in the private network namespace (Chromium ${browser.version()}${firefox.browser ? `, ${await firefox.browser.version()}` : ''}):`);
  for (const r of results) {
    console.log(`  ${r.pair}:`);
    const runs = r.rawRuns ? ` (mean of ${r.rawRuns.map((rate) => rate.toFixed(1)).join(' before and ')} after)` : '';
    console.log(`    raw DataChannel blast: ${r.raw.toFixed(1)} MiB/s${runs}, receiver peak JS heap ${r.rawHeap}`);
    console.log(`    Whisper transfer:      ${r.whisper.toFixed(1)} MiB/s (hashed, stored, verified), receiver peak JS heap ${r.heap}${r.senderHeap ? `, sender ${r.senderHeap}` : ''}`);
    console.log(`    ratio Whisper / raw:   ${(r.whisper / r.raw).toFixed(2)}`);
    if (r.rawCpu) console.log(`    raw blast CPU:         ${describeCost(r.rawCpu)}`);
    if (r.cpu) console.log(`    Whisper CPU:           ${describeCost(r.cpu)}`);
  }
} finally {
  await firefox.browser?.close();
  await browser.close();
  await signal.stop();
  await rm(dir, { recursive: true, force: true });
}
