/**
 * npm run bench:signal — the Whisper signal server against the PeerJS server,
 * driven by the same load generator at the same connection count and message mix.
 *
 * Whisper runs twice: as deployed (Node.js 22 from tests/support/node22.sh, on
 * the uWebSockets.js build in package.json) and on the runtime it replaced
 * (this machine's Node.js 20, on uWS.js 20.30 from @trufflesuite/uws-js-unofficial,
 * fetched from the registry into node_modules/.cache). PeerJS and bare-uws run
 * on the deployed runtime.
 *
 * A third server, bare-uws, gives the floor under any relay on uWebSockets.js:
 * it forwards frames unread (no validation, no rooms), so what it costs is the
 * transport and the kernel, which Whisper pays too.
 *
 * The machine has two cores: each server under test is pinned to core 0, the
 * load generator (a process of its own) and this script to core 1, so the
 * server's CPU time per relayed message is read from its own process
 * (/proc/<pid>/stat) and is not mixed with the generator's.
 *
 * Every server runs BENCH_RUNS times (3), in rounds: each round runs every
 * server once, in an order that rotates by one from round to round (so each
 * is first, second, … in turn, and a machine getting busier or quieter weighs
 * on all). Each run starts a fresh load generator, which warms up (BENCH_CONNECTIONS
 * clients at BENCH_RATE for a few seconds, not measured) against a server of the
 * same kind that is then stopped, and a fresh server to measure:
 *   1. RSS per idle connection and connection setup rate: BENCH_IDLE_CONNECTIONS
 *      clients open, in rooms of two (Whisper: connected and joined; PeerJS: registered);
 *      RSS is read after a full garbage collection, before and after.
 *   2. A fixed open-loop rate (BENCH_RATE messages/s over BENCH_CONNECTIONS clients):
 *      CPU per relayed message and relay latency from each message's scheduled
 *      send to its receipt (load-generator.ts).
 *   3. Rising rates (BENCH_SWEEP) until p99 reaches 10 ms, messages are lost, or
 *      the generator itself cannot keep the schedule.
 * The run prints each server's figures per run, then their medians with range
 * and bootstrap 90 % interval, the ratios to PeerJS measured in the same round
 * (and their medians, ranges and intervals), and a verdict on Whisper's goals
 * against PeerJS (CPU per message ≤ 0.33, p99 ≤ 0.2, RSS per connection ≤ 0.25).
 * BENCH_QUICK=1 runs a small version in a few minutes.
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { copyServerWithUws } from '../../support/server-copy.js';
import { launchSignal } from '../../support/signal-process.js';
import { cpuMicros } from '../process-cpu.js';
import { explain, judge, judgeAll, sayVerdict, spread, type Goal, type Verdict } from '../statistics.js';
import type { ConnectReport, GeneratorCommand, LoadReport } from './load-generator.js';
import type { ServerKind } from './wire.js';

const quick = process.env.BENCH_QUICK === '1';
const numberFrom = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const SETTINGS = {
  idleConnections: numberFrom('BENCH_IDLE_CONNECTIONS', quick ? 1000 : 6000),
  connections: numberFrom('BENCH_CONNECTIONS', quick ? 400 : 2000),
  rate: numberFrom('BENCH_RATE', quick ? 2000 : 10_000),
  windowMs: numberFrom('BENCH_WINDOW_S', quick ? 3 : 10) * 1000,
  sweep: (process.env.BENCH_SWEEP ?? (quick ? '2000,5000' : '2500,5000,7500,10000,15000,20000,25000,30000,40000')).split(',').filter(Boolean).map(Number),
  sweepWindowMs: quick ? 2000 : 3000,
  /** Each run's warm-up: the relay connections at the fixed rate, not measured. */
  warmupMs: quick ? 1000 : 3000,
  runs: numberFrom('BENCH_RUNS', 3),
  // bare-uws: the floor, a uWS.js relay that does no protocol work at all (bare-uws-relay.mjs).
  servers: (process.env.BENCH_SERVERS ?? 'whisper-previous,whisper,peerjs,bare-uws').split(',') as ContenderName[],
  concurrency: 32,
};
/**
 * Every server gets a hook that collects its garbage on SIGUSR2 before its RSS is read, and with
 * BENCH_PROFILE_DIR=<dir>, a V8 CPU profile written there (to see where its time goes).
 */
