/**
 * TURN as deployed, with the real coturn from turnserver.conf and the signal
 * server's credentials:
 * - over TLS (turns:, as TURN_TLS_URLS adds it), with a certificate the test
 *   makes, on a network whose firewall lets only TLS reach coturn: a
 *   relay-only person's chat goes through a relay reached over TLS;
 * - a credential refreshed on a live connection (TURN_TTL_SECONDS=10, the
 *   least allowed): the relayed chat goes on past the first credential's
 *   expiry, and when coturn restarts (every relay gone) the same connection
 *   comes back through relays made with the credential pushed since.
 *
 * The firewall is nftables, inside the browser suites' private network
 * namespace (tests/support/in-private-network.sh), one table per test.
 */
import { chromium, type Browser, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchCoturn, turnTlsCertificate, type CoturnProcess } from '../support/coturn-process.js';
import { launchSignal, type SignalProcess } from '../support/signal-process.js';
import { expect, test } from './fixtures.js';
import { createRoom, messages, newPerson, openChat, openRoom, send, statusOf, type Person } from './people.js';
import { TEST_CHROMIUM_ARGS } from './playwright.config.js';
import { endTest, type Stop } from './started.js';

const SECRET = 'turn-spec-secret-0123456789';
const DIST = join(import.meta.dirname, '../../dist');

let people: Person[] = [];
/** What the test started, stopped in reverse order after it. */
const cleanups: Stop[] = [];
test.afterEach(() => endTest(people, cleanups));

/** Drops, in this namespace, what is sent to `host` on `port` over UDP and TCP, until the test ends. */
function firewall(host: string, port: number): void {
  const table = `wh_turn_${process.pid}_${randomBytes(4).toString('hex')}`;
  const nft = (script: string) => {
    try {
      execFileSync('nft', ['-f', '-'], { input: script, stdio: ['pipe', 'ignore', 'pipe'] });
    } catch (error) {
      throw new Error(`nft failed (apt-get install -y nftables; inside tests/support/in-private-network.sh): ${String((error as { stderr?: Buffer }).stderr ?? error)}`);
    }
  };
  nft(`table inet ${table} {
    chain out {
      type filter hook output priority 0;
      ip daddr ${host} udp dport ${port} drop
      ip daddr ${host} tcp dport ${port} drop
    }
  }`);
  cleanups.push(async () => nft(`delete table inet ${table}`));
}

/** Keeps every RTCPeerConnection the page makes, to read their stats as chrome://webrtc-internals would. */
async function recordPeerConnections(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const Native = window.RTCPeerConnection;
    const made: RTCPeerConnection[] = [];
    (window as unknown as { whPeerConnections: RTCPeerConnection[] }).whPeerConnections = made;
    window.RTCPeerConnection = class extends Native {
      constructor(...args: ConstructorParameters<typeof RTCPeerConnection>) {
        super(...args);
        made.push(this);
      }
    };
  });
}

/** The local candidate of the selected pair of each connected RTCPeerConnection of the page. */
function selectedLocalCandidates(page: Page): Promise<Array<{ candidateType: string; relayProtocol: string | null }>> {
  return page.evaluate(async () => {
    const found: Array<{ candidateType: string; relayProtocol: string | null }> = [];
    for (const pc of (window as unknown as { whPeerConnections: RTCPeerConnection[] }).whPeerConnections) {
      if (pc.connectionState !== 'connected') continue;
      const stats = new Map<string, Record<string, unknown>>();
      (await pc.getStats()).forEach((stat: Record<string, unknown>) => stats.set(String(stat.id), stat));
      for (const transport of stats.values()) {
        if (transport.type !== 'transport' || !transport.selectedCandidatePairId) continue;
        const pair = stats.get(String(transport.selectedCandidatePairId));
        const local = pair && stats.get(String(pair.localCandidateId));
        if (local) found.push({ candidateType: String(local.candidateType), relayProtocol: typeof local.relayProtocol === 'string' ? local.relayProtocol : null });
      }
    }
    return found;
  });
}

interface Credential {
  /** `<unix expiry>:<id>`, as coturn logs it. */
  username: string;
  expiresAt: number;
  /** In the welcome (the first after joining) or pushed later in `ice-servers`. */
  frame: 'welcome' | 'ice-servers';
}

