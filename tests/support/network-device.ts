/**
 * A device's own network, for a browser test that cuts one person's network and not the others': a network
 * namespace of its own, joined by a veth pair to a bridge in the test's namespace (the private one of
 * `in-private-network.sh`, which stays the only way out, and leads nowhere). A browser started in it
 * (`chromiumIn`) has the device's address alone; taking the link down (`linkDown`) is a phone leaving Wi-Fi:
 * its WebSocket and every WebRTC path die, and the browser sees its network go (`offline`). nftables rules in
 * it (`faults`) act on that device alone.
 *
 * Addresses: the bridge is 10.255.255.254/8 in the test's namespace; a device is 10.0.0.0 plus the process id
 * of the process that holds its namespace (below 2^22, so 10.0.0.0–10.63.255.255, apart from the test
 * namespace's 10.231.0.1/24), unique while it lives, so two workers never pick the same. The device's browser
 * reaches the test namespace's servers at the bridge's address: they listen on every address of the private
 * namespace (`HOST=0.0.0.0`), which nothing outside can reach. `localhost` is mapped there for it
 * (`--host-resolver-rules`), so the app's origin stays http://localhost:<port>, a secure context as for
 * everyone else.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { NetworkFaults } from './network-faults.js';

const run = promisify(execFile);

const BRIDGE = 'whbr';
/** The test namespace's address on the bridge: where a device reaches its servers. */
export const BRIDGE_ADDRESS = '10.255.255.254';
/**
 * Every address a test's browsers may have: the private namespace's own (wh0), the bridge's and the devices',
 * loopback, and the IPv6 link-local addresses of those links.
 */
export const PRIVATE_NETWORKS = ['10.231.0.0/24', '10.0.0.0/8', '127.0.0.0/8', '::1/128', 'fe80::/10'];

async function ip(...args: string[]): Promise<string> {
  try {
    return (await run('ip', args)).stdout;
  } catch (error) {
    throw new Error(`ip ${args.join(' ')} failed: ${(error as { stderr?: string }).stderr ?? String(error)}`);
  }
}

/**
 * The bridge is made by in-private-network.sh with the namespace, before any browser starts: Chromium answers
 * and asks mDNS (how its host candidates are named) only on the links it had when it started, so a browser
 * started before a bridge made later never learnt a device's candidates, nor the device its own.
 */
async function expectBridge(): Promise<void> {
  const address = await ip('-o', 'addr', 'show', 'dev', BRIDGE).catch(() => '');
  if (!address.includes(`${BRIDGE_ADDRESS}/8`)) {
    throw new Error(`no bridge ${BRIDGE} with ${BRIDGE_ADDRESS}/8 here: run inside tests/support/in-private-network.sh, which makes it before any browser starts`);
  }
}

export class NetworkDevice {
  /** The namespace, for nsenter and nft. */
  readonly netns: string;
  readonly address: string;
  readonly #holder: ChildProcess;
  /** The veth's end in the test's namespace, on the bridge: taken down to cut the device off. */
  readonly #hostEnd: string;
  readonly #dir: string;

  private constructor(holder: ChildProcess, dir: string) {
    const pid = holder.pid!;
    this.#holder = holder;
    this.#dir = dir;
    this.netns = `/proc/${pid}/ns/net`;
    this.address = `10.${(pid >> 16) & 0x3f}.${(pid >> 8) & 0xff}.${pid & 0xff}`;
    this.#hostEnd = `whd${pid}h`;
  }

  static async create(): Promise<NetworkDevice> {
    await expectBridge();
    // A process that holds the namespace for as long as the device lives; it says when the namespace is there.
    const holder = spawn('unshare', ['--net', 'sh', '-c', 'echo ready && exec sleep infinity'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      holder.once('error', reject);
      holder.once('exit', (code) => reject(new Error(`unshare --net exited with ${code}: a device needs the private namespace's privileges`)));
      holder.stdout!.once('data', () => resolve());
    });
    if (holder.pid! >= 2 ** 22) throw new Error(`process id ${holder.pid} does not fit a device address`);
    const device = new NetworkDevice(holder, await mkdtemp(join(tmpdir(), 'whisper-device-')));
    const inside = `whd${holder.pid}d`;
    await ip('link', 'add', device.#hostEnd, 'type', 'veth', 'peer', 'name', inside);
    await ip('link', 'set', inside, 'netns', device.netns);
    await ip('link', 'set', device.#hostEnd, 'master', BRIDGE, 'up');
    await device.#inside('ip', 'link', 'set', 'lo', 'up');
    await device.#inside('ip', 'addr', 'add', `${device.address}/8`, 'dev', inside);
    await device.#inside('ip', 'link', 'set', inside, 'up');
    // A default route, as any device on a network has: Chromium counts itself online only with one.
    await device.#inside('ip', 'route', 'add', 'default', 'dev', inside);
    return device;
  }

  /**
   * An executable that runs Chromium (`chromium`) inside this namespace, for Playwright's `executablePath`:
   * Playwright talks to it over a pipe, which nsenter hands on. Give it `hostResolverRules()` too.
   */
  async chromium(chromium: string): Promise<string> {
    const wrapper = join(this.#dir, 'chromium');
    await writeFile(wrapper, `#!/bin/sh\nexec nsenter --net=${this.netns} ${chromium} "$@"\n`);
    await chmod(wrapper, 0o755);
    return wrapper;
  }

  /** The device's link goes down (its end loses its carrier, as when a phone leaves Wi-Fi): nothing comes or goes. */
  async linkDown(): Promise<void> {
    await ip('link', 'set', this.#hostEnd, 'down');
  }

  async linkUp(): Promise<void> {
    await ip('link', 'set', this.#hostEnd, 'up');
  }

  /** nftables rules that act on what this device receives. */
  faults(): Promise<NetworkFaults> {
    return NetworkFaults.open(this.netns);
  }

  /** Ends the namespace (once the browser in it has ended too) and its veth pair. */
  async close(): Promise<void> {
    this.#holder.kill('SIGKILL');
    await ip('link', 'del', this.#hostEnd).catch(() => undefined); // Gone with the namespace already.
    await rm(this.#dir, { recursive: true, force: true });
  }

  async #inside(...command: string[]): Promise<void> {
    await run('nsenter', [`--net=${this.netns}`, ...command]).catch((error: { stderr?: string }) => {
      throw new Error(`${command.join(' ')} in the device's namespace failed: ${error.stderr ?? String(error)}`);
    });
  }
}

/** Chromium's argument that sends a device's `localhost` to the test namespace across the bridge. */
export const HOST_RESOLVER_RULES = `--host-resolver-rules=MAP localhost ${BRIDGE_ADDRESS}`;
