/**
 * What a TURN user can reach on the server's own address (README, "Ports to
 * open"; deploy/turn-firewall.nft). coturn must relay to that address, where two
 * people who both relay find each other's relay ports, and cannot limit a peer
 * to some ports; the firewall rule does. The real coturn and the real rule are
 * run inside a private network namespace, where the rule may be loaded
 * (turn-own-address.probe.ts): first without the rule, which shows the hole,
 * then with it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO } from './compose-config.js';
// Its type only: importing the probe would run it, here outside the namespace.
import type { ProbeResult } from './turn-own-address.probe.js';
import { runProbe } from '../support/private-network-probe.js';

const FIREWALL_RULE = join(REPO, 'deploy/turn-firewall.nft');

describe('relaying to the server’s own address', () => {
  let result: ProbeResult;
  beforeAll(async () => {
    result = await runProbe<ProbeResult>(join(import.meta.dirname, 'turn-own-address.probe.ts'), 'nft comes with apt-get install -y nftables');
  }, 60_000);

  it('without the firewall rule, lets a TURN user send to any port of it: the hole the rule closes', () => {
    expect(result.withoutRule).toEqual({ relayToRelay: true, reachedListener: 1 });
  });

  it('with the rule, drops what a relay sends to a port of it that is no relay port, and still relays between two clients', () => {
    expect(result.withRule).toEqual({ relayToRelay: true, reachedListener: 0, droppedByRule: 1 });
  });

  it('guards the relay ports that .env.example and docker-compose.yml give coturn', async () => {
    const rule = await readFile(FIREWALL_RULE, 'utf8');
    expect(rule).toMatch(new RegExp(`^define relay_ports = ${result.relayPorts[0]}-${result.relayPorts[1]}$`, 'm'));
    const compose = await readFile(join(REPO, 'docker-compose.yml'), 'utf8');
    expect(compose).toContain(`--min-port=\${TURN_MIN_PORT:-${result.relayPorts[0]}}`);
    expect(compose).toContain(`--max-port=\${TURN_MAX_PORT:-${result.relayPorts[1]}}`);
  });
});
