/**
 * Loopback ports for programs that cannot be told to pick their own and report
 * it (coturn, Caddy), and for servers restarted on the same port.
 */
import { createSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';

/**
 * A port free for both TCP and UDP now. Another process may take it before the program binds it (the system
 * may hand it to any listen on port 0); on these test machines that is rare.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, host, () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const socket = createSocket('udp4');
      socket.once('error', () => resolve(false));
      socket.bind(port, host, () => socket.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new Error(`no port free for both TCP and UDP on ${host}`);
}

/**
 * A loopback port for a server that a test stops and starts again on the same port (Redis, the signal process).
 * While it is down, the port must not be handed to anyone else: this one is outside the system's range of
 * ephemeral ports (ip_local_port_range), from which the system picks the port of every outgoing connection and
 * every listen on port 0, so only a program told this very number could take it. Free for TCP when chosen.
 */
export async function portForRestarts(host = '127.0.0.1'): Promise<number> {
  const [low] = (await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')).trim().split(/\s+/).map(Number);
  // Above the ports of well-known and common registered services.
  const FROM = 10_000;
  if (!low || low - FROM < 1000) throw new Error(`ip_local_port_range starts at ${low}: no ports are left outside it for a server restarted on its port`);
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = FROM + Math.floor(Math.random() * (low - FROM));
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, host, () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`no free port below ${low} on ${host}`);
}
