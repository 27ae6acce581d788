import { writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeStaticSite, startTestSignal, type RunningSignal } from './support/signal-harness.js';
import { TestClient } from './support/test-client.js';

const INDEX = '<!doctype html><title>Whisper</title><script type="module" src="/assets/app-3f9a1c.js"></script>';
const APP_JS = `console.log(${JSON.stringify('whisper '.repeat(500))});`;

let signal: RunningSignal;
let site: Awaited<ReturnType<typeof makeStaticSite>>;
beforeAll(async () => {
  site = await makeStaticSite({
    'index.html': INDEX,
    'assets/app-3f9a1c.js': APP_JS,
    'assets/app-3f9a1c.js.br': brotliCompressSync(APP_JS),
    'assets/app-3f9a1c.js.gz': gzipSync(APP_JS),
    'sw.js': 'self.addEventListener("fetch", () => {});',
    'manifest.webmanifest': '{"name":"Whisper"}',
    'icons/icon-192.png': Buffer.from([0x89, 0x50, 0x4e, 0x47]),
  });
  signal = await startTestSignal({ STATIC_DIR: site.dir });
});
afterAll(async () => {
  await signal.stop();
  await site.remove();
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${signal.httpUrl}${path}`, { headers });

/** A GET that sends the path and headers exactly as given (fetch would normalise them). */
const rawGet = (path: string, headers: Record<string, string> = {}) =>
  new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
    request({ host: '127.0.0.1', port: signal.port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    })
      .on('error', reject)
      .end();
  });

describe('static serving', () => {
  it('serves index.html at / and never lets it be cached without revalidation', async () => {
    const response = await get('/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(await response.text()).toBe(INDEX);
  });

  it('falls back to index.html for app routes such as /r/<room>', async () => {
    const response = await get('/r/Zm9vYmFyYmF6cXV4MTIzNA');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(INDEX);
    expect(response.headers.get('cache-control')).toBe('no-cache');
  });

  it('answers 404 for a missing file rather than handing out the app', async () => {
    expect((await get('/assets/missing-123.js')).status).toBe(404);
    expect((await get('/favicon.ico')).status).toBe(404);
  });

  it('caches hashed assets immutably for a year', async () => {
    const response = await get('/assets/app-3f9a1c.js', { 'accept-encoding': 'identity' });
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await response.text()).toBe(APP_JS);
  });

  it('never caches the service worker or the manifest without revalidation', async () => {
    for (const path of ['/sw.js', '/manifest.webmanifest', '/icons/icon-192.png']) {
      expect((await get(path)).headers.get('cache-control'), path).toBe('no-cache');
    }
    expect((await get('/manifest.webmanifest')).headers.get('content-type')).toBe('application/manifest+json');
  });

  it('sends the precompressed file the browser accepts', async () => {
    const raw = (encoding: string) => rawGet('/assets/app-3f9a1c.js', { 'accept-encoding': encoding });
    const br = await raw('gzip, deflate, br');
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toBe('Accept-Encoding');
    expect(brotliDecompressSync(br.body).toString()).toBe(APP_JS);
    expect((await raw('gzip')).headers['content-encoding']).toBe('gzip');
    const plain = await raw('identity');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(APP_JS);
  });

  it('answers a matching If-None-Match with 304', async () => {
    const etag = (await get('/')).headers.get('etag')!;
    expect(etag).toMatch(/^".+"$/);
    const again = await get('/', { 'if-none-match': etag });
    expect(again.status).toBe(304);
  });

  it('supports HEAD and refuses other methods', async () => {
    const head = await fetch(`${signal.httpUrl}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await fetch(`${signal.httpUrl}/`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
  });

  it('is not fooled by encoded paths', async () => {
    expect((await rawGet('/%2e%2e/%2e%2e/etc/passwd')).status).toBe(404);
    expect((await rawGet('/assets/../index.html')).status).toBe(404);
    expect((await rawGet('/%E0%A4%A')).status).toBe(400);
  });
});

describe('reloading the app', () => {
  it('serves a new build after reloadStaticFiles (SIGHUP) while WebSockets stay open', async () => {
    const client = await TestClient.connect(signal.wsUrl);
    await writeFile(join(site.dir, 'index.html'), '<!doctype html><title>Whisper 2</title>');
    expect(await (await get('/')).text()).toBe(INDEX);
    await signal.server.reloadStaticFiles();
    expect(await (await get('/')).text()).toBe('<!doctype html><title>Whisper 2</title>');
    client.send({ type: 'ping', t: 2 });
    expect(await client.next('pong')).toEqual({ type: 'pong', t: 2 });
    client.close();
    await writeFile(join(site.dir, 'index.html'), INDEX);
    await signal.server.reloadStaticFiles();
  });
});

describe('security headers', () => {
  it('sends a strict CSP and the other protective headers on every response', async () => {
    for (const path of ['/', '/assets/app-3f9a1c.js', '/healthz', '/missing.txt']) {
      const headers = (await get(path)).headers;
      const csp = headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("default-src 'self'");
      const scriptSources = csp.split('; ').find((directive) => directive.startsWith('script-src '))!.split(' ').slice(1);
      expect(scriptSources).toEqual(["'self'", "'wasm-unsafe-eval'"]);
      expect(csp).not.toContain('unsafe-inline');
      expect(csp.split(/[ ;]+/)).not.toContain("'unsafe-eval'");
      expect(csp).toContain("connect-src 'self' blob:;");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      expect(headers.get('x-content-type-options')).toBe('nosniff');
      expect(headers.get('x-frame-options')).toBe('DENY');
      expect(headers.get('referrer-policy')).toBe('no-referrer');
      const permissions = headers.get('permissions-policy') ?? '';
      expect(permissions).toContain('camera=(self)');
      expect(permissions).toContain('microphone=(self)');
      expect(permissions).toContain('geolocation=()');
    }
  });
});

describe('operations endpoints', () => {
  it('reports health, readiness and Prometheus metrics', async () => {
    expect(await (await get('/healthz')).text()).toBe('ok');
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    const metrics = await get('/metrics');
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    const text = await metrics.text();
    for (const name of ['whisper_connections', 'whisper_rooms', 'whisper_peers', 'whisper_signals_relayed_total', 'whisper_errors_total', 'whisper_rate_limited_total', 'whisper_process_resident_memory_bytes']) {
      expect(text).toContain(`# TYPE ${name}`);
    }
    expect(metrics.headers.get('cache-control')).toBe('no-store');
  });
});