/** The TURN credentials the server hands the page, in order, and how many welcomes it got. Call before the page opens the room. */
function credentialsOf(page: Page): { credentials: Credential[]; welcomes: number } {
  const held = { credentials: [] as Credential[], welcomes: 0 };
  page.on('websocket', (socket) =>
    socket.on('framereceived', ({ payload }) => {
      const frame = JSON.parse(String(payload)) as { type: string; iceServers?: Array<{ username?: string }>; iceServersExpireAt?: number | null };
      if (frame.type !== 'welcome' && frame.type !== 'ice-servers') return;
      if (frame.type === 'welcome') held.welcomes++;
      const username = frame.iceServers?.find((server) => server.username)?.username;
      if (username && frame.iceServersExpireAt) held.credentials.push({ username, expiresAt: frame.iceServersExpireAt, frame: frame.type });
    }),
  );
  return held;
}

async function relayOnly(person: Person): Promise<void> {
  await person.page.getByRole('switch', { name: /Relay only/ }).check();
  await expect(person.page.getByRole('switch', { name: /Relay only/ })).toBeChecked();
}

/** What the conversation's Connection stats panel says of the path. */
async function pathShown(person: Person): Promise<{ path: string; local: string }> {
  await person.page.getByRole('button', { name: 'Connection stats' }).click();
  const panel = person.page.getByRole('dialog', { name: 'Connection stats' });
  const value = (term: string) => panel.getByRole('term').filter({ hasText: new RegExp(`^${term}$`) }).locator('xpath=following-sibling::dd[1]');
  await expect(value('Path')).not.toHaveText('—');
  const shown = { path: (await value('Path').textContent()) ?? '', local: (await value('Local candidate').textContent()) ?? '' };
  await panel.getByRole('button', { name: 'Close' }).click();
  return shown;
}

/** The usernames coturn made relays for (ALLOCATE answered with success), in its log's order. */
async function allocatedFor(coturn: CoturnProcess): Promise<string[]> {
  return [...(await coturn.log()).matchAll(/user <([^>]+)>: incoming packet ALLOCATE processed, success/g)].map((match) => match[1]!);
}

test('on a network that lets only TLS reach coturn, a relay-only person’s chat goes through a relay reached over TLS (turns:)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'whisper-turn-tls-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const certificate = await turnTlsCertificate(dir);
  const coturn = await launchCoturn(SECRET, undefined, { tls: certificate });
  cleanups.push(() => coturn.stop());
  expect(coturn.urls.filter((url) => url.startsWith('turns:'))).toEqual([`turns:${coturn.host}:${coturn.tlsPort}?transport=tcp`]);
  // As docker-compose.yml builds TURN_URLS with TURN_TLS_URLS: UDP, TCP and TLS.
  const signal: SignalProcess = launchSignal({ STATIC_DIR: DIST, TURN_SECRET: SECRET, TURN_URLS: coturn.urls.join(',') });
  cleanups.push(() => signal.stop());
  // The browser trusts coturn's certificate by its key, as a phone trusts one from a public authority.
  const browser: Browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [...TEST_CHROMIUM_ARGS, `--ignore-certificate-errors-spki-list=${certificate.spki}`],
  });
  cleanups.push(() => browser.close());
  firewall(coturn.host, coturn.port);

  const alice = await newPerson(browser, 'Alice');
  const bob = await newPerson(browser, 'Bob');
  people = [alice, bob];
  await recordPeerConnections(alice.page);
  const link = await createRoom(alice, `http://localhost:${await signal.listening}`);
  await openRoom(bob, link);
  await relayOnly(alice);
  await openChat(alice, 'Bob');
  await send(alice, 'only TLS gets out of here');
  await expect(statusOf(alice, 'only TLS gets out of here')).toHaveAccessibleName('Delivered', { timeout: 30_000 });
  await openChat(bob, 'Alice');
  await expect(messages(bob).getByText('only TLS gets out of here')).toBeVisible();
  await send(bob, 'and back the same way');
  await expect(messages(alice).getByText('and back the same way')).toBeVisible();

  expect(await pathShown(alice)).toEqual({ path: 'Relay (TURN)', local: 'relay' });
  expect(await selectedLocalCandidates(alice.page)).toEqual([{ candidateType: 'relay', relayProtocol: 'tls' }]);
  await expect(alice.page.getByText('The TURN relay could not be used')).toHaveCount(0);
});

