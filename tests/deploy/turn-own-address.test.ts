/**
 * What a TURN user can reach on the server's own address (README, "Ports to
 * open"; deploy/turn-firewall.nft). coturn must relay to that address, where two
 * people who both relay find each other's relay ports, and cannot limit a peer
 * to some ports; the firewall rule does. The real coturn and the real rule are
 * run inside a private network namespace, where the rule may be loaded
 * (turn-own-address.probe.ts): first without the rule, which shows the hole,
 * then with it.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO } from './compose-config.js';
// Its type only: importing the probe would run it, here outside the namespace.
import type { ProbeResult } from './turn-own-address.probe.js';

const run = promisify(execFile);
const FIREWALL_RULE = join(REPO, 'deploy/turn-firewall.nft');

describe('relaying to the server’s own address', () => {
  let result: ProbeResult;
  beforeAll(async () => {
    const { stdout } = await run('bash', [join(REPO, 'tests/support/in-private-network.sh'), process.execPath, '--import', 'tsx', join(import.meta.dirname, 'turn-own-address.probe.ts')], { cwd: REPO }).catch(
      (error: { stderr?: string; message: string }) => {
        throw new Error(`the probe failed (nft comes with apt-get install -y nftables): ${error.stderr || error.message}`);
      },
    );
    result = JSON.parse(stdout.trim().split('\n').at(-1)!) as ProbeResult;
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
