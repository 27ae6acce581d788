/**
 * The relay's quotas and bandwidth caps, as turnserver.conf sets them, in force
 * in the real coturn run from that file (tests/support/coturn-process.ts). The
 * numbers are read from the file, so these tests follow it when they change.
 * Credentials are made by the signal process's own issuer, each one being what
 * one person's device gets in `welcome`; allocations are UDP ones
 * (turn-allocation.ts), held open until the end.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfig } from '../../signal/config.js';
import { IceServerIssuer } from '../../signal/turn/ice-servers.js';
import { launchCoturn, TURNSERVER_CONF, type CoturnProcess } from '../support/coturn-process.js';
import { REPO } from './compose-config.js';
import { allocate, type Allocation } from './turn-allocation.js';

/** STUN error 486, Allocation Quota Reached (RFC 8656). */
const QUOTA_REACHED = 486;
const TTL_SECONDS = 600;

/** A whole number turnserver.conf sets, `name=value`. */
async function confNumber(name: string): Promise<number> {
  const text = await readFile(TURNSERVER_CONF, 'utf8');
  const values = [...text.matchAll(new RegExp(`^${name}=(\\d+)\\s*$`, 'gm'))].map(([, value]) => Number(value));
  if (values.length !== 1) throw new Error(`turnserver.conf should set ${name} once, as a number; found ${values.length}`);
  return values[0]!;
}

