/**
 * The repo's Caddyfile: valid in both modes, and, run by the real Caddy in LAN
 * mode in front of a real signal process (tests/support/caddy-process.ts),
 * serving the app over HTTPS with the headers a browser should get, once each.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { request, type RequestOptions } from 'node:https';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CONTENT_SECURITY_POLICY, PERMISSIONS_POLICY } from '../../signal/transport/security-headers.js';
import { CADDYFILE, launchCaddy, makeLanAuthority, type CaddyProcess } from '../support/caddy-process.js';
import { launchSignal, type SignalProcess } from '../support/signal-process.js';
import { randomRoom } from '../signal/support/test-client.js';

const run = promisify(execFile);
const DIST = join(import.meta.dirname, '../../dist');

const DOMAIN = { WHISPER_MODE: 'domain', WHISPER_ADDRESS: 'chat.example.org' };

describe('Caddyfile', () => {
  let home: string;
  /** LAN mode, with the authority deploy/lan-ca.sh made for the address. */
  let LAN: { WHISPER_MODE: string; WHISPER_ADDRESS: string; WHISPER_CA_DIR: string };
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'whisper-caddy-home-'));
    LAN = { WHISPER_MODE: 'lan', WHISPER_ADDRESS: 'https://192.168.1.10:8080', WHISPER_CA_DIR: join(home, 'lan-ca') };
    await makeLanAuthority(LAN.WHISPER_ADDRESS, LAN.WHISPER_CA_DIR);
  });
  afterAll(() => rm(home, { recursive: true, force: true }));

  /** Runs caddy on the repo Caddyfile with these settings, as the compose service's environment gives them. */
  const caddy = (command: 'validate' | 'adapt', settings: Record<string, string>) =>
    run('caddy', [command, '--adapter', 'caddyfile', '--config', CADDYFILE], {
      env: { PATH: process.env.PATH ?? '', HOME: home, XDG_DATA_HOME: join(home, 'data'), XDG_CONFIG_HOME: join(home, 'config'), ...settings },
    });
  const adapted = async (settings: Record<string, string>) => (await caddy('adapt', settings)).stdout;

  it('is valid in domain mode: certificates from an ACME authority, HSTS, proxying to every signal process', async () => {
    await caddy('validate', DOMAIN);
    const config = await adapted(DOMAIN);
    expect(config).toContain('"host":["chat.example.org"]');
    expect(config).toContain('"Strict-Transport-Security":["max-age=31536000"]');
    expect(config).not.toContain('"module":"internal"');
    expect(config).not.toContain('whisper-root.crt');
    expect(config).not.toContain('"pki"');
    expect(config).toContain('"dynamic_upstreams":{"name":"signal","port":"8080","refresh":5000000000,"source":"a"}');
    expect(config).toContain('"selection_policy":{"policy":"least_conn"}');
  });

  it('is valid in LAN mode: certificates from the authority of deploy/lan-ca.sh, its root certificate to download, no HSTS', async () => {
    await caddy('validate', LAN);
    const config = await adapted(LAN);
    expect(config).toContain('"host":["192.168.1.10"]');
    expect(config).toContain('"issuers":[{"ca":"whisper","module":"internal"}]');
    expect(config).toContain(`"root":{"certificate":"${LAN.WHISPER_CA_DIR}/root.crt","private_key":"${LAN.WHISPER_CA_DIR}/root.key"}`);
    expect(config).toContain('"path":["/whisper-root.crt"]');
    expect(config).not.toContain('Strict-Transport-Security');
    expect(config).toContain('"dynamic_upstreams":{"name":"signal","port":"8080","refresh":5000000000,"source":"a"}');
    expect(config).toContain('"selection_policy":{"policy":"least_conn"}');
  });

  it('refuses LAN mode without the authority, naming the file it lacks, instead of making one that could sign for any name', async () => {
    const missing = join(home, 'no-lan-ca');
    await expect(caddy('validate', { ...LAN, WHISPER_CA_DIR: missing })).rejects.toThrow(`${missing}/root.crt`);
  });

  it('refuses a mode it does not know, or none, instead of serving without the intended certificates', async () => {
    await expect(caddy('validate', { ...LAN, WHISPER_MODE: 'home' })).rejects.toThrow(/File to import not found: home/);
    await expect(caddy('validate', { WHISPER_ADDRESS: LAN.WHISPER_ADDRESS })).rejects.toThrow(/import/);
  });
});

interface Response {
  status: number;
  /** Every header line, names in lower case, in order (so a repeated header shows twice). */
  headers: Array<[string, string]>;
  body: Buffer;
}

