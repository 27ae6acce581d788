/**
 * What the signal process writes about a client it refuses: the reason and a short keyed tag of the
 * address, never the address, and no more than a few lines a second however many are refused.
 */
import { afterAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { launchSignal } from '../support/signal-process.js';

const signal = launchSignal({ CONNECTIONS_PER_ADDRESS: '1', NEW_CONNECTIONS_PER_MINUTE: '100000' });
afterAll(() => signal.stop());

function connectFrom(port: number, localAddress: string): Promise<{ socket: WebSocket; closed: Promise<number> }> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`, { localAddress });
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve({ socket, closed }));
    socket.once('error', reject);
  });
}

interface LogLine {
  msg: string;
  reason?: string;
  address?: string;
  unlogged?: number;
}

it('logs a refused address as a keyed tag, the same for the same address, and at most a few lines a second in a flood', async () => {
  const port = await signal.listening;
  const held = [await connectFrom(port, '127.0.0.21'), await connectFrom(port, '127.0.0.22')];
  // 60 refusals of 127.0.0.21 and of 127.0.0.22, at once: as fast as this machine makes them.
  const started = performance.now();
  const refused = await Promise.all(Array.from({ length: 120 }, (_, i) => connectFrom(port, i % 2 === 0 ? '127.0.0.21' : '127.0.0.22')));
  expect(await Promise.all(refused.map(({ closed }) => closed))).toEqual(Array(120).fill(4008));
  const seconds = (performance.now() - started) / 1000;
  for (const { socket } of held) socket.close();

  // SIGTERM: the process ends, and the launcher hands over all it wrote.
  const { stdout } = await signal.stop();
  expect(stdout).not.toContain('127.0.0.21');
  expect(stdout).not.toContain('127.0.0.22');
  const lines = stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine)
    .filter((line) => line.msg === 'refused by the per-address limits');
  // The log bucket: ten at once, then five a second over the time the refusals took; the rest are counted in the
  // next line's `unlogged`.
  expect(lines.length).toBeGreaterThanOrEqual(2);
  expect(lines.length).toBeLessThanOrEqual(10 + Math.floor(5 * seconds));
  expect(lines.length).toBeLessThan(120);
  for (const line of lines) {
    expect(line.reason).toBe('too-many-connections');
    expect(line.address).toMatch(/^[A-Za-z0-9_-]{10}$/);
  }
  // Two addresses, two tags, each always the same.
  expect(new Set(lines.map((line) => line.address)).size).toBe(2);
});
