/**
 * npm run bench:transfer — a real Whisper file transfer against a raw
 * DataChannel blast of the same size between the same two browsers:
 * Chromium → Chromium, Chromium → Firefox and Firefox → Chromium (Firefox ESR
 * over WebDriver BiDi), in the private network namespace. The blast does
 * nothing but send and count bytes (no storage, no hashing), in messages as
 * large as the peer takes (`RTCSctpTransport.maxMessageSize`, at most 256 KiB,
 * as Whisper's chunks); the transfer reads the file, hashes every chunk on both
 * sides, and writes it to disk.
 *
 * On a shared, noisy machine one blast and one transfer cannot say whether the
 * goal is met, so each pair runs BENCH_ROUNDS rounds (default 5) of one blast
 * and one transfer, in turns: the blast first in odd rounds, the transfer first
 * in even ones. Each round gives a ratio (Whisper's rate over the blast's) and
 * Whisper's extra CPU per MiB as a share of the blast's (all processes of the
 * browsers, from /proc). The run prints each round, then the medians with
 * their range and their bootstrap 90 % interval (the rounds resampled 10,000
 * times with a seeded generator, so that the same rounds print the same
 * interval), and a verdict on the goal (median ratio ≥ 0.90 and extra CPU
 * ≤ 15 % of the blast's): met or not met when the interval lies wholly on one
 * side, "cannot tell on this machine" when it straddles the goal.
 *
 * For a Chromium receiver it also prints the peak JS heaps and the CPU per
 * MiB by process type, and, between two Chromium pages, each page's main
 * thread. BENCH_MIB sets the size (default 256); BENCH_PAIRS picks pairs (e.g.
 * "chromium-firefox,firefox-chromium"); BENCH_THREADS=1 splits the CPU by
 * thread; BENCH_PROFILE=1 prints where the main threads of each Chromium →
 * Chromium transfer spend their time.
 *
 * BENCH_NETWORK=loss5 or cap2mb runs every round, both sides alike, under an
 * nftables rule in the namespace (tests/support/network-faults.ts): 5 % of UDP
 * packets dropped at random, or UDP capped at 2 MiB/s (what comes faster is
 * dropped). The pages reach each other over loopback, where the rule sees each
 * packet once, so data and acknowledgements lose alike; the WebSocket (TCP) is
 * left alone. The run ends with what the rule dropped.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';
import type { Browser as FirefoxBrowser } from 'puppeteer-core';
import { attachIn, entryIn, FIREFOX_PATH, FirefoxPerson, launchFirefox, openChatIn, openRoomIn } from '../e2e/firefox.js';
import { CHROMIUM_ARGS } from '../e2e/playwright.config.js';
import { networkCondition, NetworkFaults } from '../support/network-faults.js';
import { launchSignal } from '../support/signal-process.js';
import { browserTree, readProcesses } from './chromium-processes.js';
import { blast, connectRawChannel, type Evaluator } from './raw-data-channel.js';
import { explain, judge, judgeAll, median, sayVerdict, spread, type Goal } from './statistics.js';
import { joinAs, meet } from './two-people.js';

const MIB = 1024 * 1024;
const SIZE_MIB = Number(process.env.BENCH_MIB ?? 256);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const NETWORK = networkCondition(process.env.BENCH_NETWORK ?? 'none');
const RATIO_GOAL: Goal = { at: 0.9, direction: 'atLeast' };
const EXTRA_CPU_GOAL: Goal = { at: 0.15, direction: 'atMost' };
/** The sizes the goal is set at. */
const GOAL_SIZES_MIB = [256, 1024];

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

/** Which processes a pair's CPU counts: the browser processes it accepts (by command line or pid), and all below them. */
type IsOurs = (cmdline: string, pid: number) => boolean;

/** What a Chromium or Firefox process is: Chromium's `--type` (or utility sub-type), Firefox's content process type. */
function processType(cmdline: string): string {
  if (cmdline.startsWith(FIREFOX_PATH)) return `Firefox ${cmdline.includes(' -contentproc ') ? cmdline.trim().split(' ').at(-1) : 'main'}`;
  return /--utility-sub-type=(\S+)/.exec(cmdline)?.[1] ?? /--type=(\S+)/.exec(cmdline)?.[1] ?? 'browser';
}

interface CpuReading {
  pid: number;
  type: string;
  seconds: number;
}

/**
 * CPU seconds used so far by the pair's browsers, per process (or, with BENCH_THREADS, per thread name within
 * each process), each with its type: read from /proc (a persistent context has no browser-wide DevTools session,
 * and Firefox none of Chromium's).
 */
