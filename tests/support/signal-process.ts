/**
 * Runs the signal process as it is deployed, `node build/signal/main.js`,
 * configured by environment variables, and reads the port it listens on
 * from its "listening" log line (so LOG_LEVEL must stay at info or below).
 *
 * It runs on the Node.js that runs the test, unless WH_SIGNAL_NODE names
 * another binary: the browser suites run on the machine's Node.js 20 and
 * start the server on the production runtime, Node.js 22 (tests/support/node22.sh).
 *
 * Each process gets a data directory of its own, removed once it exits, unless `env` names one (DATA_DIR):
 * a process that runs alone keeps its mailboxes there, locked to it, and test processes run side by side.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SIGNAL_MAIN = join(import.meta.dirname, '../../build/signal/main.js');

export interface SignalExit {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface SignalProcess {
  child: ChildProcess;
  /** Resolves with the port once the server listens; rejects if it exits first. */
  listening: Promise<number>;
  exited: Promise<SignalExit>;
  /** SIGTERM, then the exit. */
  stop(): Promise<SignalExit>;
}

/** The Node.js binary the signal process runs on. */
export const SIGNAL_NODE = process.env.WH_SIGNAL_NODE || process.execPath;

export interface LaunchOptions {
  /** Another copy of the compiled server (server-copy.ts): the server on another uWebSockets.js. */
  main?: string;
  /** Another Node.js binary than SIGNAL_NODE. */
  node?: string;
}

/**
 * Every person of a browser test or benchmark comes from 127.0.0.1: one address, which the default
 * per-address limits (20 connections, 30 new a minute) would hold to one household's worth for a whole
 * worker's tests. A test of those limits sets its own.
 */
export const ONE_ADDRESS_FOR_EVERYONE = {
  CONNECTIONS_PER_ADDRESS: '10000',
  NEW_CONNECTIONS_PER_MINUTE: '100000',
  JOINS_PER_MINUTE: '100000',
  TURN_CREDENTIALS_PER_HOUR: '100000',
  PUSHES_PER_ADDRESS_PER_MINUTE: '100000',
  MAILBOX_DEPOSITS_PER_MINUTE: '100000',
  MAILBOX_FETCHES_PER_MINUTE: '100000',
};

export function launchSignal(env: Record<string, string>, { main = SIGNAL_MAIN, node = SIGNAL_NODE }: LaunchOptions = {}): SignalProcess {
  if (!existsSync(main)) throw new Error(`${main} is missing: run "npm run build" first (npm test does)`);
  if (!existsSync(node)) throw new Error(`Node.js binary ${node} does not exist (WH_SIGNAL_NODE?): "bash tests/support/node22.sh path" fetches Node.js 22`);
  const ownDataDir = env.DATA_DIR === undefined ? mkdtempSync(join(tmpdir(), 'whisper-signal-')) : null;
  const child = spawn(node, [main], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', STATIC_DIR: '', ...(ownDataDir ? { DATA_DIR: ownDataDir } : {}), ...ONE_ADDRESS_FOR_EVERYONE, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<SignalExit>((resolve) =>
    child.on('exit', (code) => {
      if (ownDataDir) rmSync(ownDataDir, { recursive: true, force: true });
      resolve({ code, stdout, stderr });
    }),
  );
  const listening = new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', () => {
      const line = stdout.split('\n').find((l) => l.includes('"msg":"listening"'));
      if (line) resolve((JSON.parse(line) as { port: number }).port);
    });
    void exited.then((result) => reject(new Error(`signal exited with ${result.code}: ${result.stderr}`)));
  });
  listening.catch(() => undefined); // callers that expect a failed start only look at `exited`
  return {
    child,
    listening,
    exited,
    stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
