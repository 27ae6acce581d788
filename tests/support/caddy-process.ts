/**
 * Runs the real Caddy with the repository's Caddyfile in LAN mode (certificates
 * from Caddy's own authority) on a free loopback port, in front of a signal
 * process, as docker-compose.yml runs it in front of the signal service.
 *
 * A small wrapper imports the repo Caddyfile and adds only the global options
 * a test needs: no admin endpoint, no installing the root into the system's
 * trust store, a storage folder of its own and a free port for the HTTP
 * redirect listener. Ready once Caddy serves its root certificate at
 * /whisper-root.crt, which is also how a phone gets it.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { terminate } from './terminate.js';

export const CADDYFILE = join(import.meta.dirname, '../../Caddyfile');

export interface CaddyProcess {
  /** The HTTPS origin people open, e.g. https://127.0.0.1:41234. */
  origin: string;
  port: number;
  /** The plain-HTTP port, which only redirects to HTTPS. */
  httpPort: number;
  /** The root certificate of Caddy's authority (PEM), as downloaded from /whisper-root.crt. */
  rootCertificate: string;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 15_000;

export async function launchCaddy(upstreamPort: number): Promise<CaddyProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'whisper-caddy-'));
  const port = await freePort(HOST);
  let httpPort = await freePort(HOST);
  while (httpPort === port) httpPort = await freePort(HOST);
  const storage = join(dir, 'storage');
  const config = join(dir, 'Caddyfile');
  await writeFile(
    config,
    ['{', '\tadmin off', '\tskip_install_trust', `\thttp_port ${httpPort}`, `\tstorage file_system ${storage}`, '\tgrace_period 1s', '}', `import ${CADDYFILE}`, ''].join('\n'),
  );
  const origin = `https://${HOST}:${port}`;
  const child = spawn('caddy', ['run', '--adapter', 'caddyfile', '--config', config], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      XDG_DATA_HOME: join(dir, 'data'),
      XDG_CONFIG_HOME: join(dir, 'config'),
      WHISPER_MODE: 'lan',
      WHISPER_ADDRESS: origin,
      WHISPER_UPSTREAM_HOST: HOST,
      WHISPER_UPSTREAM_PORT: String(upstreamPort),
      WHISPER_CA_DIR: join(storage, 'pki/authorities/local'),
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
    return { origin, port, httpPort, rootCertificate, stop };
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