async function cpuSnapshot(isOurs: IsOurs): Promise<Map<string, CpuReading>> {
  const processes = await readProcesses();
  const snapshot = new Map<string, CpuReading>();
  for (const pid of browserTree(processes, isOurs)) {
    const p = processes.get(pid)!;
    const type = processType(p.cmdline);
    if (type === 'zygote') continue;
    if (!BY_THREAD) {
      snapshot.set(String(pid), { pid, type, seconds: p.seconds });
      continue;
    }
    let live = 0;
    for (const [thread, seconds] of await threadSeconds(pid)) {
      live += seconds;
      snapshot.set(`${pid}/${thread}`, { pid, type: `${type}/${thread}`, seconds });
    }
    // A thread that has ended (a worker closed) still counts in its process's total.
    snapshot.set(`${pid}/(ended threads)`, { pid, type: `${type}/(ended threads)`, seconds: p.seconds - live });
  }
  return snapshot;
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

/** What moving the file cost in CPU, in ms per MiB: the browsers by process type, and (two Chromium pages) each page's main thread. */
interface CpuCost {
  byType: Map<string, number>;
  total: number;
  mainThreads?: { sender: number; receiver: number };
}

/**
 * Measures CPU around `work`, which moves the file, in ms per MiB. A process that ends meanwhile is left out
 * (what it used is not known); one that starts counts from zero.
 */
async function cpuPerMiB(isOurs: IsOurs, pages: { sender: Page; receiver: Page } | null, work: () => Promise<void>): Promise<CpuCost> {
  const mainThreads = async () => (pages ? Promise.all([mainThreadSeconds(pages.sender), mainThreadSeconds(pages.receiver)]) : null);
  const [before, main0] = await Promise.all([cpuSnapshot(isOurs), mainThreads()]);
  await work();
  const [after, main1] = await Promise.all([cpuSnapshot(isOurs), mainThreads()]);
  const alive = new Set([...after.values()].map((reading) => reading.pid));
  const byType = new Map<string, number>();
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const [was, is] = [before.get(key), after.get(key)];
    const { pid, type } = (is ?? was)!;
    if (!alive.has(pid)) continue;
    byType.set(type, (byType.get(type) ?? 0) + (((is?.seconds ?? 0) - (was?.seconds ?? 0)) * 1000) / SIZE_MIB);
  }
  const total = [...byType.values()].reduce((a, b) => a + b, 0);
  if (!main0 || !main1) return { byType, total };
  return { byType, total, mainThreads: { sender: ((main1[0] - main0[0]) * 1000) / SIZE_MIB, receiver: ((main1[1] - main0[1]) * 1000) / SIZE_MIB } };
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

/** The mean over the rounds, by process type and main thread. */
function meanCost(costs: readonly CpuCost[]): CpuCost {
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / costs.length;
  const types = [...new Set(costs.flatMap((cost) => [...cost.byType.keys()]))];
  const byType = new Map(types.map((type) => [type, mean(costs.map((cost) => cost.byType.get(type) ?? 0))]));
  const threads = costs.map((cost) => cost.mainThreads).filter((m) => m !== undefined);
  const mainThreads = threads.length === costs.length ? { sender: mean(threads.map((m) => m.sender)), receiver: mean(threads.map((m) => m.receiver)) } : undefined;
  return { byType, total: mean(costs.map((cost) => cost.total)), mainThreads };
}

const describeCost = (cost: CpuCost): string => {
  const parts = [...cost.byType].filter(([, ms]) => ms >= 0.5).map(([type, ms]) => `${type} ${ms.toFixed(0)}`);
  const main = cost.mainThreads ? `; main threads: sender ${cost.mainThreads.sender.toFixed(1)}, receiver ${cost.mainThreads.receiver.toFixed(1)}` : '';
  return `${cost.total.toFixed(0)} ms per MiB (${parts.join(', ')})${main}`;
};

async function writeRandomFile(path: string, bytes: number): Promise<void> {
  const out = createWriteStream(path);
  for (let written = 0; written < bytes; written += 4 * MIB) {
    if (!out.write(randomBytes(Math.min(4 * MIB, bytes - written)))) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

/** One side of a round, the raw blast or the Whisper transfer: its rate, its CPU and, in Chromium pages, the peak JS heaps. */
interface Side {
  rate: number;
  cpu: CpuCost;
  receiverHeap?: number;
  senderHeap?: number;
}

/** Two browsers, one sending to the other, as the rounds use them. */
interface Pair {
  name: string;
  /** The browsers, with their versions. */
  versions: string;
  /** Whose processes the CPU counts. */
  cpuOf: string;
  /** Whether the goal is set for this pair (Chromium → Chromium); the others are read against it. */
  hasGoal: boolean;
  raw(): Promise<Side>;
  whisper(): Promise<Side>;
  close(): Promise<void>;
}

const bytes = SIZE_MIB * MIB;
const PAIRS = (process.env.BENCH_PAIRS ?? 'chromium-chromium,chromium-firefox,firefox-chromium').split(',');
const dir = await mkdtemp(join(tmpdir(), 'whisper-bench-'));
const signal = launchSignal({ STATIC_DIR: join(import.meta.dirname, '../../dist') });
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Marks the Chromium of the pairs with Firefox on its command line, so that its processes are found in /proc. */
const CROSS_MARKER = `--wh-bench-transfer=${process.pid}`;
/** The browsers of the pairs with Firefox, launched for the first pair that needs them. */
const cross: { chromium: Browser | null; firefox: FirefoxBrowser | null } = { chromium: null, firefox: null };
const mb = (value: number) => `${(value / MIB).toFixed(1)} MB`;

/**
 * Chromium → Chromium: the blast and the transfer between two pages of one Chromium whose profile is on disk,
 * as a person's browser is (a fresh Playwright context keeps IndexedDB and the origin private file system in
 * memory, where writing costs far more CPU than a real disk). Alice is at localhost and Bob at 127.0.0.1: two
 * origins of the same app, so two devices with their own storage, both emptied before each side of each
 * round, so that every round starts as the first. Measures the heaps and the main threads too.
 */
async function chromiumPair(url: string, file: string): Promise<Pair> {
  const profile = join(dir, 'profile');
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  const isOurs: IsOurs = (cmdline) => cmdline.includes(`--user-data-dir=${profile}`);
  const bobOrigin = url.replace('localhost', '127.0.0.1');
  // A DevTools session on the context's first (blank) page, which stays open for the pair's rounds.
  const control = await context.newCDPSession(context.pages()[0] ?? (await context.newPage()));
  const { product } = (await control.send('Browser.getVersion')) as { product: string };
  const freshDevices = async () => {
    for (const origin of [url, bobOrigin]) await control.send('Storage.clearDataForOrigin', { origin: new URL(origin).origin, storageTypes: 'all' });
  };
  return {
    name: 'Chromium → Chromium',
    versions: `Chromium ${product.split('/')[1]}`,
    cpuOf: 'Chromium',
    hasGoal: true,
    async raw() {
      await freshDevices();
      const sender = await context.newPage();
      const receiver = await context.newPage();
      await Promise.all([sender.goto(url), receiver.goto(bobOrigin)]);
      const heap = watchHeap(await context.newCDPSession(receiver));
      await connectRawChannel(sender, receiver);
      let seconds = 0;
      const cpu = await cpuPerMiB(isOurs, { sender, receiver }, async () => {
        seconds = await blast(sender, receiver, bytes);
      });
      const receiverHeap = await heap.stop();
      await sender.close();
      await receiver.close();
      return { rate: SIZE_MIB / seconds, cpu, receiverHeap };
    },
    async whisper() {
      await freshDevices();
      const { alice, bob } = await meet(await context.newPage(), await context.newPage(), url, 'both', bobOrigin);
      const chooser = alice.waitForEvent('filechooser');
      await alice.getByRole('button', { name: 'Attach file' }).click();
      await (await chooser).setFiles(file);
      const entry = bob.getByRole('list', { name: 'Messages' }).getByRole('listitem').filter({ hasText: 'bench.bin' });
      const heap = watchHeap(await context.newCDPSession(bob));
      const senderHeap = watchHeap(await context.newCDPSession(alice));
      let seconds = 0;
      const cpu = await cpuPerMiB(isOurs, { sender: alice, receiver: bob }, () =>
        profiled(alice, 'Sender', () =>
          profiled(bob, 'Receiver', async () => {
            await entry.getByRole('button', { name: 'Accept' }).click();
            const started = performance.now();
            await entry.getByText('Received and verified.').waitFor({ timeout: 30 * 60_000 });
            seconds = (performance.now() - started) / 1000;
          }),
        ),
      );
      const side = { rate: SIZE_MIB / seconds, cpu, receiverHeap: await heap.stop(), senderHeap: await senderHeap.stop() };
      await alice.close();
      await bob.close();
      return side;
    },
    close: () => context.close(),
  };
}

/**
 * Between Chromium and Firefox, one way: the blast and the transfer, each between a fresh page in each browser
 * (a fresh context in each: new devices every time). The CPU is that of both browsers.
 */
async function firefoxPair(url: string, file: string, direction: 'to-firefox' | 'from-firefox'): Promise<Pair> {
  const fox = (cross.firefox ??= await launchFirefox(dir));
  const browser = (cross.chromium ??= await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, CROSS_MARKER] }));
  const foxPid = fox.process()?.pid;
  const isOurs: IsOurs = (cmdline, pid) => pid === foxPid || cmdline.includes(`${CROSS_MARKER} `);
  const toFirefox = direction === 'to-firefox';
  return {
    name: toFirefox ? 'Chromium → Firefox' : 'Firefox → Chromium',
    versions: `Chromium ${browser.version()}, Firefox ${(await fox.version()).replace(/^firefox\//, '')}`,
    cpuOf: 'both browsers',
    hasGoal: false,
    async raw() {
      const chromiumPage = await (await browser.newContext()).newPage();
      const bob = await FirefoxPerson.open(fox, 'Bob');
      await Promise.all([chromiumPage.goto(url), bob.page.goto(url)]);
      const [sender, receiver]: [Evaluator, Evaluator] = toFirefox ? [chromiumPage, bob.page] : [bob.page, chromiumPage];
      await connectRawChannel(sender, receiver);
      let seconds = 0;
      const cpu = await cpuPerMiB(isOurs, null, async () => {
        seconds = await blast(sender, receiver, bytes);
      });
      await chromiumPage.context().close();
      await bob.close();
      return { rate: SIZE_MIB / seconds, cpu };
    },
    async whisper() {
      const alice = await (await browser.newContext()).newPage();
      const bob = await FirefoxPerson.open(fox, 'Bob');
      await joinAs(alice, url, 'Alice');
      await alice.getByRole('button', { name: 'New room' }).click();
      await alice.waitForURL(/\/r\//);
      await openRoomIn(bob, alice.url());
      await alice.getByRole('list', { name: 'People' }).getByRole('button', { name: /^Bob, / }).click();
      await openChatIn(bob, 'Alice');
      let seconds = 0;
      let cpu: CpuCost;
      if (toFirefox) {
        const chooser = alice.waitForEvent('filechooser');
        await alice.getByRole('button', { name: 'Attach file' }).click();
        await (await chooser).setFiles(file);
        const entry = await entryIn(bob, 'bench.bin', 60_000);
        cpu = await cpuPerMiB(isOurs, null, async () => {
          await bob.click('button', 'Accept', { within: entry });
          const started = performance.now();
          await bob.waitForText(entry, /Received and verified\./, 30 * 60_000);
          seconds = (performance.now() - started) / 1000;
        });
      } else {
        await attachIn(bob, file);
        const entry = alice.getByRole('list', { name: 'Messages' }).getByRole('listitem').filter({ hasText: 'bench.bin' });
        cpu = await cpuPerMiB(isOurs, null, async () => {
          await entry.getByRole('button', { name: 'Accept' }).click();
          const started = performance.now();
          await entry.getByText('Received and verified.').waitFor({ timeout: 30 * 60_000 });
          seconds = (performance.now() - started) / 1000;
        });
      }
      await alice.context().close();
      await bob.close();
      return { rate: SIZE_MIB / seconds, cpu };
    },
    close: async () => {},
  };
}

interface Round {
  raw: Side;
  whisper: Side;
  ratio: number;
  /** Whisper's CPU per MiB beyond the blast's, as a share of the blast's. */
  extraCpu: number;
}

/** The rounds of one pair, in turns: the blast first in odd rounds, the transfer first in even ones. Prints each round as it ends. */
async function runRounds(pair: Pair): Promise<Round[]> {
  const network = NETWORK.apply ? `, ${NETWORK.description} (BENCH_NETWORK=${NETWORK.name}, both sides alike)` : '';
  console.log(`${pair.name} (${pair.versions}), ${SIZE_MIB} MiB, ${ROUNDS} rounds, in the private network namespace${network}:`);
  const rounds: Round[] = [];
  for (let n = 1; n <= ROUNDS; n++) {
    const rawFirst = n % 2 === 1;
    const first = rawFirst ? await pair.raw() : await pair.whisper();
    const second = rawFirst ? await pair.whisper() : await pair.raw();
    const [raw, whisper] = rawFirst ? [first, second] : [second, first];
    const round = { raw, whisper, ratio: whisper.rate / raw.rate, extraCpu: (whisper.cpu.total - raw.cpu.total) / raw.cpu.total };
    rounds.push(round);
    console.log(
      `  round ${n} (${rawFirst ? 'raw first' : 'Whisper first'}): raw ${raw.rate.toFixed(1)} MiB/s, ${raw.cpu.total.toFixed(0)} ms CPU per MiB;` +
        ` Whisper ${whisper.rate.toFixed(1)} MiB/s, ${whisper.cpu.total.toFixed(0)} ms CPU per MiB; ratio ${round.ratio.toFixed(2)}, extra CPU ${percent(round.extraCpu)}`,
    );
  }
  return rounds;
}

const two = (value: number) => value.toFixed(2);
const percent = (share: number) => `${(100 * share).toFixed(0)} %`;

/** A figure of the rounds: its median, its range and the bootstrap 90 % interval of the median. */
function report(pair: Pair, rounds: readonly Round[]): void {
  const ratio = spread(rounds.map((r) => r.ratio), two);
  const extra = spread(rounds.map((r) => r.extraCpu), percent);
  console.log(`  ratio Whisper / raw: ${ratio.text}`);
  console.log(`  CPU per MiB (all processes of ${pair.cpuOf}): raw median ${median(rounds.map((r) => r.raw.cpu.total)).toFixed(0)} ms, Whisper median ${median(rounds.map((r) => r.whisper.cpu.total)).toFixed(0)} ms`);
  console.log(`  Whisper's extra CPU per MiB, as a share of the raw blast's: ${extra.text}`);
  console.log(`  raw blast CPU, mean of the rounds: ${describeCost(meanCost(rounds.map((r) => r.raw.cpu)))}`);
  console.log(`  Whisper CPU, mean of the rounds:   ${describeCost(meanCost(rounds.map((r) => r.whisper.cpu)))}`);
  const peak = (heaps: Array<number | undefined>) => (heaps.every((h) => h !== undefined) ? mb(Math.max(...heaps)) : null);
  const rawHeap = peak(rounds.map((r) => r.raw.receiverHeap));
  const receiverHeap = peak(rounds.map((r) => r.whisper.receiverHeap));
  const senderHeap = peak(rounds.map((r) => r.whisper.senderHeap));
  if (rawHeap && receiverHeap && senderHeap) console.log(`  peak JS heaps over the rounds: raw receiver ${rawHeap}; Whisper receiver ${receiverHeap}, sender ${senderHeap}`);

  const ratioVerdict = judge(ratio.interval, RATIO_GOAL);
  const extraVerdict = judge(extra.interval, EXTRA_CPU_GOAL);
  const verdict = ROUNDS < 3 ? `cannot tell from ${ROUNDS} round${ROUNDS === 1 ? '' : 's'} (at least 3 give an interval)` : sayVerdict(judgeAll([ratioVerdict, extraVerdict]));
  const goal = 'median ratio ≥ 0.90 and extra CPU ≤ 15 % of the raw blast’s, at 256 MiB and 1 GiB';
  const size = NETWORK.apply
    ? ` (the goal is set for a network that loses nothing; this run, ${NETWORK.description}, is read against it)`
    : GOAL_SIZES_MIB.includes(SIZE_MIB)
      ? ''
      : ` (this run is ${SIZE_MIB} MiB: a check of the method, not of the goal)`;
  if (pair.hasGoal) console.log(`  Verdict (goal: ${goal}): ${verdict}${size}`);
  else console.log(`  Read against the Chromium → Chromium goal (none is set for this pair): ${verdict}`);
  console.log(`    ratio: ${explain(ratioVerdict, ratio.interval, RATIO_GOAL, two)}`);
  console.log(`    extra CPU: ${explain(extraVerdict, extra.interval, EXTRA_CPU_GOAL, percent)}`);
}

const faults = NETWORK.apply ? await NetworkFaults.open() : null;
try {
  const rule = faults && NETWORK.apply ? await NETWORK.apply(faults) : null;
  const port = await signal.listening;
  const url = `http://localhost:${port}/`;
  const file = join(dir, 'bench.bin');
  await writeRandomFile(file, bytes);
  for (const name of PAIRS) {
    let pair: Pair;
    if (name === 'chromium-chromium') pair = await chromiumPair(url, file);
    else if (name === 'chromium-firefox') pair = await firefoxPair(url, file, 'to-firefox');
    else if (name === 'firefox-chromium') pair = await firefoxPair(url, file, 'from-firefox');
    else throw new Error(`unknown pair ${name} (chromium-chromium, chromium-firefox, firefox-chromium)`);
    try {
      const rounds = await runRounds(pair);
      report(pair, rounds);
    } finally {
      await pair.close();
    }
  }
  if (rule) console.log(`The rule (${rule.description}) dropped ${await rule.packets()} packets over the run.`);
} finally {
  await faults?.close();
  await cross.firefox?.close();
  await cross.chromium?.close();
  await signal.stop();
  await rm(dir, { recursive: true, force: true });
}
