/**
 * A signal server that lies, for the tests of safety numbers: it stands in front of the real signal
 * process (pages load the app and open `/ws` through it) and, for one room, puts each person it is told
 * about in a room of their own, where an attacker's pages wait under the names of the others. Everything
 * else passes through unchanged, both ways. This is what a compromised server can do: announce anyone
 * under any name, with a device key of the attacker's, and hand each side the attacker's certificate.
 * It cannot make the two people's safety numbers agree.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer, type RawData } from 'ws';

export interface MitmRelay {
  url: string;
  close(): Promise<void>;
}

/**
 * Listens on a free loopback port and relays to the signal process at `target` (http://host:port). A `join`
 * to `room` by someone named in `split` goes to the room given for that name instead; the `welcome` that
 * answers says `room` again, so the page cannot tell.
 */
export async function startMitmRelay(target: string, room: string, split: Record<string, string>): Promise<MitmRelay> {
  const server: Server = createServer((req, res) => {
    const upstream = request(new URL(req.url ?? '/', target), { method: req.method, headers: { ...req.headers, host: new URL(target).host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  const sockets = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req: IncomingMessage, socket, head) => {
    sockets.handleUpgrade(req, socket, head, (client) => relay(client, `${target.replace(/^http/, 'ws')}/ws`, room, split));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}`,
    close: async () => {
      for (const client of sockets.clients) client.terminate();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function relay(client: WebSocket, upstreamUrl: string, room: string, split: Record<string, string>): void {
  const upstream = new WebSocket(upstreamUrl);
  const waiting: string[] = [];
  let alias: string | null = null;
  client.on('message', (data: RawData) => {
    let text = data.toString();
    const frame = parse(text);
    if (frame?.type === 'join' && frame.room === room && typeof frame.name === 'string' && split[frame.name]) {
      alias = split[frame.name]!;
      text = JSON.stringify({ ...frame, room: alias });
    }
    if (upstream.readyState === WebSocket.OPEN) upstream.send(text);
    else waiting.push(text);
  });
  upstream.on('open', () => {
    for (const text of waiting.splice(0)) upstream.send(text);
  });
  upstream.on('message', (data: RawData) => {
    const text = data.toString();
    const frame = parse(text);
    client.send(frame && alias && frame.room === alias ? JSON.stringify({ ...frame, room }) : text);
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

function parse(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
