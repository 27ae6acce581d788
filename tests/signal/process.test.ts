/**
 * The signal process as it is deployed: `node build/signal/main.js`, configured
 * by environment variables, stopped by SIGTERM.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { copyServerWithUws } from '../support/server-copy.js';
import { launchSignal, type SignalProcess } from '../support/signal-process.js';
import { makeStaticSite } from './support/signal-harness.js';
import { TestClient, randomRoom } from './support/test-client.js';

const REPO = join(import.meta.dirname, '../..');
const running: SignalProcess[] = [];
const folders: string[] = [];

function launch(env: Record<string, string>, main?: string): SignalProcess {
  const signal = launchSignal(env, { main });
  running.push(signal);
  return signal;
}

async function serverWithUws(files: Record<string, string>): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'whisper-uws-'));
  folders.push(folder);
  return copyServerWithUws(folder, { files });
}

afterEach(async () => {
  for (const { child } of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

describe('signal process', () => {
  it('refuses to start when uWebSockets.js has no native binary for this Node.js, naming the missing file in one line', async () => {
    // The real package, less its binaries: what a Node.js major, platform or libc it was not built for meets.
    const real = join(REPO, 'node_modules/uWebSockets.js');
    const files: Record<string, string> = {};
    for (const name of ['package.json', 'uws.js', 'ESM_wrapper.mjs']) files[name] = await readFile(join(real, name), 'utf8');
    const result = await launch({}, await serverWithUws(files)).exited;
    expect(result.code).toBe(1);
    const core = `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
    expect(result.stderr.trim()).toMatch(new RegExp(`^whisper-signal: uWebSockets.js did not load its native core for Node.js ${process.version} .*${core.replace(/\./g, '\\.')}.*"engines"`));
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('refuses to start on a JavaScript stand-in for uWebSockets.js, saying why', async () => {
    // What builds with a JavaScript fallback load when their binary does not: an App that is not native code.
    const fallback = 'exports.App = function App() { return {}; };\nexports.SSLApp = function SSLApp() { return {}; };\n';
    const main = await serverWithUws({ 'package.json': JSON.stringify({ name: 'uws-fallback', main: 'index.cjs' }), 'index.cjs': fallback });
    const result = await launch({}, main).exited;
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(/^whisper-signal: uWebSockets.js did not load its native core .*: it fell back to a JavaScript implementation; /);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('starts on the native core of this Node.js', async () => {
    const { listening } = launch({});
    expect(await listening).toBeGreaterThan(0);
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