const SERVER_ENV: Record<string, string> = {
  NODE_OPTIONS: [
    `--expose-gc --require ${join(import.meta.dirname, 'gc-on-signal.cjs')}`,
    process.env.BENCH_PROFILE_DIR ? `--require ${join(import.meta.dirname, 'cpu-profile.cjs')}` : '',
  ].join(' '),
  ...(process.env.BENCH_PROFILE_DIR ? { BENCH_PROFILE_DIR: process.env.BENCH_PROFILE_DIR } : {}),
};
/** Settings of the Whisper server for the run: room for the connections, and a per-connection rate limit above the sweep's top rate. */
const WHISPER_ENV = { MAX_CONNECTIONS: '20000', MESSAGES_PER_SECOND: '1000', MESSAGE_BURST: '1000', ...SERVER_ENV };
/** Whisper's goals against PeerJS, measured in the same round (below 1 is better). */
const GOALS: Record<'cpu' | 'p99' | 'rss', Goal> = {
  cpu: { at: 0.33, direction: 'atMost' },
  p99: { at: 0.2, direction: 'atMost' },
  rss: { at: 0.25, direction: 'atMost' },
};
const SERVER_CORE = '0';
const GENERATOR_CORE = '1';
const P99_BUDGET_MS = 10;

const REPO = join(import.meta.dirname, '../../..');
/** The uWebSockets.js build Whisper ran on before Node.js 22 (native for Node.js 20 at most). */
const PREVIOUS_UWS = '@trufflesuite/uws-js-unofficial@20.30.0-unofficial.0';

type ContenderName = 'whisper' | 'whisper-previous' | 'peerjs' | 'bare-uws';

/** A server under test: what it speaks, the Node.js it runs on, and, for Whisper on another uWS build, its copy of the server. */
interface Contender {
  name: ContenderName;
  kind: ServerKind;
  node: string;
  main?: string;
  /** Runtime and uWS.js build, for the table. */
  label: string;
}

const uwsVersion = (dir: string) => (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
const nodeVersion = (node: string) => execFileSync(node, ['-p', 'process.version']).toString().trim();

/** The previous uWS build beside a copy of the compiled server (fetched once, then kept until the next `npm ci`). */
async function previousServer(): Promise<{ main: string; version: string }> {
  const cache = join(REPO, 'node_modules/.cache/bench-previous-uws');
  const uws = join(cache, 'package');
  if (!existsSync(join(uws, 'package.json'))) {
    mkdirSync(cache, { recursive: true });
    const tarball = execFileSync('npm', ['pack', '--silent', PREVIOUS_UWS], { cwd: cache }).toString().trim().split('\n').at(-1)!;
    execFileSync('tar', ['-xzf', tarball], { cwd: cache });
  }
  return { main: await copyServerWithUws(join(cache, 'server'), { dir: uws }), version: uwsVersion(uws).replace(/-unofficial.*/, '') };
}

async function contender(name: ContenderName): Promise<Contender> {
  const deployed = execFileSync('bash', [join(REPO, 'tests/support/node22.sh'), 'path']).toString().trim();
  const current = uwsVersion(join(REPO, 'node_modules/uWebSockets.js'));
  if (name === 'whisper-previous') {
    if (!process.versions.node.startsWith('20.')) throw new Error(`whisper-previous runs on this machine's Node.js, which must be 20 (the build ${PREVIOUS_UWS} has no binary for ${process.version}); leave it out with BENCH_SERVERS`);
    const previous = await previousServer();
    return { name, kind: 'whisper', node: process.execPath, main: previous.main, label: `Node ${process.version}, uWS.js ${previous.version}` };
  }
  const kind = name === 'whisper' ? 'whisper' : name;
  return { name, kind, node: deployed, label: `Node ${nodeVersion(deployed)}${name === 'peerjs' ? '' : `, @based/uws ${current}`}` };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

/** Every process this run started, so that none outlives it (Ctrl-C, a timeout, a failure). */
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function pin(pid: number, core: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', core, String(pid)], { stdio: 'ignore' });
}

/** Share of the machine's CPU time that was busy over the next second, all processes together. */
function busyShare(): number {
  const read = () => readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1, 9).map(Number);
  const before = read();
  execFileSync('sleep', ['1']);
  const after = read();
  const delta = after.map((value, i) => value - before[i]!);
  const total = delta.reduce((a, b) => a + b, 0);
  return (100 * (total - delta[3]! - delta[4]!)) / total;
}

/** RSS once the process has collected its garbage (gc-on-signal.cjs). */
async function rssBytes(pid: number): Promise<number> {
  process.kill(pid, 'SIGUSR2');
  await sleep(500);
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.split(/\s+/)[1]) * 1024;
}

