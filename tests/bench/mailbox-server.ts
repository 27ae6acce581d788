/**
 * npm run bench:mailbox-server — the mailbox's HTTP API (docs/protocol.md, "Mailbox (server API)") on the
 * real signal process (`build/signal/main.js`, on WH_SIGNAL_NODE: Node.js 22 as deployed), with each of its
 * stores in turn: LevelDB under a temporary DATA_DIR (a process that runs alone), then Redis (REDIS_URL, a
 * redis-server of the bench's own, keeping nothing on disk). The per-address limits are raised to their
 * maxima so that the limiter admits every request; it still runs, in the process with LevelDB and as one
 * Redis call per request with Redis.
 *
 * Each store's process gets a warm-up round (a quarter of the requests, not counted), then BENCH_RUNS rounds
 * (3). A round makes 2 × M fresh mailboxes (M = BENCH_REQUESTS / 20), each listing BENCH_WRITERS writers
 * (16), and times, with BENCH_CONCURRENCY requests in flight (16) on keep-alive connections:
 *   - the PUT of each mailbox;
 *   - BENCH_REQUESTS deposits (POST) of 1 KiB into the first M mailboxes, and as many of 16 KiB into the
 *     others: 20 entries in each mailbox;
 *   - BENCH_REQUESTS / 4 fetches (GET) of those mailboxes of 20 entries, of each size;
 *   - a DELETE of every entry, of each size.
 * Every timed phase comes right after as many GET /healthz on the same process and connections (the
 * baseline: the same client and HTTP path, no mailbox work), and is read against it. Each phase also reads
 * the CPU time the server's processes spent on it (/proc: the signal process, and redis-server), per request.
 *
 * Then what an entry takes in the store, against its own size, with BENCH_STORED entries (2000) of each size
 * in fresh mailboxes of 20:
 *   - LevelDB: the growth of DATA_DIR/mailbox while the process runs (its write-ahead log, and the tables
 *     LevelDB has written by then), and the growth of its table files once the process has stopped and the
 *     bench has compacted the whole store (classic-level's compactRange): what the entries take at rest;
 *   - Redis: the growth of INFO used_memory (the entries with their indexes), and MEMORY USAGE of the
 *     mailboxes' entry hashes alone.
 *
 * BENCH_PROFILE_DIR=<dir> has each signal process write a V8 CPU profile there (to see where its time goes).
 *
 * It prints each phase as it goes, then markdown tables (the medians of the rounds, with their ranges) and a
 * verdict on the goal of the issue, deposit and fetch at p99 < 10 ms: printed, never asserted.
 * measureMailboxServer() measures and returns the figures, mailboxServerReport() writes them up: another
 * benchmark (the browser half, `npm run bench:mailbox`) can call both.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ClassicLevel } from 'classic-level';
import { Redis } from 'ioredis';
import { launchSignal, SIGNAL_NODE, type SignalProcess } from '../support/signal-process.js';
import { terminate } from '../support/terminate.js';
import { RedisServer } from '../signal/support/redis-server.js';
import { cpuMicros } from './process-cpu.js';
import { explain, judge, judgeAll, median, percentile, sayVerdict, spread, type Goal, type Verdict } from './statistics.js';

export type MailboxStoreKind = 'leveldb' | 'redis';

export interface MailboxServerOptions {
  stores: MailboxStoreKind[];
  /** Counted rounds on each store's process, after one warm-up round. */
  rounds: number;
  /** Deposits of each size in a round (and DELETEs); a quarter as many fetches of each size. */
  requests: number;
  /** Requests in flight at once, each on a keep-alive connection of its own. */
  concurrency: number;
  /** Writers each mailbox lists (one of them deposits). */
  writers: number;
  /** Entries of each size deposited for the bytes they take in the store. */
  stored: number;
  /** The Node.js that runs the signal process. */
  node: string;
  /** Where each signal process writes a V8 CPU profile when it exits (signal/cpu-profile.cjs), or null. */
  profileDir: string | null;
  /** Where progress goes. */
  log: (line: string) => void;
}

/** The issue's goal for deposits and fetches: p99 under 10 ms. */
export const P99_GOAL: Goal = { at: 10, direction: 'atMost' };

