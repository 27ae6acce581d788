/**
 * People whose network a test can really cut (tests/support/network-device.ts, network-faults.ts): each in a
 * Chromium of their own, started inside a network namespace of their own on the test namespace's bridge. Their
 * app is at http://localhost:<port> as everyone's, on a signal process that listens on every address of the
 * private namespace (`HOST: '0.0.0.0'`), which people in the test's own browser reach at localhost too.
 *
 * - `loseNetwork` takes the person's link down (WebSocket and WebRTC die, the browser goes offline, as when a
 *   phone leaves Wi-Fi), `regainNetwork` brings it back.
 * - `losePath` drops every UDP packet the person's device receives: each WebRTC path dies while the WebSocket
 *   stays and the browser still counts itself online, so nothing but WebRTC itself can notice.
 * - `expectPathsInside` checks that every UDP packet the person's device received came from an address of the
 *   private namespaces: no path left the machine.
 */
import { chromium, expect, type Browser } from '@playwright/test';
import { join } from 'node:path';
import { HOST_RESOLVER_RULES, NetworkDevice, PRIVATE_NETWORKS } from '../support/network-device.js';
import type { FaultRule, NetworkFaults } from '../support/network-faults.js';
import { CONNECTION_STATE_HISTORY, CONNECTION_STATES, KEEP_PEER_CONNECTIONS } from '../support/network-peer-stats.js';
import { launchSignal, type SignalProcess } from '../support/signal-process.js';
import { TEST_CHROMIUM_ARGS } from './playwright.config.js';
import { DESKTOP, newPerson, type Person } from './people.js';

export interface NetworkedPerson extends Person {
  device: NetworkDevice;
  browser: Browser;
  /** nftables rules acting on what this person's device receives. */
  faults: NetworkFaults;
  /** Counters of the UDP packets the device received, all and from outside the private namespaces. */
  watched: { all: FaultRule; outside: FaultRule };
}

/** The env of a signal process that people on their own networks reach (across the bridge) as well as the test's own browser. */
export const REACHABLE_FROM_DEVICES = { HOST: '0.0.0.0' };

/** A signal process of the test's own serving the built app, reachable from people on their own networks. */
export async function signalForDevices(): Promise<{ url: string; signal: SignalProcess }> {
  const signal = launchSignal({ STATIC_DIR: join(import.meta.dirname, '../../dist'), ...REACHABLE_FROM_DEVICES });
  return { url: `http://localhost:${await signal.listening}`, signal };
}

/**
 * A person (people.ts's `newPerson`) whose Chromium runs on a network of its own. Its peer connections are
 * kept in the page (`whPeerConnections`), to read their state and candidates: nothing about them changes.
 */
export async function newNetworkedPerson(name: string, viewport = DESKTOP): Promise<NetworkedPerson> {
  const device = await NetworkDevice.create();
  try {
    const browser = await chromium.launch({
      executablePath: await device.chromium(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'),
      args: [...TEST_CHROMIUM_ARGS, HOST_RESOLVER_RULES],
    });
    const person = await newPerson(browser, name, viewport);
    await keepPeerConnections(person);
    const faults = await device.faults();
    return { ...person, device, browser, faults, watched: await faults.watchUdp(PRIVATE_NETWORKS) };
  } catch (error) {
    await device.close();
    throw error;
  }
}

/**
 * From the next page load on, the person's page keeps its peer connections (`whPeerConnections`), for the
 * readings below; nothing about them changes. newNetworkedPerson does it for its people.
 */
export async function keepPeerConnections(person: Person): Promise<void> {
  await person.context.addInitScript({ content: KEEP_PEER_CONNECTIONS });
}

/** Closes the person's browser and ends its network (the test checks its page's problems itself, as for anyone). */
export async function closeNetworked(person: NetworkedPerson): Promise<void> {
  await person.browser.close();
  await person.faults.close().catch(() => undefined); // Gone with the namespace.
  await person.device.close();
}

/**
 * The person's pages reported no errors but the failed WebSocket connections of a network or a server that was
 * away (`later`: the problems of pages they opened after the first).
 */
export function expectNoProblemsButLostConnections(person: Person, ...later: string[][]): void {
  const expected = /WebSocket connection to .* failed/;
  expect([...person.problems, ...later.flat()].filter((p) => !expected.test(p)), `${person.name}'s pages reported errors`).toEqual([]);
}

/** The states of the person's peer connections that are not closed ("connected", "disconnected"...). */
export function connectionStates(person: Person): Promise<string[]> {
  return person.page.evaluate(CONNECTION_STATES) as Promise<string[]>;
}

/**
 * The link goes down until `regainNetwork`; returns once the person's app has seen it (it says "You are
 * offline") and none of their WebRTC connections is still connected.
 */
export async function loseNetwork(person: NetworkedPerson): Promise<void> {
  await person.device.linkDown();
  await expect(person.page.getByRole('status').filter({ hasText: 'You are offline' })).toBeVisible({ timeout: 30_000 });
  await noneConnected(person, 'WebRTC noticed the lost network');
}

/** Waits until none of the person's connections is connected any more. */
async function noneConnected(person: Person, message: string): Promise<void> {
  await expect.poll(async () => (await connectionStates(person)).filter((state) => state === 'connected'), { timeout: 60_000, message }).toEqual([]);
}

export async function regainNetwork(person: NetworkedPerson): Promise<void> {
  await person.device.linkUp();
}

/**
 * Every UDP packet to the person's device is dropped until the rule returned is removed; returns once WebRTC
 * itself has noticed and the rule has dropped what was sent meanwhile. `until` says how far: 'disconnected'
 * (no connection of the person's is still connected: ICE's checks went unanswered), or 'failed' (a connection
 * gave up on the path: a longer loss than 'disconnected').
 */
export async function losePath(person: NetworkedPerson, until: 'disconnected' | 'failed' = 'disconnected'): Promise<FaultRule> {
  await expect.poll(() => connectionStates(person), { timeout: 60_000, message: 'a connection to lose' }).toContain('connected');
  const before = (await connectionStateHistory(person)).length;
  const rule = await person.faults.dropUdp();
  if (until === 'failed') {
    await expect.poll(async () => (await connectionStateHistory(person)).slice(before), { timeout: 90_000, message: 'ICE gave up on the lost path' }).toContain('failed');
  } else await noneConnected(person, 'ICE noticed the lost path');
  expect(await rule.packets(), 'UDP packets the rule dropped').toBeGreaterThan(0);
  return rule;
}

/** Every state the person's connections went through, in order. */
export function connectionStateHistory(person: Person): Promise<string[]> {
  return person.page.evaluate(CONNECTION_STATE_HISTORY) as Promise<string[]>;
}

/**
 * Every UDP packet the person's device received came from an address of the private namespaces (its
 * device counts them from its start: `watched`), and some did. Chromium's getStats shows no candidate's
 * address to a page that has not asked for a camera (host candidates are mDNS names), so the kernel is asked.
 */
export async function expectPathsInside(person: NetworkedPerson): Promise<void> {
  expect(await person.watched.all.packets(), `UDP packets ${person.name}'s device received`).toBeGreaterThan(0);
  expect(await person.watched.outside.packets(), `UDP packets ${person.name}'s device received from outside ${PRIVATE_NETWORKS.join(', ')}`).toBe(0);
}
