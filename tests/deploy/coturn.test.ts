/**
 * coturn run from the repository's turnserver.conf (tests/support/coturn-process.ts)
 * accepts the TURN credentials the signal process hands out in `welcome` and
 * relays with them, refuses credentials it did not sign or that expired, and
 * relays only to public addresses (its quotas: coturn-quota.test.ts), with its
 * secret where no other user of the host can read it. The TURN
 * client is coturn's own, turnutils_uclient. Everything stays on loopback: the
 * checks on other addresses only ask for a permission, which sends nothing to them.
 */
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchCoturn, type CoturnProcess } from '../support/coturn-process.js';
import { launchSignal, type SignalProcess } from '../support/signal-process.js';
import { TestClient, randomRoom } from '../signal/support/test-client.js';

interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

interface Uclient {
  code: number | null;
  output: string;
}

/** Runs turnutils_uclient to the end (or until `done` says the output has decided), with a time limit. */
function uclient(args: string[], done: (output: string) => boolean = () => false, timeoutMs = 15_000): Promise<Uclient> {
  return new Promise((resolve, reject) => {
    const child = spawn('turnutils_uclient', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (done(output)) child.kill('SIGKILL');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

function turnPassword(secret: string, username: string): string {
  return createHmac('sha1', secret).update(username).digest('base64');
}

describe('coturn from turnserver.conf, with credentials from the signal process', () => {
  const secret = randomBytes(32).toString('hex');
  let coturn: CoturnProcess;
  let signal: SignalProcess;
  let client: TestClient;
  let bob: TestClient;
  let turn: IceServer;
  let host: string;
  let port: string;

  beforeAll(async () => {
    coturn = await launchCoturn(secret);
    signal = launchSignal({ TURN_SECRET: secret, TURN_URLS: coturn.urls.join(',') });
    const signalPort = await signal.listening;
    // Credentials go only to a member with someone in its room: Bob is there first.
    const room = randomRoom();
    [bob] = await TestClient.join(`ws://127.0.0.1:${signalPort}/ws`, room, 'Bob');
    let welcome;
    [client, welcome] = await TestClient.join(`ws://127.0.0.1:${signalPort}/ws`, room, 'Alice');
    turn = (welcome.iceServers as IceServer[]).find((server) => server.urls.some((url) => url.startsWith('turn:')))!;
    const [, address, portText] = /^turn:([\d.]+):(\d+)\?transport=udp$/.exec(turn.urls[0]!) ?? [];
    [host, port] = [address!, portText!];
  });
  afterAll(async () => {
    client?.close();
    bob?.close();
    await signal?.stop();
    await coturn?.stop();
  });

  /** Two clients relaying to each other through coturn (-y), each with the given credentials. */
  const relayBetweenTwo = (username: string, password: string, ...flags: string[]) =>
    uclient([...flags, '-y', '-c', '-n', '5', '-m', '1', '-u', username, '-w', password, '-p', port, host]);

  /** A fresh credential as the signal process makes them (each test its own, as coturn counts relays per credential). */
  const credential = (): [string, string] => {
    const username = `${Math.floor(Date.now() / 1000) + 600}:${randomBytes(9).toString('base64url')}`;
    return [username, turnPassword(secret, username)];
  };

  /** Messages sent and received, from uclient's final count. */
  const sentAndReceived = (output: string) => [...output.matchAll(/tot_send_msgs=(\d+), tot_recv_msgs=(\d+)/g)].at(-1)?.slice(1).map(Number);

  it('hands out TURN URLs that point at coturn', () => {
    expect(turn.urls).toEqual(coturn.urls);
    expect([host, port]).toEqual([coturn.host, String(coturn.port)]);
  });

  it('relays between two clients over UDP with the credentials from welcome', async () => {
    const { code, output } = await relayBetweenTwo(turn.username!, turn.credential!);
    expect(code, output).toBe(0);
    const [sent, received] = sentAndReceived(output) ?? [];
    expect(sent).toBeGreaterThan(0);
    expect(received).toBe(sent);
  });

  it('relays over TCP too (the transport=tcp URL)', async () => {
    const { code, output } = await relayBetweenTwo(turn.username!, turn.credential!, '-t');
    expect(code, output).toBe(0);
    const [sent, received] = sentAndReceived(output) ?? [];
    expect(sent).toBeGreaterThan(0);
    expect(received).toBe(sent);
  });

  it('keeps the secret off its command line and out of its environment, in a config file only its own user can read', async () => {
    // Any user of the host can read a process's command line; only its own user (and root) its environment and files.
    const commandLine = (await readFile(`/proc/${coturn.pid}/cmdline`, 'utf8')).split('\0');
    expect(commandLine[0]).toBe('turnserver');
    expect(commandLine.join(' ')).not.toContain(secret);
    expect(await readFile(`/proc/${coturn.pid}/environ`, 'utf8')).not.toContain(secret);
    const config = commandLine[commandLine.lastIndexOf('-c') + 1]!;
    expect((await stat(config)).mode & 0o777).toBe(0o600);
    expect(await readFile(config, 'utf8')).toMatch(new RegExp(`^static-auth-secret=${secret}$`, 'm'));
  });

  it('refuses credentials signed with another secret', async () => {
    const forged = turnPassword(randomBytes(32).toString('hex'), turn.username!);
    const { code, output } = await relayBetweenTwo(turn.username!, forged);
    expect(code).not.toBe(0);
    expect(output).toContain('Cannot complete Allocation');
    expect(sentAndReceived(output)).toBeUndefined();
  });

  it('refuses a username whose time has passed, though signed with the right secret', async () => {
    const expired = `${Math.floor(Date.now() / 1000) - 60}:${randomBytes(9).toString('base64url')}`;
    const { code, output } = await relayBetweenTwo(expired, turnPassword(secret, expired));
    expect(code).not.toBe(0);
    expect(output).toContain('Cannot complete Allocation');
  });

  it('relays only to public addresses and to its own: never into private, loopback, link-local, carrier-grade NAT, benchmark or multicast ranges', async () => {
    const [username, password] = credential();
    const verdict = async (peer: string) => {
      const decided = (output: string) => /error 403/.test(output) || /cb response received[\s\S]*success/.test(output);
      // -n 0: a permission only, no data, so nothing is sent to the peer.
      const { output } = await uclient(['-v', '-c', '-n', '0', '-m', '1', '-e', peer, '-r', '3480', '-u', username, '-w', password, '-p', port, host], decided);
      return /error 403 \(Forbidden IP\)/.test(output) ? 'refused' : /success/.test(output) ? 'allowed' : `undecided: ${output}`;
    };
    const denied = ['10.0.0.1', '172.16.0.1', '172.31.255.254', '192.168.1.1', '100.64.0.1', '100.127.255.254', '169.254.1.1', '127.0.0.2', '198.18.0.1', '224.0.0.1', '239.255.255.250', '255.255.255.255'];
    // Just outside the private ranges; and this server's own address, where the other side's relay is.
    const allowed = ['100.128.0.1', '172.32.0.1', '192.169.0.1', coturn.host];
    const verdicts = Object.fromEntries(await Promise.all([...denied, ...allowed].map(async (peer) => [peer, await verdict(peer)] as const)));
    expect(verdicts).toEqual(Object.fromEntries([...denied.map((peer) => [peer, 'refused']), ...allowed.map((peer) => [peer, 'allowed'])]));
  });
});