/** Entries in each mailbox a round fills, and so in each fetch. */
const ENTRIES_PER_MAILBOX = 20;
const KIB = 1024;
/** The smallest bucket, a message; and the one above a typical message, a small attachment's worth. */
const ENTRY_SIZES = [1 * KIB, 16 * KIB] as const;
const STORE_LABELS: Record<MailboxStoreKind, string> = { leveldb: 'LevelDB', redis: 'Redis' };

/** The per-address limits at their maxima (signal/config.ts), so that none refuses a request of the bench. */
const LIMITS_OUT_OF_THE_WAY = {
  MAILBOX_DEPOSITS_PER_MINUTE: '1000000',
  MAILBOX_FETCHES_PER_MINUTE: '1000000',
};

export function mailboxServerOptionsFromEnvironment(log: (line: string) => void = console.log): MailboxServerOptions {
  const numberFrom = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
  const stores = (process.env.BENCH_STORES ?? 'leveldb,redis').split(',').filter(Boolean);
  const unknown = stores.filter((store) => !(store in STORE_LABELS));
  if (unknown.length > 0) throw new Error(`BENCH_STORES: ${unknown.join(', ')} is not one of ${Object.keys(STORE_LABELS).join(', ')}`);
  return {
    stores: stores as MailboxStoreKind[],
    rounds: numberFrom('BENCH_RUNS', 3),
    requests: numberFrom('BENCH_REQUESTS', 4000),
    concurrency: numberFrom('BENCH_CONCURRENCY', 16),
    writers: numberFrom('BENCH_WRITERS', 16),
    stored: numberFrom('BENCH_STORED', 2000),
    node: SIGNAL_NODE,
    profileDir: process.env.BENCH_PROFILE_DIR || null,
    log,
  };
}

/** One phase of requests: how fast they went, how long each took, and the CPU time the server spent on each. */
export interface Timing {
  requests: number;
  perSecond: number;
  /** In ms, from a request's send to the end of its answer. */
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** CPU time per request in µs (user and kernel, all threads; /proc counts it in 10 ms ticks): of the signal process, and of redis-server with Redis. */
  cpu: { signal: number; redis: number | null };
}

export interface PhaseFigures {
  /** What was timed, such as "POST entry of 1 KiB". */
  operation: string;
  /** A deposit or a fetch: held to P99_GOAL. */
  held: boolean;
  timing: Timing;
  /** As many GET /healthz, timed right before it on the same connections. */
  baseline: Timing;
}

/** Bytes one entry takes in the store, one figure for each of ENTRY_SIZES, as `what` says they were measured. */
export interface StorageFigures {
  what: string;
  bytesPerEntry: number[];
}

export interface StoreFigures {
  store: MailboxStoreKind;
  /** Each counted round's phases, in the order they ran. */
  rounds: PhaseFigures[][];
  storage: StorageFigures[];
}

export interface MailboxServerFigures {
  settings: Omit<MailboxServerOptions, 'log' | 'node' | 'profileDir'>;
  /** The signal process's Node.js version. */
  runtime: string;
  loadAtStart: string;
  loadAtEnd: string;
  stores: StoreFigures[];
}

interface MailboxKeys {
  id: string;
  read: string;
  capability: string;
}

/** What the client sends: a path on the server, the secret it names, and a body with its type. */
interface PlannedRequest {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  path: string;
  secret?: string;
  body?: Buffer;
  contentType?: string;
}

const newMailbox = (): MailboxKeys => ({ id: randomBytes(16).toString('base64url'), read: randomBytes(32).toString('base64url'), capability: randomBytes(32).toString('base64url') });
/** A writer as the owner lists it: base64url(SHA-256(the capability's bytes)). */
const writerOf = (secret: string) => createHash('sha256').update(Buffer.from(secret, 'base64url')).digest('base64url');
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

/** The owner's PUT of a mailbox listing `writers` writers, the first of them the capability the bench deposits with. */
function putPlan(boxes: readonly MailboxKeys[], writers: number): PlannedRequest[] {
  return boxes.map((box) => ({
    method: 'PUT',
    path: `/mailbox/${box.id}`,
    secret: box.read,
    contentType: 'application/json',
    body: Buffer.from(JSON.stringify({ writers: [box.capability, ...Array.from({ length: writers - 1 }, () => randomBytes(32).toString('base64url'))].map(writerOf) })),
  }));
}