interface ServerUnderTest {
  pid: number;
  port: number;
  stop(): Promise<void>;
}

async function startServer({ kind, node, main }: Contender): Promise<ServerUnderTest> {
  if (kind === 'whisper') {
    const signal = launchSignal(WHISPER_ENV, { node, main });
    track(signal.child);
    pin(signal.child.pid!, SERVER_CORE);
    const port = await signal.listening;
    return { pid: signal.child.pid!, port, stop: async () => void (await signal.stop()) };
  }
  const script = kind === 'peerjs' ? 'peerjs-server.mjs' : 'bare-uws-relay.mjs';
  const child = track(spawn(node, [join(import.meta.dirname, script)], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...SERVER_ENV } }));
  pin(child.pid!, SERVER_CORE);
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.includes('"msg":"listening"'));
      if (line) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return {
    pid: child.pid!,
    port,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGINT');
      }),
  };
}

class Generator {
  readonly #child: ChildProcess;
  readonly #ready: Promise<void>;
  #answers: Array<(value: unknown) => void> = [];

  constructor() {
    this.#child = track(fork(join(import.meta.dirname, 'load-generator.ts'), { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    pin(this.#child.pid!, GENERATOR_CORE);
    this.#ready = new Promise((resolve) => this.#child.once('message', () => resolve()));
    this.#child.on('message', (message) => {
      if ((message as { started?: boolean }).started) return;
      this.#answers.shift()?.(message);
    });
  }

  async ask<T>(command: GeneratorCommand): Promise<T> {
    await this.#ready;
    return new Promise<T>((resolve) => {
      this.#answers.push(resolve as (value: unknown) => void);
      this.#child.send(command);
    });
  }

  stop(): void {
    this.#child.disconnect();
  }
}

interface RateResult extends LoadReport {
  rate: number;
  cpuMicrosPerMessage: number;
  /** The part of it spent in the kernel (socket reads and writes, loopback TCP). */
  systemMicrosPerMessage: number;
  serverCpu: number;
  verdict: 'ok' | 'p99 over budget' | 'messages lost' | 'generator saturated';
}

