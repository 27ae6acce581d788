/**
 * Run by turn-own-address.test.ts inside a private network namespace of its own
 * (tests/support/in-private-network.sh), where it may load a firewall rule: the
 * real coturn, wired as docker-compose.yml wires it with TURN_EXTERNAL_IP set to
 * the namespace's address (which is private, so only --allowed-peer-ip lets it
 * be a peer) and the relay ports of .env.example, and no loopback peers. Two
 * TURN clients relay to each other's relay ports, and one of them also to a UDP
 * port of this address where a listener of the probe's own waits: first
 * without, then with deploy/turn-firewall.nft. Prints what happened as JSON.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { IceServerIssuer } from '../../signal/turn/ice-servers.js';
import { launchCoturn, NAMESPACE_ADDRESS } from '../support/coturn-process.js';
import { REPO } from './compose-config.js';
import { allocate, type Allocation } from './turn-allocation.js';

const FIREWALL_RULE = join(REPO, 'deploy/turn-firewall.nft');

export interface Attempt {
  /** Whether each of two clients got the other's data through their relays. */
  relayToRelay: boolean;
  /** Datagrams the listener on a port that is not a relay port got through the relay. */
  reachedListener: number;
}

export interface ProbeResult {
  relayPorts: [number, number];
  withoutRule: Attempt;
  withRule: Attempt & { droppedByRule: number };
}

const run = promisify(execFile);

async function until(what: string, done: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within 5 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function probe(): Promise<ProbeResult> {
  const example = await readFile(join(REPO, '.env.example'), 'utf8');
  const setting = (name: string) => Number(new RegExp(`^${name}=(\\d+)$`, 'm').exec(example)?.[1]);
  const relayPorts: [number, number] = [setting('TURN_MIN_PORT'), setting('TURN_MAX_PORT')];
  const secret = randomBytes(32).toString('hex');
  const issuer = new IceServerIssuer({ stunUrls: [], turnUrls: [`turn:${NAMESPACE_ADDRESS}`], turnSecret: secret, turnTtlSeconds: 600 });
  const coturn = await launchCoturn(secret, NAMESPACE_ADDRESS, { relayPorts, loopbackPeers: false });
  const listener = createSocket('udp4');
  let reachedListener = 0;
  listener.on('message', () => reachedListener++);
  await new Promise<void>((resolve) => listener.bind(0, NAMESPACE_ADDRESS, resolve));
  const open: Allocation[] = [];
  try {
    const listening = { address: NAMESPACE_ADDRESS, port: listener.address().port };
    if (listening.port >= relayPorts[0] && listening.port <= relayPorts[1]) throw new Error(`the listener got relay port ${listening.port}`);

    const attempt = async (): Promise<Attempt> => {
      const [a, b] = await Promise.all(
        [0, 1].map(() => {
          const { username, credential } = issuer.issue().iceServers[0]!;
          return allocate(NAMESPACE_ADDRESS, coturn.port, username!, credential!);
        }),
      );
      open.push(a!, b!);
      if (!a!.relayed || !b!.relayed) throw new Error(`no relay: ${a!.error}, ${b!.error}`);
      const permitted = await Promise.all([a!.permit(NAMESPACE_ADDRESS), b!.permit(NAMESPACE_ADDRESS)]);
      if (permitted.some((error) => error !== null)) throw new Error(`coturn refused a peer at its own address: ${permitted.join(', ')}`);
      const before = reachedListener;
      // In this order from one relay: by the time the other client has its data, what went to the listener has been sent.
      a!.send(listening, Buffer.from('to a port of the host that is no relay'));
      a!.send(b!.relayed, Buffer.from('from a'));
      b!.send(a!.relayed, Buffer.from('from b'));
      const got = (allocation: Allocation, text: string) => allocation.received.some(({ data }) => data.toString() === text);
      const relayToRelay = await until('relaying between the two clients', () => got(a!, 'from b') && got(b!, 'from a')).then(
        () => true,
        () => false,
      );
      return { relayToRelay, reachedListener: reachedListener - before };
    };

    const withoutRule = await attempt();
    await run('nft', ['-f', FIREWALL_RULE]);
    const withRule = await attempt();
    const { stdout } = await run('nft', ['list', 'table', 'inet', 'whisper_turn']);
    const droppedByRule = Number(/counter packets (\d+)/.exec(stdout)?.[1] ?? NaN);
    return { relayPorts, withoutRule, withRule: { ...withRule, droppedByRule } };
  } finally {
    for (const allocation of open) allocation.close();
    listener.close();
    await coturn.stop();
  }
}

probe().then(
  (result) => console.log(JSON.stringify(result)),
  (error: Error) => {
    console.error(error.stack ?? error.message);
    process.exitCode = 1;
  },
);