/** `count` deposits spread in turn over `boxes`, each a different random `size` bytes (a ciphertext: nothing to compress). */
function depositPlan(boxes: readonly MailboxKeys[], count: number, size: number): PlannedRequest[] {
  return Array.from({ length: count }, (_, i) => {
    const box = boxes[i % boxes.length]!;
    return { method: 'POST', path: `/mailbox/${box.id}/entries`, secret: box.capability, contentType: 'application/octet-stream', body: randomBytes(size) };
  });
}

const fetchPlan = (boxes: readonly MailboxKeys[], count: number): PlannedRequest[] =>
  Array.from({ length: count }, (_, i) => ({ method: 'GET', path: `/mailbox/${boxes[i % boxes.length]!.id}/entries`, secret: boxes[i % boxes.length]!.read }));

const healthzPlan = (count: number): PlannedRequest[] => Array.from({ length: count }, () => ({ method: 'GET', path: '/healthz' }));

/** Requests to one server on loopback, on keep-alive connections: one per request in flight. */
class LoopbackClient {
  readonly #agent: Agent;

  constructor(
    readonly port: number,
    readonly concurrency: number,
  ) {
    this.#agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  }

  /** The answer's status, and its body if `keep` says so of the status (else an empty one). */
  send(planned: PlannedRequest, keep: (status: number) => boolean): Promise<{ status: number; body: Buffer }> {
    const headers: Record<string, string> = {};
    if (planned.secret !== undefined) headers.Authorization = `Bearer ${planned.secret}`;
    if (planned.contentType !== undefined) headers['Content-Type'] = planned.contentType;
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: this.port, method: planned.method, path: planned.path, headers, agent: this.#agent }, (res) => {
        const chunks: Buffer[] = [];
        if (keep(res.statusCode ?? 0)) res.on('data', (chunk: Buffer) => chunks.push(chunk));
        else res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(planned.body);
    });
  }

  /**
   * Sends the plan with `concurrency` requests in flight (each the moment one before it is answered), and
   * times it. Every answer must have status `expected`: a refusal would time something else than the store.
   * With `keep`, the answers' bodies, in the plan's order.
   */
  async run(plan: readonly PlannedRequest[], expected: number, keep = false): Promise<{ timing: Omit<Timing, 'cpu'>; bodies: Buffer[] }> {
    const took = new Array<number>(plan.length);
    const bodies = new Array<Buffer>(keep ? plan.length : 0);
    let next = 0;
    const worker = async () => {
      while (next < plan.length) {
        const i = next++;
        const planned = plan[i]!;
        const sent = performance.now();
        // A refusal's body says why; a body the caller does not keep is read and dropped.
        const { status, body } = await this.send(planned, (status) => keep || status !== expected);
        took[i] = performance.now() - sent;
        if (status !== expected) throw new Error(`${planned.method} ${planned.path.replace(/[A-Za-z0-9_-]{22,}/g, '<id>')}: ${status}, not ${expected}: ${body.toString().slice(0, 200)}`);
        if (keep) bodies[i] = body;
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: Math.min(this.concurrency, plan.length) }, worker));
    const seconds = (performance.now() - started) / 1000;
    const sorted = took.sort((a, b) => a - b);
    return {
      timing: { requests: plan.length, perSecond: plan.length / seconds, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted.at(-1)! },
      bodies,
    };
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** A signal process of the bench's, ready for requests, and the client that talks to it. */
interface RunningSignal {
  process: SignalProcess;
  client: LoopbackClient;
}

/** The processes that serve the mailbox: the signal process, and redis-server when it keeps the mailboxes. */
interface ServerProcesses {
  signal: number;
  redis: number | null;
}

/** Sends the plan (LoopbackClient.run) and reads the CPU time the server's processes spent meanwhile. */
async function timedRun(client: LoopbackClient, pids: ServerProcesses, plan: readonly PlannedRequest[], expected: number, keep = false): Promise<{ timing: Timing; bodies: Buffer[] }> {
  const cpu = () => ({ signal: cpuMicros(pids.signal).total, redis: pids.redis === null ? 0 : cpuMicros(pids.redis).total });
  const before = cpu();
  const { timing, bodies } = await client.run(plan, expected, keep);
  const after = cpu();
  const perRequest = (used: number) => used / plan.length;
  return { timing: { ...timing, cpu: { signal: perRequest(after.signal - before.signal), redis: pids.redis === null ? null : perRequest(after.redis - before.redis) } }, bodies };
}