async function driveRate(generator: Generator, server: ServerUnderTest, rate: number, warmupMs: number, windowMs: number): Promise<RateResult> {
  await generator.ask({ cmd: 'load', rate });
  await sleep(warmupMs);
  await generator.ask({ cmd: 'record' });
  const cpuBefore = cpuMicros(server.pid);
  const started = performance.now();
  await sleep(windowMs);
  const report = await generator.ask<LoadReport>({ cmd: 'report' });
  const cpuAfter = cpuMicros(server.pid);
  const cpuUsed = cpuAfter.total - cpuBefore.total;
  const wall = performance.now() - started;
  await generator.ask({ cmd: 'stop-load' });
  await sleep(1000);
  const { missing } = await generator.ask<LoadReport>({ cmd: 'report' });
  // The generator's own limit: it cannot keep its schedule, or it has no core left to read replies in time.
  const verdict =
    report.scheduleLagP99 > P99_BUDGET_MS || report.generatorCpu > 0.85
      ? 'generator saturated'
      : missing > 0 || report.received < 0.99 * report.sent
        ? 'messages lost'
        : report.p99 >= P99_BUDGET_MS
          ? 'p99 over budget'
          : 'ok';
  return { ...report, missing, rate, cpuMicrosPerMessage: cpuUsed / report.received, systemMicrosPerMessage: (cpuAfter.system - cpuBefore.system) / report.received, serverCpu: cpuUsed / 1000 / wall, verdict };
}

interface ServerResult {
  contender: Contender;
  rssPerIdleConnection: number;
  setupPerSecond: number;
  setupCpuMicros: number;
  fixed: RateResult;
  sweep: RateResult[];
  sustained: number | null;
}

const ms = (value: number) => `${value.toFixed(2)} ms`;
const describeRate = (r: RateResult) =>
  `${r.rate}/s: sent ${r.sent}, received ${r.received}, from the scheduled send p50 ${ms(r.p50)} p99 ${ms(r.p99)} p99.9 ${ms(r.p999)} max ${ms(r.max)} ` +
  `(from the actual send p50 ${ms(r.fromSend.p50)} p99 ${ms(r.fromSend.p99)}), ` +
  `server ${(r.serverCpu * 100).toFixed(0)}% of a core, ${r.cpuMicrosPerMessage.toFixed(1)} us/message (${r.systemMicrosPerMessage.toFixed(1)} in the kernel); generator ${(r.generatorCpu * 100).toFixed(0)}%, lag p99 ${ms(r.scheduleLagP99)} -> ${r.verdict}`;

/**
 * A fresh load generator, warmed up (not measured) against a server of the contender's own that is then
 * stopped: the server measured next starts fresh, so that its RSS per connection is not read from a heap
 * that the warm-up has already grown.
 */
async function warmGenerator(contender: Contender): Promise<Generator> {
  const generator = new Generator();
  const server = await startServer(contender);
  try {
    const warm = await generator.ask<ConnectReport>({ cmd: 'connect', server: contender.kind, port: server.port, connections: SETTINGS.connections, concurrency: SETTINGS.concurrency });
    if (warm.failed > 0) throw new Error(`${contender.name}: ${warm.failed} of ${SETTINGS.connections} connections failed`);
    await generator.ask({ cmd: 'load', rate: SETTINGS.rate });
    await sleep(SETTINGS.warmupMs);
    await generator.ask({ cmd: 'stop-load' });
    await generator.ask({ cmd: 'disconnect' });
    return generator;
  } catch (error) {
    generator.stop();
    throw error;
  } finally {
    await server.stop();
  }
}

