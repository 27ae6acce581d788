/**
 * Real faults of the network for the browser tests and benchmarks: nftables rules (Debian's `nft`) that drop
 * every UDP packet, drop N % of them at random, or cap their rate, in a network namespace the tests made (the
 * private one of `in-private-network.sh`, or a device's own: `network-device.ts`). WebRTC's paths are UDP, so a
 * drop cuts every one of them (ICE, data channels, media) while the signal WebSocket (TCP) stays: unlike
 * Playwright's `context.setOffline`, which leaves WebRTC alone (microsoft/playwright#42623).
 *
 * Each instance is a table of its own (its name holds this process's id), so two workers in one namespace
 * never touch each other's rules. A rule is in the input hook: it acts on what the namespace receives. Two
 * pages in one namespace reach each other over loopback, where every packet is received once; in a device's
 * namespace, it is what that device receives. Every rule counts what it dropped.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A rule in place: how many packets it matched (dropped, for a fault) so far, and how to take it away. */
export interface FaultRule {
  readonly description: string;
  /** Packets the rule matched so far: for a fault, those it dropped. */
  packets(): Promise<number>;
  remove(): Promise<void>;
}

let tables = 0;

export class NetworkFaults {
  readonly #table: string;
  readonly #netns: string | null;
  #closed = false;

  private constructor(table: string, netns: string | null) {
    this.#table = table;
    this.#netns = netns;
  }

  /**
   * A table of rules in the namespace `netns` (a path such as /proc/<pid>/ns/net: a device's), or in the
   * process's own (the test's private namespace).
   */
  static async open(netns: string | null = null): Promise<NetworkFaults> {
    const faults = new NetworkFaults(`whisper_faults_${process.pid}_${++tables}`, netns);
    await faults.#nft('add', 'table', 'inet', faults.#table);
    await faults.#nft('add', 'chain', 'inet', faults.#table, 'input', '{ type filter hook input priority 0; policy accept; }');
    return faults;
  }

  /** Every UDP packet dropped: each WebRTC path dies, the WebSocket stays. */
  dropUdp(): Promise<FaultRule> {
    return this.#add('every UDP packet dropped', ['meta', 'l4proto', 'udp', 'counter', 'drop']);
  }

  /** `percent` % of UDP packets dropped, each at random. */
  loseUdp(percent: number): Promise<FaultRule> {
    if (!Number.isInteger(percent) || percent < 1 || percent > 99) throw new Error(`a loss of ${percent} %: give a whole number from 1 to 99`);
    return this.#add(`${percent} % of UDP packets lost`, ['meta', 'l4proto', 'udp', 'numgen', 'random', 'mod', '100', '<', String(percent), 'counter', 'drop']);
  }

  /** UDP capped at `mebibytesPerSecond` MiB/s (nft's mbytes are MiB): what comes faster is dropped. */
  capUdp(mebibytesPerSecond: number): Promise<FaultRule> {
    if (!Number.isInteger(mebibytesPerSecond) || mebibytesPerSecond < 1) throw new Error(`a cap of ${mebibytesPerSecond} MiB/s: give a whole number of at least 1`);
    return this.#add(`UDP capped at ${mebibytesPerSecond} MiB/s`, ['meta', 'l4proto', 'udp', 'limit', 'rate', 'over', `${mebibytesPerSecond}`, 'mbytes/second', 'counter', 'drop']);
  }

  /**
   * Counts, and lets through, the UDP packets received from addresses outside `networks` (CIDR, IPv4 and IPv6),
   * and returns that rule with one that counts every UDP packet received: a path that left them shows in the first.
   */
  async watchUdp(networks: readonly string[]): Promise<{ outside: FaultRule; all: FaultRule }> {
    const set = (family: 'ipv4' | 'ipv6') => networks.filter((network) => network.includes(':') === (family === 'ipv6')).join(', ');
    const outside4 = await this.#add('UDP from outside (IPv4)', ['meta', 'nfproto', 'ipv4', 'meta', 'l4proto', 'udp', 'ip', 'saddr', '!=', `{ ${set('ipv4')} }`, 'counter']);
    const outside6 = await this.#add('UDP from outside (IPv6)', ['meta', 'nfproto', 'ipv6', 'meta', 'l4proto', 'udp', 'ip6', 'saddr', '!=', `{ ${set('ipv6')} }`, 'counter']);
    const all = await this.#add('every UDP packet', ['meta', 'l4proto', 'udp', 'counter']);
    return {
      all,
      outside: {
        description: `UDP from outside ${networks.join(', ')}`,
        packets: async () => (await outside4.packets()) + (await outside6.packets()),
        remove: async () => {
          await outside4.remove();
          await outside6.remove();
        },
      },
    };
  }

  /** Removes the table and every rule in it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#nft('delete', 'table', 'inet', this.#table);
  }

  async #add(description: string, rule: string[]): Promise<FaultRule> {
    // --echo --handle prints the rule added with its handle: "add rule ... # handle 4".
    const echoed = await this.#nft('--echo', '--handle', 'add', 'rule', 'inet', this.#table, 'input', ...rule);
    const handle = /# handle (\d+)/.exec(echoed)?.[1];
    if (!handle) throw new Error(`nft gave no handle for the rule "${description}": ${echoed}`);
    let removed = false;
    return {
      description,
      packets: async () => {
        const listed = JSON.parse(await this.#nft('--json', 'list', 'chain', 'inet', this.#table, 'input')) as { nftables: Array<{ rule?: { handle: number; expr: Array<{ counter?: { packets: number } }> } }> };
        const found = listed.nftables.find((entry) => entry.rule?.handle === Number(handle))?.rule;
        if (!found) throw new Error(`the rule "${description}" is no longer there`);
        return found.expr.find((expression) => expression.counter)?.counter?.packets ?? 0;
      },
      remove: async () => {
        if (removed || this.#closed) return;
        removed = true;
        await this.#nft('delete', 'rule', 'inet', this.#table, 'input', 'handle', handle);
      },
    };
  }

  async #nft(...args: string[]): Promise<string> {
    const [command, commandArgs] = this.#netns ? ['nsenter', [`--net=${this.#netns}`, 'nft', ...args]] : ['nft', args];
    try {
      return (await run(command, commandArgs)).stdout;
    } catch (error) {
      const { code, stderr } = error as { code?: string; stderr?: string };
      if (code === 'ENOENT') throw new Error(`${command} is missing: run 'apt-get install -y nftables' (npm test installs it)`);
      throw new Error(`nft ${args.join(' ')} failed${this.#netns ? ` in ${this.#netns}` : ''}: ${stderr ?? String(error)}`);
    }
  }
}

/** The conditions the benchmarks run under, by the name BENCH_NETWORK gives: a rule for the namespace, or none. */
export const NETWORK_CONDITIONS = {
  none: { description: 'no rule', apply: null },
  loss5: { description: '5 % of UDP packets lost at random', apply: (faults: NetworkFaults) => faults.loseUdp(5) },
  cap2mb: { description: 'UDP capped at 2 MiB/s', apply: (faults: NetworkFaults) => faults.capUdp(2) },
} as const;

export type NetworkConditionName = keyof typeof NETWORK_CONDITIONS;

export function networkCondition(name: string): (typeof NETWORK_CONDITIONS)[NetworkConditionName] & { name: NetworkConditionName } {
  if (!(name in NETWORK_CONDITIONS)) throw new Error(`unknown network condition "${name}": ${Object.keys(NETWORK_CONDITIONS).join(', ')}`);
  return { ...NETWORK_CONDITIONS[name as NetworkConditionName], name: name as NetworkConditionName };
}