describe('coturn’s quotas and bandwidth caps, from turnserver.conf', () => {
  const secret = randomBytes(32).toString('hex');
  const issuer = new IceServerIssuer({ stunUrls: [], turnUrls: ['turn:127.0.0.1'], turnSecret: secret, turnTtlSeconds: TTL_SECONDS });
  let coturn: CoturnProcess;
  let userQuota: number;
  let totalQuota: number;
  let maxBps: number;
  let bpsCapacity: number;
  /** Every allocation granted so far, all still held: coturn counts them against total-quota. */
  const held: Allocation[] = [];
  /**
   * The sockets of refused allocations, also kept open: coturn remembers a client port's credential for a
   * while, and a new socket given the same port with another credential would be refused 437.
   */
  const refused: Allocation[] = [];
  /** Client ports coturn still remembers for a credential, held so that no later socket of this suite gets one. */
  const ports: Socket[] = [];

  beforeAll(async () => {
    [userQuota, totalQuota, maxBps, bpsCapacity] = await Promise.all([confNumber('user-quota'), confNumber('total-quota'), confNumber('max-bps'), confNumber('bps-capacity')]);
    coturn = await launchCoturn(secret);
  });
  afterAll(async () => {
    for (const allocation of [...held.splice(0), ...refused.splice(0)]) allocation.close();
    for (const socket of ports.splice(0)) socket.close();
    await coturn?.stop();
  });

  /** A credential as a person's device gets it in `welcome`, at `now`. */
  const credential = (now = Date.now()): [string, string] => {
    const { username, credential } = issuer.issue(now).iceServers[0]!;
    return [username!, credential!];
  };

  /** `count` allocations at once with one credential, all held open. */
  const allocateMany = async (count: number, [username, password]: [string, string]) => {
    const allocations = await Promise.all(Array.from({ length: count }, () => allocate(coturn.host, coturn.port, username, password)));
    for (const allocation of allocations) {
      (allocation.error === null ? held : refused).push(allocation);
    }
    return allocations.map((allocation) => allocation.error);
  };

  it('runs with the bandwidth caps of turnserver.conf, per allocation and in all', async () => {
    const log = await coturn.log();
    expect(log).toContain(`${maxBps} bytes per second allowed per session`);
    expect(log).toContain(`${bpsCapacity} bytes per second allowed, combined server capacity`);
  });

  it('refuses a new client on a port that another credential just used, with 437: why the refused allocations stay open here', async () => {
    // What failed the quota test on a fresh machine: a socket closed after a refusal, and the kernel handed its
    // port to the next one, which coturn still took for the first credential's client (its 5-tuple).
    const first = await allocate(coturn.host, coturn.port, ...credential());
    expect(first.error).toBeNull();
    // Given back (lifetime 0), so that total-quota is not one short for the tests below; the port stays coturn's.
    expect(await first.refresh(0)).toBeNull();
    first.close();
    await expect(allocate(coturn.host, coturn.port, ...credential(), first.localPort)).rejects.toThrow('expected a 401 challenge, got 437');
    // That port stays this suite's until it ends: coturn still takes it for the first credential's client, and a
    // later test's socket that the kernel gave it would be refused 437 too (a fresh-clone run failed so).
    ports.push(await holdPort(coturn.host, first.localPort));
  });

    it('grants one credential user-quota allocations at once and refuses it the next (486), while another credential still gets one', async () => {
    const mine = credential();
    expect(await allocateMany(userQuota, mine)).toEqual(Array(userQuota).fill(null));
    expect(await allocateMany(1, mine)).toEqual([QUOTA_REACHED]);
    expect(await allocateMany(1, credential())).toEqual([null]);
  });

  it('leaves relays for everyone else when one address has taken all the credentials it gets at once, each to its quota', { timeout: 60_000 }, async () => {
    // A burst of TURN_CREDENTIALS_PER_HOUR, the most the signal process hands one address before it refills.
    const { turnCredentialsPerHour } = readConfig({}).addressLimits;
    for (let i = 0; i < turnCredentialsPerHour; i += 4) {
      const credentials = Array.from({ length: Math.min(4, turnCredentialsPerHour - i) }, () => credential());
      const granted = await Promise.all(credentials.map((mine) => allocateMany(userQuota, mine)));
      expect(granted).toEqual(credentials.map(() => Array(userQuota).fill(null)));
    }
    expect(await allocateMany(1, credential())).toEqual([null]);
  });

  it('keeps a relay alive past its credential’s expiry as long as it is refreshed, and refuses the credential a new one', async () => {
    // coturn checks the time in the username only when a relay is made (README, "the relay's quotas").
    const [username, password] = credential(Date.now() - (TTL_SECONDS - 2) * 1000);
    const expiry = Number(username.split(':')[0]);
    const relay = await allocate(coturn.host, coturn.port, username, password);
    expect(relay.error).toBeNull();
    held.push(relay);
    while (Date.now() / 1000 <= expiry + 1) await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await relay.refresh(600)).toBeNull();
    // coturn judges the expiry by its own clock, which a loaded machine was seen to run behind this process's
    // (a new relay granted a second after the expiry): refused is the event waited for, within 10 s of it. What
    // is granted meanwhile is held, and counted against the quotas like the rest.
    const refusedBy = expiry + 10;
    let outcome = await allocateMany(1, [username, password]);
    while (outcome[0] === null && Date.now() / 1000 < refusedBy) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      outcome = await allocateMany(1, [username, password]);
    }
    expect(outcome).toEqual([401]);
  });

  it('grants total-quota allocations on the whole server, bandwidth set aside for each, then refuses everyone, even a new credential', { timeout: 120_000 }, async () => {
    expect(bpsCapacity).toBeGreaterThanOrEqual(totalQuota * maxBps);
    // Filled as people would: several credentials, none over its own quota, a few at once. Each allocation
    // sets max-bps aside from bps-capacity: were that short, the refusals would start before total-quota.
    while (held.length < totalQuota) {
      const counts = Array.from({ length: 4 }, (_, i) => Math.max(0, Math.min(userQuota, totalQuota - held.length - i * userQuota))).filter((count) => count > 0);
      const granted = await Promise.all(counts.map((count) => allocateMany(count, credential())));
      expect(granted).toEqual(counts.map((count) => Array(count).fill(null)));
    }
    expect(await allocateMany(1, credential())).toEqual([QUOTA_REACHED]);
  });

  it('allows exactly as many allocations as the relay ports that .env.example and docker-compose.yml give coturn', async () => {
    const example = await readFile(join(REPO, '.env.example'), 'utf8');
    const setting = (name: string) => Number(new RegExp(`^${name}=(\\d+)$`, 'm').exec(example)?.[1]);
    expect(totalQuota).toBe(setting('TURN_MAX_PORT') - setting('TURN_MIN_PORT') + 1);
    // The range compose falls back on when .env sets none.
    const compose = await readFile(join(REPO, 'docker-compose.yml'), 'utf8');
    const fallback = (option: string, name: string) => Number(new RegExp(`--${option}=\\$\\{${name}:-(\\d+)\\}`).exec(compose)?.[1]);
    expect([fallback('min-port', 'TURN_MIN_PORT'), fallback('max-port', 'TURN_MAX_PORT')]).toEqual([setting('TURN_MIN_PORT'), setting('TURN_MAX_PORT')]);
  });
});

/** A UDP socket bound to `port` on `host`, which keeps the kernel from giving that port to another socket. */
function holdPort(host: string, port: number): Promise<Socket> {
  const socket = createSocket('udp4');
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => resolve(socket));
  });
}
