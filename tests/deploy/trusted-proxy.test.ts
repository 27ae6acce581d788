/**
 * Whom the per-address limits count a client as, in the deployed topology: the
 * real Caddy on the repo's Caddyfile (tests/support/caddy-process.ts) in front of
 * the real signal process, which believes X-Forwarded-For from Caddy alone
 * (TRUSTED_PROXIES=127.0.0.1/32: Caddy reaches it from 127.0.0.1 here, as it
 * reaches it from the compose network in docker-compose.yml).
 *
 * People come from loopback addresses of their own (127.0.0.2, 127.0.0.3...), as
 * people on different networks do, and the signal process lets two sockets per
 * address in. Were Caddy's header not believed, everyone would be Caddy's
 * 127.0.0.1 and share those two; were the client's own header believed, anyone
 * could name a fresh address for each socket and never be limited.
 */
import { createServer, type Server } from 'node:http';
import { request } from 'node:https';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { launchCaddy, type CaddyProcess } from '../support/caddy-process.js';
import { launchSignal, type SignalProcess } from '../support/signal-process.js';
import { randomRoom } from '../signal/support/test-client.js';

const PER_ADDRESS = 2;
/** The close code of a socket over CONNECTIONS_PER_ADDRESS (docs/protocol.md, "Close codes"). */
const TOO_MANY_CONNECTIONS = 4008;

type Outcome = { admitted: true; socket: WebSocket } | { admitted: false; code: number; reason: string };

interface Attempt {
  /** The loopback address the client connects from. */
  from: string;
  /** An X-Forwarded-For header of the client's own making. */
  forwardedFor?: string;
}

describe('the client address the per-address limits count', () => {
  let signal: SignalProcess;
  let signalPort: number;
  let proxy: CaddyProcess;
  const open: WebSocket[] = [];

  beforeAll(async () => {
    signal = launchSignal({ TRUSTED_PROXIES: '127.0.0.1/32', CONNECTIONS_PER_ADDRESS: String(PER_ADDRESS), NEW_CONNECTIONS_PER_MINUTE: '1000' });
    signalPort = await signal.listening;
    proxy = await launchCaddy(signalPort);
  });
  afterEach(() => {
    for (const socket of open.splice(0)) socket.close();
  });
  afterAll(async () => {
    await proxy?.stop();
    await signal?.stop();
  });

  /**
   * Opens /ws and joins a room: admitted once welcomed, or refused by the close that follows the
   * upgrade at once. Through Caddy (as a page of its origin) unless `direct`.
   */
  const attempt = ({ from, forwardedFor }: Attempt, direct = false) =>
    new Promise<Outcome>((resolve, reject) => {
      const headers = forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor };
      const socket = direct
        ? new WebSocket(`ws://127.0.0.1:${signalPort}/ws`, { localAddress: from, headers })
        : new WebSocket(`${proxy.origin.replace('https:', 'wss:')}/ws`, { localAddress: from, headers, ca: proxy.rootCertificate, origin: proxy.origin });
      socket.once('open', () => socket.send(JSON.stringify({ type: 'join', room: randomRoom(), name: 'Ada' })));
      socket.on('message', (data) => {
        if ((JSON.parse(data.toString()) as { type: string }).type !== 'welcome') return;
        open.push(socket);
        resolve({ admitted: true, socket });
      });
      socket.once('close', (code, reason) => resolve({ admitted: false, code, reason: reason.toString() }));
      socket.once('error', reject);
      socket.once('unexpected-response', (_, response) => reject(new Error(`upgrade answered ${response.statusCode}`)));
    });

  /** One after another, as the counts depend on the order. */
  const attempts = async (list: Attempt[], direct = false) => {
    const outcomes: Outcome[] = [];
    for (const item of list) outcomes.push(await attempt(item, direct));
    return outcomes;
  };

  const summary = (outcome: Outcome) => (outcome.admitted ? 'admitted' : `closed ${outcome.code} ${outcome.reason.split(':')[0]}`);
  const REFUSED = `closed ${TOO_MANY_CONNECTIONS} too-many-connections`;

  it('counts each person by the address Caddy was reached from: a third socket from 127.0.0.2 is closed with 4008, while 127.0.0.3 still gets in', async () => {
    const outcomes = await attempts([{ from: '127.0.0.2' }, { from: '127.0.0.2' }, { from: '127.0.0.2' }, { from: '127.0.0.3' }]);
    expect(outcomes.map(summary)).toEqual(['admitted', 'admitted', REFUSED, 'admitted']);
    const refused = outcomes[2] as Extract<Outcome, { admitted: false }>;
    expect(refused.reason).toMatch(/^too-many-connections: /);
  });

  it('does not let a client through Caddy pick its address: sockets from 127.0.0.4 that each claim another X-Forwarded-For count as 127.0.0.4', async () => {
    const outcomes = await attempts([
      { from: '127.0.0.4', forwardedFor: '203.0.113.50' },
      { from: '127.0.0.4', forwardedFor: '203.0.113.51' },
      { from: '127.0.0.4', forwardedFor: '203.0.113.52' },
      { from: '127.0.0.5', forwardedFor: '127.0.0.4' },
    ]);
    // The last one claims to be the address that is full, and is counted as its own, 127.0.0.5.
    expect(outcomes.map(summary)).toEqual(['admitted', 'admitted', REFUSED, 'admitted']);
  });

  it('does not believe X-Forwarded-For from a client that reaches the signal process itself, not being one of TRUSTED_PROXIES', async () => {
    const outcomes = await attempts(
      [
        { from: '127.0.0.6', forwardedFor: '203.0.113.60' },
        { from: '127.0.0.6', forwardedFor: '203.0.113.61' },
        { from: '127.0.0.6', forwardedFor: '203.0.113.62' },
        { from: '127.0.0.6' },
      ],
      true,
    );
    expect(outcomes.map(summary)).toEqual(['admitted', 'admitted', REFUSED, REFUSED]);
  });
});

describe('X-Forwarded-For as Caddy sends it upstream', () => {
  let upstream: Server;
  let proxy: CaddyProcess;
  /** The X-Forwarded-For lines of the last request the upstream got. */
  let received: string[] = [];

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      received = req.rawHeaders.filter((_, i, all) => i % 2 === 1 && all[i - 1]!.toLowerCase() === 'x-forwarded-for');
      res.end('ok');
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    proxy = await launchCaddy((upstream.address() as { port: number }).port);
  });
  afterAll(async () => {
    await proxy?.stop();
    await new Promise((resolve) => upstream?.close(resolve));
  });

  const get = (from: string, headers: Record<string, string>) =>
    new Promise<number>((resolve, reject) => {
      const req = request(`${proxy.origin}/`, { ca: proxy.rootCertificate, localAddress: from, headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });

  // Caddy appends to the header only for a peer in its trusted_proxies, which the Caddyfile has none of.
  // Had it appended, the signal process would still count the right address: it reads from the right.
  it('is the address Caddy was reached from, and only that: what the client sent is replaced, not appended to', async () => {
    expect(await get('127.0.0.7', {})).toBe(200);
    expect(received).toEqual(['127.0.0.7']);
    expect(await get('127.0.0.7', { 'x-forwarded-for': '203.0.113.50, 198.51.100.7' })).toBe(200);
    expect(received).toEqual(['127.0.0.7']);
  });
});