describe('signal behind Caddy in LAN mode', () => {
  let signal: SignalProcess;
  let proxy: CaddyProcess;
  beforeAll(async () => {
    signal = launchSignal({ STATIC_DIR: DIST });
    proxy = await launchCaddy(await signal.listening);
  });
  afterAll(async () => {
    await proxy?.stop();
    await signal?.stop();
  });

  /** An HTTPS request that trusts only Caddy's root, as a phone that installed it. */
  const fetchTrusting = (path: string, headers: Record<string, string> = {}) =>
    new Promise<Response>((resolve, reject) => {
      const options: RequestOptions = { ca: proxy.rootCertificate, headers };
      const req = request(`${proxy.origin}${path}`, options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const headers: Array<[string, string]> = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2) headers.push([res.rawHeaders[i]!.toLowerCase(), res.rawHeaders[i + 1]!]);
          resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks) });
        });
      });
      req.on('error', reject);
      req.end();
    });
  const values = (response: Response, name: string) => response.headers.filter(([key]) => key === name).map(([, value]) => value);

  it('serves the app over HTTPS with a certificate chained to the root it hands out at /whisper-root.crt', async () => {
    const page = await fetchTrusting('/');
    expect(page.status).toBe(200);
    expect(page.body.toString()).toContain('<title>');

    const root = await fetchTrusting('/whisper-root.crt');
    expect(values(root, 'content-type')).toEqual(['application/x-x509-ca-cert']);
    const certificate = new X509Certificate(root.body);
    expect(certificate.ca).toBe(true);
    expect(root.body.toString()).toBe(proxy.rootCertificate);
  });

  it('passes the app’s security headers on once each, as the signal process sets them, with no HSTS in LAN mode', async () => {
    for (const path of ['/', '/r/Zm9vYmFyYmF6cXV4MTIzNA', '/sw.js', '/manifest.webmanifest']) {
      const response = await fetchTrusting(path);
      expect(values(response, 'content-security-policy'), path).toEqual([CONTENT_SECURITY_POLICY]);
      expect(values(response, 'permissions-policy'), path).toEqual([PERMISSIONS_POLICY]);
      expect(values(response, 'x-content-type-options'), path).toEqual(['nosniff']);
      expect(values(response, 'x-frame-options'), path).toEqual(['DENY']);
      expect(values(response, 'strict-transport-security'), path).toEqual([]);
    }
  });

  it('keeps the service worker and the page uncached, and content-hashed assets immutable', async () => {
    expect(values(await fetchTrusting('/sw.js'), 'cache-control')).toEqual(['no-cache']);
    expect(values(await fetchTrusting('/'), 'cache-control')).toEqual(['no-cache']);
    const asset = (await readdir(join(DIST, 'assets'))).find((file) => file.endsWith('.js'))!;
    expect(values(await fetchTrusting(`/assets/${asset}`), 'cache-control')).toEqual(['public, max-age=31536000, immutable']);
  });

  it('compresses: signal’s precompressed files pass through, and Caddy compresses the others', async () => {
    const files = await readdir(join(DIST, 'assets'));
    const precompressed = files.find((file) => file.endsWith('.js') && files.includes(`${file}.br`))!;
    expect(values(await fetchTrusting(`/assets/${precompressed}`, { 'accept-encoding': 'br' }), 'content-encoding')).toEqual(['br']);
    const worker = await fetchTrusting('/sw.js', { 'accept-encoding': 'gzip' });
    expect(values(worker, 'content-encoding')).toEqual(['gzip']);
    expect(values(worker, 'cache-control')).toEqual(['no-cache']);
  });

  it('carries the WebSocket: a page of this origin joins a room over wss, a page of another site is refused', async () => {
    const connect = (origin: string) => new WebSocket(`${proxy.origin.replace('https:', 'wss:')}/ws`, { ca: proxy.rootCertificate, origin });
    const socket = connect(proxy.origin);
    const welcome = await new Promise<Record<string, unknown>>((resolve, reject) => {
      socket.once('open', () => socket.send(JSON.stringify({ type: 'join', room: randomRoom(), name: 'Ada' })));
      socket.once('message', (data) => resolve(JSON.parse(data.toString()) as Record<string, unknown>));
      socket.once('error', reject);
    });
    expect(welcome.type).toBe('welcome');
    socket.close();

    const refused = await new Promise<number>((resolve, reject) => {
      const foreign = connect('https://evil.example');
      foreign.once('unexpected-response', (_, response) => resolve(response.statusCode ?? 0));
      foreign.once('open', () => reject(new Error('a foreign origin got in')));
      foreign.once('error', () => undefined);
    });
    expect(refused).toBe(403);
  });

  it('redirects plain HTTP to HTTPS', async () => {
    const response = await new Promise<{ status: number; location: string | undefined }>((resolve, reject) => {
      httpGet(`http://127.0.0.1:${proxy.httpPort}/r/abc`, { headers: { host: '127.0.0.1' } }, (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, location: res.headers.location });
      }).on('error', reject);
    });
    expect(response).toEqual({ status: 308, location: `${proxy.origin}/r/abc` });
  });

  it('keeps metrics inside the compose network', async () => {
    expect((await fetchTrusting('/metrics')).status).toBe(404);
    expect((await fetchTrusting('/healthz')).status).toBe(200);
  });
});
