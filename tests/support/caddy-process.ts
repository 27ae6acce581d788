/**
 * Runs the real Caddy with the repository's Caddyfile in LAN mode on a free
 * loopback port, in front of a signal process, as docker-compose.yml runs it in
 * front of the signal service; its authority is made as the README tells an
 * operator to, by deploy/lan-ca.sh for the address people open (127.0.0.1).
 *
 * The test's copy of the Caddyfile adds to its global options only what a test
 * needs: no admin endpoint, a storage folder of its own, a free port for the
 * HTTP redirect listener; and, for several signal processes (the scaled
 * profile), a DNS server of the test's own that answers their name with their
 * addresses, as compose's does. Ready once Caddy serves the root certificate at
 * /whisper-root.crt, which is also how a phone gets it.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';
import { terminate } from './terminate.js';

export const CADDYFILE = join(import.meta.dirname, '../../Caddyfile');

export interface CaddyProcess {
  /** The HTTPS origin people open, e.g. https://127.0.0.1:41234. */
  origin: string;
  port: number;
  /** The plain-HTTP port, which only redirects to HTTPS. */
  httpPort: number;
  /** The root certificate of the authority (PEM), as downloaded from /whisper-root.crt. */
  rootCertificate: string;
  /** The authority deploy/lan-ca.sh made for this deployment, which Caddy signs with. */
  authority: LanAuthority;
  /** Caddy's storage folder (the caddy_data volume in compose), where it keeps its intermediate. */
  storage: string;
  stop(): Promise<void>;
}

export interface LanAuthority {
  /** The folder with root.crt and root.key. */
  dir: string;
  /** root.crt (PEM) as the script wrote it. */
  certificate: string;
}

export const LAN_CA_SCRIPT = join(import.meta.dirname, '../../deploy/lan-ca.sh');

/** Runs deploy/lan-ca.sh for `address` into `dir`, as an operator does before the first start. */
export async function makeLanAuthority(address: string, dir: string): Promise<LanAuthority> {
  await promisify(execFile)('sh', [LAN_CA_SCRIPT, address, dir]).catch((error: { stderr?: string; message: string }) => {
    throw new Error(`deploy/lan-ca.sh failed (it needs openssl: apt-get install -y openssl): ${error.stderr || error.message}`);
  });
  return { dir, certificate: await readFile(join(dir, 'root.crt'), 'utf8') };
}

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 15_000;

/** Where Caddy finds the signal processes: WHISPER_UPSTREAM_HOST and _PORT. */
export interface CaddyUpstreams {
  /** The name (or address) looked up for A records every 5 s. */
  host: string;
  port: number;
  /** The DNS server to ask over UDP ("127.0.0.1:<port>"), added to the dynamic upstreams' options. */
  resolver?: string;
}

/** Caddy in front of one signal process on loopback (its port), or of the processes `upstreams` names. */
export async function launchCaddy(upstreams: number | CaddyUpstreams): Promise<CaddyProcess> {
  const upstream = typeof upstreams === 'number' ? { host: HOST, port: upstreams } : upstreams;
  let caddyfile = await readFile(CADDYFILE, 'utf8');
  // The global options block is the Caddyfile's one line that is a lone brace.
  if (!/^\{$/m.test(caddyfile)) throw new Error(`${CADDYFILE} has no global options block to add the test's options to`);
  if (upstream.resolver) {
    const dynamic = /^(\s*)(dynamic a .*\{)$/m;
    if (!dynamic.test(caddyfile)) throw new Error(`${CADDYFILE} has no "dynamic a" upstreams to point at the test's DNS server`);
    // udp/: without it, Caddy 2.6 asks the resolver over TCP.
    caddyfile = caddyfile.replace(dynamic, `$1$2\n$1\tresolvers udp/${upstream.resolver}`);
  }
  const port = await freePort(HOST);
  let httpPort = await freePort(HOST);
  while (httpPort === port) httpPort = await freePort(HOST);
  const origin = `https://${HOST}:${port}`;
  const dir = await mkdtemp(join(tmpdir(), 'whisper-caddy-'));
  const storage = join(dir, 'storage');
  const caDir = join(dir, 'lan-ca');
  const config = join(dir, 'Caddyfile');
  const testOptions = ['\tadmin off', `\thttp_port ${httpPort}`, `\tstorage file_system ${storage}`, '\tgrace_period 1s'];
  let authority: LanAuthority;
  try {
    await writeFile(config, caddyfile.replace(/^\{$/m, ['{', ...testOptions].join('\n')));
    authority = await makeLanAuthority(origin, caDir);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const child = spawn('caddy', ['run', '--adapter', 'caddyfile', '--config', config], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      XDG_DATA_HOME: join(dir, 'data'),
      XDG_CONFIG_HOME: join(dir, 'config'),
      WHISPER_MODE: 'lan',
      WHISPER_ADDRESS: origin,
      WHISPER_UPSTREAM_HOST: upstream.host,
      WHISPER_UPSTREAM_PORT: String(upstream.port),
      WHISPER_CA_DIR: caDir,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const spawnFailed = new Promise<never>((_, reject) => child.once('error', (error) => reject(new Error(`cannot run caddy (bash tests/support/system-deps.sh caddy installs it): ${error.message}`))));

  const stop = async () => {
    await terminate(child, exited, 5000);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const rootCertificate = await Promise.race([
      downloadRootCertificate(origin),
      spawnFailed,
      exited.then((code) => {
        throw new Error(`caddy exited with ${code}: ${stderr}`);
      }),
    ]);
    return { origin, port, httpPort, rootCertificate, authority, storage, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Fetches /whisper-root.crt, retrying until Caddy listens; the one request made without checking the certificate. */
async function downloadRootCertificate(origin: string): Promise<string> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const body = await new Promise<string | null>((resolve) => {
      const req = request(`${origin}/whisper-root.crt`, { rejectUnauthorized: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve(res.statusCode === 200 && text.includes('BEGIN CERTIFICATE') ? text : null));
      });
      req.on('error', () => resolve(null));
      req.end();
    });
    if (body) return body;
    if (Date.now() > deadline) throw new Error(`caddy did not serve ${origin}/whisper-root.crt within ${READY_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