test('a TURN credential refreshed on a live connection: the relayed chat goes on past the first one’s expiry, and after coturn restarts it comes back through relays made with the fresh one', async ({ browser }) => {
  test.setTimeout(120_000);
  let coturn = await launchCoturn(SECRET);
  cleanups.push(() => coturn.stop());
  const signal = launchSignal({ STATIC_DIR: DIST, TURN_SECRET: SECRET, TURN_URLS: coturn.urls.join(','), TURN_TTL_SECONDS: '10' });
  cleanups.push(() => signal.stop());
  const alice = await newPerson(browser, 'Alice');
  const bob = await newPerson(browser, 'Bob');
  people = [alice, bob];
  const seen = { Alice: credentialsOf(alice.page), Bob: credentialsOf(bob.page) };
  const held = { Alice: seen.Alice.credentials, Bob: seen.Bob.credentials };
  const link = await createRoom(alice, `http://localhost:${await signal.listening}`);
  await openRoom(bob, link);
  await relayOnly(alice);
  await relayOnly(bob);
  await openChat(alice, 'Bob');
  await openChat(bob, 'Alice');
  await send(alice, 'through the first relay');
  await expect(statusOf(alice, 'through the first relay')).toHaveAccessibleName(/Delivered|Read/, { timeout: 30_000 });
  expect(await pathShown(alice)).toEqual({ path: 'Relay (TURN)', local: 'relay' });

  // Alice got her first credential when Bob came (alone, she had none), Bob his in his welcome.
  await expect.poll(() => held.Alice.length > 0 && held.Bob.length > 0).toBe(true);
  const first = { Alice: held.Alice[0]!, Bob: held.Bob[0]! };
  expect(first.Bob.frame).toBe('welcome');
  const expired = Math.max(first.Alice.expiresAt, first.Bob.expiresAt);
  // Both first credentials run out (10 s); fresh ones were pushed to each meanwhile.
  await expect.poll(() => Date.now() > expired + 1000, { timeout: 20_000 }).toBe(true);
  for (const name of ['Alice', 'Bob'] as const) expect(held[name].some((credential) => credential.frame === 'ice-servers' && credential.expiresAt > first[name].expiresAt)).toBe(true);
  await send(bob, 'past the first credential’s expiry');
  await expect(messages(alice).getByText('past the first credential’s expiry')).toBeVisible();
  await expect(statusOf(bob, 'past the first credential’s expiry')).toHaveAccessibleName(/Delivered|Read/);

  // coturn restarts on its port: every relay is gone, and the connection must make new ones with what it holds.
  const port = coturn.port;
  await coturn.stop();
  coturn = await launchCoturn(SECRET, undefined, { port });
  await send(alice, 'through a new relay');
  await expect(statusOf(alice, 'through a new relay')).toHaveAccessibleName(/Delivered|Read/, { timeout: 60_000 });
  await expect(messages(bob).getByText('through a new relay')).toBeVisible();
  await send(bob, 'and back through it');
  await expect(messages(alice).getByText('and back through it')).toBeVisible();

  // The same connection (no new welcome: the pages never reconnected to the server), through relays the new
  // coturn made for credentials pushed after the first ones, Alice's among them.
  expect([seen.Alice.welcomes, seen.Bob.welcomes]).toEqual([1, 1]);
  const allocated = await allocatedFor(coturn);
  const refreshed = [...held.Alice, ...held.Bob].filter((credential) => credential.frame === 'ice-servers' && credential !== first.Alice).map((credential) => credential.username);
  expect(allocated.length).toBeGreaterThan(0);
  for (const username of allocated) expect(refreshed).toContain(username);
  expect(allocated.some((username) => held.Alice.some((credential) => credential.username === username))).toBe(true);
  expect(await pathShown(alice)).toEqual({ path: 'Relay (TURN)', local: 'relay' });
});