async function startSignal(env: Record<string, string>, options: MailboxServerOptions): Promise<RunningSignal> {
  const profile: Record<string, string> = options.profileDir === null ? {} : { NODE_OPTIONS: `--require ${join(import.meta.dirname, 'signal/cpu-profile.cjs')}`, BENCH_PROFILE_DIR: options.profileDir };
  const process = launchSignal({ ...LIMITS_OUT_OF_THE_WAY, ...profile, ...env }, { node: options.node });
  try {
    const port = await process.listening;
    const client = new LoopbackClient(port, options.concurrency);
    // With REDIS_URL, ready once its Redis connections are up.
    for (const deadline = Date.now() + 15_000; (await client.send({ method: 'GET', path: '/readyz' }, () => false)).status !== 200; ) {
      if (Date.now() > deadline) throw new Error('the signal process did not get ready within 15 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return { process, client };
  } catch (error) {
    await terminate(process.child, process.exited, 5000);
    throw error;
  }
}

async function stopSignal({ process, client }: RunningSignal): Promise<void> {
  client.close();
  await terminate(process.child, process.exited, 10_000);
}

const ms = (value: number) => `${value.toFixed(2)} ms`;
const us = (value: number) => `${value.toFixed(0)} µs`;
const cpuText = ({ signal, redis }: Timing['cpu']) => (redis === null ? us(signal) : `${us(signal)} + Redis ${us(redis)}`);
const summarize = (t: Timing) => `${t.perSecond.toFixed(0)}/s, p50 ${ms(t.p50)} p95 ${ms(t.p95)} p99 ${ms(t.p99)} max ${ms(t.max)}, CPU ${cpuText(t.cpu)} each`;
const sizeName = (bytes: number) => `${bytes / KIB} KiB`;

/**
 * One round on a running process: fresh mailboxes, filled, fetched and emptied, each phase timed after its
 * baseline; the mailboxes are deleted at the end (not timed).
 */
async function round(client: LoopbackClient, pids: ServerProcesses, requests: number, options: MailboxServerOptions, say: (line: string) => void): Promise<PhaseFigures[]> {
  const mailboxes = Math.ceil(requests / ENTRIES_PER_MAILBOX);
  const boxes = ENTRY_SIZES.map(() => Array.from({ length: mailboxes }, newMailbox));
  const phases: PhaseFigures[] = [];
  const timed = async (operation: string, held: boolean, plan: PlannedRequest[], expected: number, keep = false) => {
    const baseline = await timedRun(client, pids, healthzPlan(plan.length), 200);
    const { timing, bodies } = await timedRun(client, pids, plan, expected, keep);
    phases.push({ operation, held, timing, baseline: baseline.timing });
    say(`${operation}: ${summarize(timing)}; GET /healthz just before: ${summarize(baseline.timing)}`);
    return bodies;
  };

  await timed(`PUT mailbox (${options.writers} writers)`, false, putPlan(boxes.flat(), options.writers), 201);
  const entries: string[][] = [];
  for (const [i, size] of ENTRY_SIZES.entries()) {
    const answers = await timed(`POST entry of ${sizeName(size)}`, true, depositPlan(boxes[i]!, mailboxes * ENTRIES_PER_MAILBOX, size), 201, true);
    entries.push(answers.map((body) => (JSON.parse(body.toString()) as { entry: string }).entry));
  }
  for (const [i, size] of ENTRY_SIZES.entries()) {
    await timed(`GET ${ENTRIES_PER_MAILBOX} entries of ${sizeName(size)}`, true, fetchPlan(boxes[i]!, Math.ceil(requests / 4)), 200);
    // What was timed was a whole mailbox each time.
    const { body } = await client.send(fetchPlan(boxes[i]!, 1)[0]!, () => true);
    const fetched = (JSON.parse(body.toString()) as { entries: Array<{ data: string }> }).entries;
    if (fetched.length !== ENTRIES_PER_MAILBOX || fetched.some((e) => Buffer.from(e.data, 'base64url').length !== size)) {
      throw new Error(`a fetched mailbox held ${fetched.length} entries, not ${ENTRIES_PER_MAILBOX} of ${size} bytes`);
    }
  }
  for (const [i, size] of ENTRY_SIZES.entries()) {
    const plan = entries[i]!.map((entry, j): PlannedRequest => {
      const box = boxes[i]![j % mailboxes]!;
      return { method: 'DELETE', path: `/mailbox/${box.id}/entries/${entry}`, secret: box.read };
    });
    await timed(`DELETE entry of ${sizeName(size)}`, false, plan, 204);
  }
  await client.run(
    boxes.flat().map((box) => ({ method: 'DELETE', path: `/mailbox/${box.id}`, secret: box.read })),
    204,
  );
  return phases;
}

/** The warm-up round, then the counted rounds, on one process. */
async function rounds(client: LoopbackClient, pids: ServerProcesses, options: MailboxServerOptions, label: string): Promise<PhaseFigures[][]> {
  options.log(`${label}: warm-up round (${Math.ceil(options.requests / 4)} deposits of each size, not counted)`);
  await round(client, pids, Math.ceil(options.requests / 4), options, () => undefined);
  const counted: PhaseFigures[][] = [];
  for (let r = 1; r <= options.rounds; r++) {
    options.log(`${label}: round ${r} of ${options.rounds} (load average ${load()})`);
    counted.push(await round(client, pids, options.requests, options, (line) => options.log(`  ${line}`)));
  }
  return counted;
}

/** Bytes of the files directly in `dir` whose names pass `which`. */
function bytesIn(dir: string, which: (name: string) => boolean = () => true): number {
  return readdirSync(dir)
    .filter(which)
    .reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
}
const tableFiles = (name: string) => name.endsWith('.ldb') || name.endsWith('.sst');

/** Compacts the whole store, which no process holds: every overwritten record and deleted key gone, every table at the bottom. */
async function compact(dir: string): Promise<void> {
  const db = new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
  await db.open();
  try {
    // Every key of the store starts with a letter and a '!' (level-mailbox-store.ts).
    await db.compactRange('\u0000', '\u007f');
  } finally {
    await db.close();
  }
}

/** The bytes an entry takes in a LevelDB store of its own (a fresh DATA_DIR), while the process runs and at rest. */
async function levelStorage(options: MailboxServerOptions): Promise<StorageFigures[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'whisper-bench-mailbox-'));
  const dir = join(dataDir, 'mailbox');
  const withProcess = async (act: (client: LoopbackClient) => Promise<void>) => {
    const signal = await startSignal({ DATA_DIR: dataDir }, options);
    try {
      await act(signal.client);
    } finally {
      await stopSignal(signal);
    }
  };
  try {
    const boxes = ENTRY_SIZES.map(() => Array.from({ length: Math.ceil(options.stored / ENTRIES_PER_MAILBOX) }, newMailbox));
    await withProcess((client) => client.run(putPlan(boxes.flat(), options.writers), 201).then(() => undefined));
    await compact(dir);
    let atRestBefore = bytesIn(dir, tableFiles);
    const running: number[] = [];
    const atRest: number[] = [];
    for (const [i, size] of ENTRY_SIZES.entries()) {
      const plan = depositPlan(boxes[i]!, options.stored, size);
      await withProcess(async (client) => {
        const before = bytesIn(dir);
        await client.run(plan, 201);
        running.push((bytesIn(dir) - before) / plan.length);
      });
      await compact(dir);
      const atRestAfter = bytesIn(dir, tableFiles);
      atRest.push((atRestAfter - atRestBefore) / plan.length);
      atRestBefore = atRestAfter;
      options.log(`LevelDB: ${plan.length} entries of ${sizeName(size)}: DATA_DIR/mailbox grew ${running.at(-1)!.toFixed(0)} bytes per entry while the process ran, its tables ${atRest.at(-1)!.toFixed(0)} once compacted`);
    }
    return [
      { what: 'DATA_DIR/mailbox growth while the process runs (write-ahead log, and the tables written by then)', bytesPerEntry: running },
      { what: 'table files after the process stopped and the store was compacted (at rest)', bytesPerEntry: atRest },
    ];
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The bytes an entry takes in Redis, deposited through the running process, read from `redis`. */
async function redisStorage(client: LoopbackClient, redis: Redis, options: MailboxServerOptions): Promise<StorageFigures[]> {
  const usedMemory = async () => Number(/^used_memory:(\d+)/m.exec(await redis.info('memory'))![1]);
  const boxes = ENTRY_SIZES.map(() => Array.from({ length: Math.ceil(options.stored / ENTRIES_PER_MAILBOX) }, newMailbox));
  await client.run(putPlan(boxes.flat(), options.writers), 201);
  const grown: number[] = [];
  const hashes: number[] = [];
  for (const [i, size] of ENTRY_SIZES.entries()) {
    const plan = depositPlan(boxes[i]!, options.stored, size);
    const before = await usedMemory();
    await client.run(plan, 201);
    grown.push(((await usedMemory()) - before) / plan.length);
    let bytes = 0;
    for (const box of boxes[i]!) bytes += Number(await redis.call('MEMORY', 'USAGE', `whisper:mailbox-entries:${box.id}`, 'SAMPLES', '0'));
    hashes.push(bytes / plan.length);
    options.log(`Redis: ${plan.length} entries of ${sizeName(size)}: used_memory grew ${grown.at(-1)!.toFixed(0)} bytes per entry, the entry hashes hold ${hashes.at(-1)!.toFixed(0)}`);
  }
  await client.run(
    boxes.flat().map((box) => ({ method: 'DELETE', path: `/mailbox/${box.id}`, secret: box.read })),
    204,
  );
  return [
    { what: 'INFO used_memory growth (the entry, its place in the mailbox\'s order and in the expiry index)', bytesPerEntry: grown },
    { what: 'MEMORY USAGE of the mailboxes\' entry hashes', bytesPerEntry: hashes },
  ];
}

async function measureStore(store: MailboxStoreKind, options: MailboxServerOptions): Promise<StoreFigures> {
  const label = STORE_LABELS[store];
  if (store === 'leveldb') {
    // A DATA_DIR of its own, removed once the process exits (signal-process.ts).
    const signal = await startSignal({}, options);
    let counted: PhaseFigures[][];
    try {
      counted = await rounds(signal.client, { signal: signal.process.child.pid!, redis: null }, options, label);
    } finally {
      await stopSignal(signal);
    }
    return { store, rounds: counted, storage: await levelStorage(options) };
  }
  const redisServer = await RedisServer.start();
  const redis = new Redis(redisServer.url);
  try {
    const signal = await startSignal({ REDIS_URL: redisServer.url }, options);
    try {
      const redisPid = Number(/^process_id:(\d+)/m.exec(await redis.info('server'))![1]);
      const counted = await rounds(signal.client, { signal: signal.process.child.pid!, redis: redisPid }, options, label);
      return { store, rounds: counted, storage: await redisStorage(signal.client, redis, options) };
    } finally {
      await stopSignal(signal);
    }
  } finally {
    redis.disconnect();
    await redisServer.stop();
  }
}

/** Runs the benchmark against each store in turn and returns its figures. */
export async function measureMailboxServer(options: MailboxServerOptions): Promise<MailboxServerFigures> {
  const settings = { stores: options.stores, rounds: options.rounds, requests: options.requests, concurrency: options.concurrency, writers: options.writers, stored: options.stored };
  const runtime = execFileSync(options.node, ['-p', 'process.version']).toString().trim();
  const loadAtStart = load();
  options.log(`Mailbox server: build/signal/main.js on Node.js ${runtime}; ${plural(settings.concurrency, 'request')} in flight; load average ${loadAtStart}`);
  const stores: StoreFigures[] = [];
  for (const store of options.stores) stores.push(await measureStore(store, options));
  return { settings, runtime, loadAtStart, loadAtEnd: load(), stores };
}

const two = (value: number) => value.toFixed(2);
const whole = (value: number) => value.toFixed(0);
const bytes = (value: number) => `${Math.round(value).toLocaleString('en-US')} B`;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The markdown tables and the verdict on P99_GOAL. */
export function mailboxServerReport(figures: MailboxServerFigures): string {
  const { settings } = figures;
  const lines = [
    `Mailbox server, ${plural(settings.rounds, 'round')} on each store after a warm-up round; ${plural(settings.concurrency, 'request')} in flight; ` +
      `${settings.requests} deposits of each size a round into mailboxes of ${ENTRIES_PER_MAILBOX} (${settings.writers} writers each), ${Math.ceil(settings.requests / 4)} fetches of each size; ` +
      `signal process on Node.js ${figures.runtime}; load average ${figures.loadAtStart} at the start, ${figures.loadAtEnd} at the end.`,
    'Medians of the rounds (with their range); each phase is read against as many GET /healthz timed right before it on the same connections. ' +
      'CPU: the signal process\'s (+ redis-server\'s) per request, in 10 ms ticks over the phase.',
    '',
    '| store | request | requests/s | p50 ms | p95 ms | p99 ms | CPU µs | /healthz requests/s | /healthz p99 ms | /healthz CPU µs | p99 / healthz p99 | requests/s / healthz requests/s |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const verdicts: string[] = [];
  const all: Verdict[] = [];
  for (const { store, rounds } of figures.stores) {
    const held: Verdict[] = [];
    const missed: string[] = [];
    for (const [i, phase] of rounds[0]!.entries()) {
      const runs = rounds.map((r) => r[i]!);
      const middle = (read: (p: PhaseFigures) => number, format: (value: number) => string) => format(median(runs.map(read)));
      const ranged = (read: (p: PhaseFigures) => number, format: (value: number) => string) => {
        const values = runs.map(read);
        return values.length > 1 ? `${format(median(values))} (${format(Math.min(...values))}–${format(Math.max(...values))})` : format(values[0]!);
      };
      const cpu = middle((p) => p.timing.cpu.signal, whole) + (phase.timing.cpu.redis === null ? '' : ` + ${middle((p) => p.timing.cpu.redis!, whole)}`);
      lines.push(
        `| ${STORE_LABELS[store]} | ${phase.operation} | ${middle((p) => p.timing.perSecond, whole)} | ${middle((p) => p.timing.p50, two)} | ${middle((p) => p.timing.p95, two)} | ${ranged((p) => p.timing.p99, two)} | ${cpu} ` +
          `| ${middle((p) => p.baseline.perSecond, whole)} | ${middle((p) => p.baseline.p99, two)} | ${middle((p) => p.baseline.cpu.signal, whole)} ` +
          `| ${ranged((p) => p.timing.p99 / p.baseline.p99, two)} | ${ranged((p) => p.timing.perSecond / p.baseline.perSecond, two)} |`,
      );
      if (!phase.held) continue;
      const { interval } = spread(runs.map((p) => p.timing.p99), ms);
      const verdict = judge(interval, P99_GOAL);
      held.push(verdict);
      if (verdict !== 'met') missed.push(`${phase.operation}: ${explain(verdict, interval, P99_GOAL, ms)}`);
    }
    const verdict = rounds.length < 3 ? 'cannot tell' : judgeAll(held);
    all.push(verdict);
    const why = rounds.length < 3 ? ` (${plural(rounds.length, 'round')}: at least 3 give an interval)` : missed.length > 0 ? ` (${missed.join('; ')})` : '';
    verdicts.push(`${STORE_LABELS[store]} ${sayVerdict(verdict)}${why}`);
  }

  lines.push('', `| store | bytes per entry, measured as | ${ENTRY_SIZES.map((size) => `entry of ${sizeName(size)}: bytes (× the entry)`).join(' | ')} |`, `|---|---|${ENTRY_SIZES.map(() => '---|').join('')}`);
  for (const { store, storage } of figures.stores) {
    for (const { what, bytesPerEntry } of storage) {
      lines.push(`| ${STORE_LABELS[store]} | ${what} | ${bytesPerEntry.map((b, i) => `${bytes(b)} (${two(b / ENTRY_SIZES[i]!)}×)`).join(' | ')} |`);
    }
  }
  lines.push(
    '',
    `Verdict (goal: deposit and fetch at p99 < ${P99_GOAL.at} ms, ${plural(settings.concurrency, 'request')} in flight; read from the rounds' bootstrap 90 % interval of the median p99): ${sayVerdict(judgeAll(all))}: ${verdicts.join('; ')}.`,
  );
  return lines.join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await measureMailboxServer(mailboxServerOptionsFromEnvironment());
  console.log(`\n${mailboxServerReport(figures)}`);
}