/** One run of one server: a fresh generator warmed up, then a fresh server and the three phases. */
async function measure(contender: Contender): Promise<ServerResult> {
  const { kind, name } = contender;
  console.log(`${name} (${contender.label}): load average ${load()}; warming up a fresh load generator`);
  const generator = await warmGenerator(contender);
  const server = await startServer(contender);
  console.log(`${name}: listening on ${server.port} (pid ${server.pid}, core ${SERVER_CORE}); opening ${SETTINGS.idleConnections} idle connections`);
  try {
    await sleep(1000);
    const rssBefore = await rssBytes(server.pid);
    const cpuBefore = cpuMicros(server.pid);
    const idle = await generator.ask<ConnectReport>({ cmd: 'connect', server: kind, port: server.port, connections: SETTINGS.idleConnections, concurrency: SETTINGS.concurrency });
    const setupCpu = cpuMicros(server.pid).total - cpuBefore.total;
    if (idle.failed > 0) throw new Error(`${name}: ${idle.failed} of ${SETTINGS.idleConnections} connections failed`);
    await sleep(3000);
    const opened = idle.opened;
    const rssPerIdleConnection = ((await rssBytes(server.pid)) - rssBefore) / opened;
    const setupPerSecond = opened / (idle.ms / 1000);
    console.log(`${name}: ${opened} idle connections, ${(rssPerIdleConnection / 1024).toFixed(2)} KiB RSS each; set up at ${setupPerSecond.toFixed(0)}/s, ${(setupCpu / opened).toFixed(0)} us of server CPU each`);
    await generator.ask({ cmd: 'disconnect' });
    await sleep(1000);

    const relay = await generator.ask<ConnectReport>({ cmd: 'connect', server: kind, port: server.port, connections: SETTINGS.connections, concurrency: SETTINGS.concurrency });
    if (relay.failed > 0) throw new Error(`${name}: ${relay.failed} of ${SETTINGS.connections} connections failed`);
    const fixed = await driveRate(generator, server, SETTINGS.rate, 2000, SETTINGS.windowMs);
    console.log(`${name}: ${SETTINGS.connections} connections, ${describeRate(fixed)}`);
    const sweep: RateResult[] = [];
    for (const rate of SETTINGS.sweep) {
      const step = await driveRate(generator, server, rate, 1000, SETTINGS.sweepWindowMs);
      sweep.push(step);
      console.log(`${name}: sweep ${describeRate(step)}`);
      if (step.verdict !== 'ok') break;
    }
    await generator.ask({ cmd: 'disconnect' });
    const passed = sweep.filter((s) => s.verdict === 'ok');
    return {
      contender,
      rssPerIdleConnection,
      setupPerSecond,
      setupCpuMicros: setupCpu / opened,
      fixed,
      sweep,
      sustained: passed.length > 0 ? passed[passed.length - 1]!.rate : null,
    };
  } finally {
    generator.stop();
    await server.stop();
  }
}

const us = (value: number) => `${value.toFixed(1)} us`;
const kib = (value: number) => `${(value / 1024).toFixed(2)} KiB`;
const perSecond = (value: number) => `${value.toFixed(0)}/s`;
const two = (value: number) => value.toFixed(2);

/** The figures of one run that the summary reads, by name, with their format. */
const FIGURES: Array<[string, (r: ServerResult) => number, (value: number) => string]> = [
  ['CPU per message', (r) => r.fixed.cpuMicrosPerMessage, us],
  ['  of which in the kernel', (r) => r.fixed.systemMicrosPerMessage, us],
  ['p50 from the scheduled send', (r) => r.fixed.p50, ms],
  ['p99 from the scheduled send', (r) => r.fixed.p99, ms],
  ['p99.9 from the scheduled send', (r) => r.fixed.p999, ms],
  ['p99 from the actual send (as measured before issue 35)', (r) => r.fixed.fromSend.p99, ms],
  ['RSS per idle connection', (r) => r.rssPerIdleConnection, kib],
  ['setup rate', (r) => r.setupPerSecond, perSecond],
  ['CPU per setup', (r) => r.setupCpuMicros, us],
];

/** Ratios of one server to another, each measured in the same round. */
const RATIOS: Array<[string, (r: ServerResult) => number, keyof typeof GOALS | null]> = [
  ['CPU per message', (r) => r.fixed.cpuMicrosPerMessage, 'cpu'],
  ['p99', (r) => r.fixed.p99, 'p99'],
  ['RSS per connection', (r) => r.rssPerIdleConnection, 'rss'],
  ['setup rate', (r) => r.setupPerSecond, null],
  ['CPU per setup', (r) => r.setupCpuMicros, null],
];

