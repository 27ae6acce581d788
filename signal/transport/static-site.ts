/**
 * Serves the built app from memory. The whole build is small (it is meant to
 * load instantly on a phone), so it is read once at boot with its
 * precompressed variants, and each request is a map lookup.
 *
 * Caching: files under /assets/ carry a content hash in their name and are
 * immutable; everything else (index.html, the service worker, the manifest,
 * icons) must be revalidated on every use, so that an update is never missed.
 * App routes such as /r/<room> get index.html (SPA fallback).
 */
import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { StartupError } from '../config.js';
import { respond, respondText, type Headers } from './http-response.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
};

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

type Encoding = 'br' | 'gzip';

interface StaticFile {
  body: Buffer;
  variants: Partial<Record<Encoding, Buffer>>;
  etag: string;
  headers: Headers;
}

export class StaticSite {
  readonly #files: Map<string, StaticFile>;

  private constructor(files: Map<string, StaticFile>) {
    this.#files = files;
  }

  get size(): number {
    return this.#files.size;
  }

  static async load(root: string): Promise<StaticSite> {
    const info = await stat(root).catch(() => null);
    if (!info?.isDirectory()) {
      throw new StartupError(`no built app in ${root}: run "npm run build" first (or set STATIC_DIR to the folder that holds it)`);
    }
    const files = new Map<string, StaticFile>();
    for (const path of await listFiles(root)) {
      if (path.endsWith('.br') || path.endsWith('.gz')) continue;
      const urlPath = '/' + relative(root, path).split(sep).join('/');
      const body = await readFile(path);
      const variants: StaticFile['variants'] = {};
      for (const [encoding, suffix] of [['br', '.br'], ['gzip', '.gz']] as const) {
        const compressed = await readFile(path + suffix).catch(() => null);
        if (compressed && compressed.length < body.length) variants[encoding] = compressed;
      }
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
      const contentType = CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
      const cacheControl = urlPath.startsWith('/assets/') ? IMMUTABLE : REVALIDATE;
      const headers: Headers = [
        ['Content-Type', contentType],
        ['Cache-Control', cacheControl],
        ['ETag', etag],
        ...(Object.keys(variants).length > 0 ? [['Vary', 'Accept-Encoding'] as const] : []),
      ];
      files.set(urlPath, { body, variants, etag, headers });
    }
    if (!files.has('/index.html')) throw new StartupError(`no index.html in ${root}: run "npm run build" first`);
    return new StaticSite(files);
  }

  /** Handles GET and HEAD of everything that is not an API route. */
  serve(res: HttpResponse, req: HttpRequest): void {
    const method = req.getMethod().toLowerCase();
    if (method !== 'get' && method !== 'head') {
      respondText(res, '405 Method Not Allowed', 'method not allowed', [['Allow', 'GET, HEAD']]);
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent(req.getUrl());
    } catch {
      respondText(res, '400 Bad Request', 'malformed URL');
      return;
    }
    const file = this.#lookup(path);
    if (!file) {
      respondText(res, '404 Not Found', 'not found');
      return;
    }
    if (req.getHeader('if-none-match') === file.etag) {
      respond(res, '304 Not Modified', file.headers.filter(([name]) => name !== 'Content-Type'));
      return;
    }
    const accepted = req.getHeader('accept-encoding');
    const encoding = pickEncoding(accepted, file.variants);
    const body = encoding ? file.variants[encoding]! : file.body;
    const headers: Headers = encoding ? [...file.headers, ['Content-Encoding', encoding]] : file.headers;
    respond(res, '200 OK', headers, body, method === 'head');
  }

  #lookup(path: string): StaticFile | undefined {
    if (path.includes('/..') || path.includes('\0')) return undefined;
    const exact = this.#files.get(path === '/' ? '/index.html' : path);
    if (exact) return exact;
    // A path whose last segment has no extension is an app route: the app decides what it shows.
    const last = path.slice(path.lastIndexOf('/') + 1);
    return last.includes('.') ? undefined : this.#files.get('/index.html');
  }
}

function pickEncoding(accepted: string, variants: StaticFile['variants']): Encoding | null {
  const tokens = accepted.toLowerCase().split(',').map((token) => token.split(';')[0]!.trim());
  if (variants.br && tokens.includes('br')) return 'br';
  if (variants.gzip && tokens.includes('gzip')) return 'gzip';
  return null;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return listFiles(path);
      return Promise.resolve(entry.isFile() ? [path] : []);
    }),
  );
  return nested.flat();
}
