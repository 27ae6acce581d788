/**
 * A signal server that lies, for the tests of safety numbers and device keys: it stands in front of the
 * real signal process (pages load the app and open `/ws` through it) and passes everything on, both ways,
 * except what a test tells it to change. This is what a compromised server, or a peer with a modified app,
 * can do:
 *
 * - `split`: for one room, each person it is told about goes to a room of their own, where an attacker's
 *   pages wait under the names of the others (announce anyone under any name, with the attacker's key).
 * - `impersonate`: a page that joins under a name claims another device's key in its `join`, and the
 *   descriptions it sends carry that device's DTLS fingerprint beside its own (a description with two
 *   fingerprints: Firefox accepts a certificate that matches any of them).
 *
 * It cannot make the two people's safety numbers agree, nor complete a DTLS handshake with a key it lacks.
 *
 * With `firstScript`, it also serves a script of the test's own and has every HTML page load it before anything
 * else (same origin, so the app's CSP lets it run): the WebKit suite's error recorder, which classic WebDriver
 * cannot install before a page's own scripts.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer, type RawData } from 'ws';

/** Where the claimed fingerprint goes: beside the impostor's own in each media section, or once at session level. */
export type FingerprintPlacement = 'media' | 'session';

export interface MitmRelay {
  url: string;
  /** The device key each name joined with, as the relay saw it (the last join under that name). */
  deviceOf(name: string): string | undefined;
  /** From now on, a page joining as `name` claims `device` and adds its fingerprint to every description. */
  impersonate(name: string, device: string, placement: FingerprintPlacement): void;
  /** Descriptions the relay changed so far. */
  readonly forged: number;
  close(): Promise<void>;
}

type Frame = Record<string, unknown>;

interface Rewrite {
  /** A frame from the page to the server; returns the text to pass on. */
  up(frame: Frame | null, text: string): string;
  /** A frame from the server to the page. */
  down(frame: Frame | null, text: string): string;
}

/** A script served at `path` and loaded first by every HTML page the relay passes on. */
export interface FirstScript {
  path: string;
  source: string;
}

/**
 * Listens on a free loopback port and relays to the signal process at `target` (http://host:port). A `join`
 * to `room` by someone named in `split` goes to the room given for that name instead; the `welcome` that
 * answers says `room` again, so the page cannot tell.
 */
export async function startMitmRelay(target: string, room = '', split: Record<string, string> = {}, firstScript?: FirstScript): Promise<MitmRelay> {
  const devices = new Map<string, string>();
  const impostors = new Map<string, { device: string; placement: FingerprintPlacement }>();
  let forged = 0;

  const connection = (): Rewrite => {
    let alias: string | null = null;
    let impostor: { device: string; placement: FingerprintPlacement } | null = null;
    return {
      up(frame, text) {
        if (frame?.type === 'join' && typeof frame.name === 'string') {
          impostor = impostors.get(frame.name) ?? null;
          if (impostor) return JSON.stringify({ ...frame, device: impostor.device });
          if (typeof frame.device === 'string') devices.set(frame.name, frame.device);
          if (frame.room === room && split[frame.name]) {
            alias = split[frame.name]!;
            return JSON.stringify({ ...frame, room: alias });
          }
        }
        if (impostor && frame?.type === 'signal') {
          const data = frame.data as { description?: { sdp?: string } } | undefined;
          if (typeof data?.description?.sdp === 'string') {
            forged++;
            return JSON.stringify({ ...frame, data: { ...data, description: { ...data.description, sdp: withFingerprint(data.description.sdp, impostor.device, impostor.placement) } } });
          }
        }
        return text;
      },
      down(frame, text) {
        return frame && alias && frame.room === alias ? JSON.stringify({ ...frame, room }) : text;
      },
    };
  };

  const server: Server = createServer((req, res) => {
    if (firstScript && req.url === firstScript.path) {
      res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' });
      res.end(firstScript.source);
      return;
    }
    // The Host the page asked (this relay's): the signal process checks a request's Origin against it, as behind Caddy.
    const headers = { ...req.headers };
    // Pages are rewritten: asked for as they are, not compressed.
    if (firstScript) delete headers['accept-encoding'];
    const upstream = request(new URL(req.url ?? '/', target), { method: req.method, headers }, (answer) => {
      if (!firstScript || !String(answer.headers['content-type']).startsWith('text/html')) {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () => {
        const page = Buffer.from(Buffer.concat(chunks).toString().replace(/<head>/i, `<head><script src="${firstScript.path}"></script>`));
        const { etag: _etag, ...rest } = answer.headers;
        res.writeHead(answer.statusCode ?? 502, { ...rest, 'content-length': String(page.length) });
        res.end(page);
      });
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  const sockets = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req: IncomingMessage, socket, head) => {
    sockets.handleUpgrade(req, socket, head, (client) => relay(client, `${target.replace(/^http/, 'ws')}/ws`, connection()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}`,
    deviceOf: (name) => devices.get(name),
    impersonate: (name, device, placement) => void impostors.set(name, { device, placement }),
    get forged() {
      return forged;
    },
    close: async () => {
      for (const client of sockets.clients) client.terminate();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `sdp` with `device`'s fingerprint (64 hex digits) added: before each media section's own, or at session level. */
export function withFingerprint(sdp: string, device: string, placement: FingerprintPlacement): string {
  const line = `a=fingerprint:sha-256 ${device.match(/../g)!.join(':')}`;
  if (placement === 'media') return sdp.replace(/^a=fingerprint:/gm, `${line}\r\na=fingerprint:`);
  return sdp.replace(/^m=/m, `${line}\r\nm=`);
}

function relay(client: WebSocket, upstreamUrl: string, rewrite: Rewrite): void {
  const upstream = new WebSocket(upstreamUrl);
  const waiting: string[] = [];
  client.on('message', (data: RawData) => {
    const text = data.toString();
    const changed = rewrite.up(parse(text), text);
    if (upstream.readyState === WebSocket.OPEN) upstream.send(changed);
    else waiting.push(changed);
  });
  upstream.on('open', () => {
    for (const text of waiting.splice(0)) upstream.send(text);
  });
  upstream.on('message', (data: RawData) => {
    const text = data.toString();
    client.send(rewrite.down(parse(text), text));
  });
  const closeBoth = () => {
    client.close();
    upstream.close();
  };
  client.on('close', closeBoth);
  upstream.on('close', closeBoth);
  client.on('error', closeBoth);
  upstream.on('error', closeBoth);
}

function parse(text: string): Frame | null {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' ? (value as Frame) : null;
  } catch {
    return null;
  }
}