/** The rounds' figures: per server, the medians with their spread; the ratios to PeerJS (and new to old Whisper) per round; the verdict. */
function summary(rounds: ReadonlyArray<Map<ContenderName, ServerResult>>): string {
  const lines = [`${SETTINGS.rate} messages/s over ${SETTINGS.connections} connections; idle: ${SETTINGS.idleConnections} connections; ${rounds.length} runs of each server, in rotating order`];
  for (const name of SETTINGS.servers) {
    const runs = rounds.map((round) => round.get(name)!);
    lines.push('', `${name} (${runs[0]!.contender.label}):`);
    for (const [what, figure, format] of FIGURES) lines.push(`  ${what}: ${spread(runs.map(figure), format).text}`);
    lines.push(`  highest rate with p99 < 10 ms, per run: ${runs.map((r) => `${r.sustained ?? '—'}/s`).join(', ')}`);
  }
  const against = (name: ContenderName, base: ContenderName, title: string, judged: boolean) => {
    if (!SETTINGS.servers.includes(name) || !SETTINGS.servers.includes(base)) return;
    lines.push('', `${title}, each ratio measured in the same round (below 1 is better, but for the setup rate):`);
    const verdicts: Verdict[] = [];
    for (const [what, figure, goal] of RATIOS) {
      const ratios = rounds.map((round) => figure(round.get(name)!) / figure(round.get(base)!));
      const { text, interval } = spread(ratios, two);
      lines.push(`  ${what}: per round ${ratios.map(two).join(', ')}; ${text}`);
      if (judged && goal) {
        const verdict = judge(interval, GOALS[goal]);
        verdicts.push(verdict);
        lines.push(`    goal ≤ ${two(GOALS[goal].at)}: ${explain(verdict, interval, GOALS[goal], two)}`);
      }
    }
    if (judged) {
      const verdict = rounds.length < 3 ? `cannot tell from ${rounds.length} run${rounds.length === 1 ? '' : 's'} (at least 3 give an interval)` : sayVerdict(judgeAll(verdicts));
      lines.push(`  Verdict (goals against PeerJS: CPU per message ≤ 0.33, p99 ≤ 0.2, RSS per connection ≤ 0.25): ${verdict}`);
    }
  };
  against('whisper', 'peerjs', 'whisper / PeerJS', true);
  against('bare-uws', 'peerjs', 'bare-uws / PeerJS (the floor)', false);
  against('whisper-previous', 'peerjs', 'whisper-previous / PeerJS', false);
  against('whisper', 'whisper-previous', 'whisper / whisper-previous (the new runtime and build against the old)', false);
  return lines.join('\n');
}

/** The relay path's JavaScript alone (relay-path.ts), on the server's core. */
async function relayPathNanos(node: string): Promise<number> {
  const child = track(fork(join(import.meta.dirname, 'relay-path.ts'), { execPath: node, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  pin(child.pid!, SERVER_CORE);
  const [result] = (await once(child, 'message')) as [{ nsPerMessage: number }];
  child.disconnect();
  return result.nsPerMessage;
}

pin(process.pid, GENERATOR_CORE);
console.log(`machine: ${busyShare().toFixed(0)}% of both cores busy before the run (other work shares them); load average ${load()}`);
const contenders = new Map<ContenderName, Contender>();
for (const name of SETTINGS.servers) contenders.set(name, await contender(name));
for (const c of contenders.values()) {
  if (c.kind === 'whisper') console.log(`${c.name} (${c.label}): relay path in process, no sockets: ${(await relayPathNanos(c.node)).toFixed(0)} ns of JavaScript per message`);
}
const rounds: Array<Map<ContenderName, ServerResult>> = [];
for (let round = 0; round < SETTINGS.runs; round++) {
  // Round n starts with the n-th server: each is first, second, … in turn.
  const order = SETTINGS.servers.map((_, i) => SETTINGS.servers[(i + round) % SETTINGS.servers.length]!);
  console.log(`\nround ${round + 1} of ${SETTINGS.runs}: ${order.join(', ')}`);
  const results = new Map<ContenderName, ServerResult>();
  for (const name of order) results.set(name, await measure(contenders.get(name)!));
  rounds.push(results);
}
console.log(`\n${summary(rounds)}`);
console.log(`\n(load average at the end: ${load()})`);
