/**
 * The signal process as it is deployed: `node build/signal/main.js`, configured
 * by environment variables, stopped by SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeStaticSite } from './support/signal-harness.js';
import { TestClient, randomRoom } from './support/test-client.js';

const MAIN = join(import.meta.dirname, '../../build/signal/main.js');
const running: ChildProcess[] = [];

interface Exited {
  code: number | null;
  stdout: string;
  stderr: string;
}

function launch(env: Record<string, string>) {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', STATIC_DIR: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<Exited>((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  const listening = new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', () => {
      const line = stdout.split('\n').find((l) => l.includes('"msg":"listening"'));
      if (line) resolve((JSON.parse(line) as { port: number }).port);
    });
    void exited.then((result) => reject(new Error(`exited with ${result.code}: ${result.stderr}`)));
  });
  listening.catch(() => undefined); // tests that expect a failed start only look at `exited`
  return { child, exited, listening };
}

beforeAll(() => {
  if (!existsSync(MAIN)) throw new Error('build/signal/main.js is missing: run "npm run build" first (npm test does)');
});

afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('signal process', () => {
  it('refuses to start on the slow JavaScript fallback of uWebSockets.js, saying why', async () => {
    const { exited } = launch({ UWS_USE_FALLBACK: '1' });
    const result = await exited;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('uWebSockets.js did not load its native core');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses a bad setting with one clear line', async () => {
    const result = await launch({ PORT: 'http' }).exited;
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('whisper-signal: invalid configuration: PORT: must be a number');
  });

  it('refuses to serve without a built app', async () => {
    const result = await launch({ STATIC_DIR: '/nonexistent/dist' }).exited;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no built app in /nonexistent/dist: run "npm run build" first');
  });

  it('serves the app and signaling, and on SIGTERM asks clients to reconnect (1012) and exits cleanly', async () => {
    const site = await makeStaticSite({ 'index.html': '<!doctype html><title>Whisper</title>' });
    try {
      const { child, exited, listening } = launch({ STATIC_DIR: site.dir });
      const port = await listening;
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toContain('<title>Whisper</title>');
      const room = randomRoom();
      const [alice] = await TestClient.join(`ws://127.0.0.1:${port}/ws`, room, 'Alice');
      const [bob] = await TestClient.join(`ws://127.0.0.1:${port}/ws`, room, 'Bob');

      child.kill('SIGTERM');
      expect(await alice.closed).toEqual({ code: 1012, reason: 'server restarting' });
      expect(await bob.closed).toEqual({ code: 1012, reason: 'server restarting' });
      const result = await exited;
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('"msg":"stopped"');
      await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    } finally {
      await site.remove();
    }
  });

  it('logs no display names, room ids or message contents', async () => {
    const { child, exited, listening } = launch({ LOG_LEVEL: 'debug', RESUME_GRACE_MS: '0' });
    const port = await listening;
    const room = randomRoom();
    const [alice, a] = await TestClient.join(`ws://127.0.0.1:${port}/ws`, room, 'Alice Secretname');
    const [bob] = await TestClient.join(`ws://127.0.0.1:${port}/ws`, room, 'Bob');
    bob.send({ type: 'signal', to: a.id, data: { sdp: 'very-private-sdp' } });
    await alice.next('signal');
    bob.send({ type: 'leave' });
    await alice.next('peer-left');
    alice.close();
    child.kill('SIGTERM');
    const { stdout } = await exited;
    expect(stdout).toContain('"msg":"joined"');
    for (const secret of ['Secretname', room, 'very-private-sdp']) expect(stdout).not.toContain(secret);
  });
});
