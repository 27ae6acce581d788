/**
 * The signal process as it is deployed: `node build/signal/main.js`, configured
 * by environment variables, stopped by SIGTERM.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { launchSignal, type SignalProcess } from '../support/signal-process.js';
import { makeStaticSite } from './support/signal-harness.js';
import { TestClient, randomRoom } from './support/test-client.js';

const running: SignalProcess[] = [];

function launch(env: Record<string, string>): SignalProcess {
  const signal = launchSignal(env);
  running.push(signal);
  return signal;
}

afterEach(() => {
  for (const { child } of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
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
