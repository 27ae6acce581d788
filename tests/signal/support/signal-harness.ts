/**
 * Starts a real signal server (uWebSockets.js, listening on a free loopback
 * port) inside the test process, with settings given as environment
 * variables, exactly as `signal/main.ts` reads them. Unless `env` names a DATA_DIR, the server gets one of
 * its own (its mailboxes are kept there, locked to it), removed when it stops.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { readConfig } from '../../../signal/config.js';
import { startSignalServer, type SignalServer } from '../../../signal/server.js';

export interface RunningSignal {
  server: SignalServer;
  port: number;
  httpUrl: string;
  wsUrl: string;
  /** The Origin a page served by this server sends. */
  origin: string;
  stop(): Promise<void>;
}

export async function startTestSignal(env: Record<string, string> = {}): Promise<RunningSignal> {
  const ownDataDir = env.DATA_DIR === undefined ? await mkdtemp(join(tmpdir(), 'whisper-signal-')) : null;
  const removeDataDir = async () => {
    if (ownDataDir) await rm(ownDataDir, { recursive: true, force: true });
  };
  let server: SignalServer;
  try {
    const config = readConfig({ HOST: '127.0.0.1', PORT: '0', STATIC_DIR: '', SHUTDOWN_TIMEOUT_MS: '1000', ...(ownDataDir ? { DATA_DIR: ownDataDir } : {}), ...env });
    server = await startSignalServer(config, pino({ level: process.env.SIGNAL_TEST_LOG ?? 'silent' }));
  } catch (error) {
    await removeDataDir();
    throw error;
  }
  const host = `127.0.0.1:${server.port}`;
  return {
    server,
    port: server.port,
    httpUrl: `http://${host}`,
    wsUrl: `ws://${host}/ws`,
    origin: `http://${host}`,
    stop: () => server.close().then(removeDataDir),
  };
}

/** A small built app: what `vite build` produces, in miniature, with known contents. */
export async function makeStaticSite(files: Record<string, string | Buffer>): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'whisper-static-'));
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, path);
    await mkdir(join(full, '..'), { recursive: true });
    await writeFile(full, content);
  }
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
