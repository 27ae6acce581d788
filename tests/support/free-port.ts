/**
 * Loopback ports for programs that cannot be told to pick their own and report
 * it (coturn, Caddy, a metrics listener), and for servers a test stops and
 * starts again on the same port (Redis, the signal process).
 *
 * Each is outside the system's range of ephemeral ports (ip_local_port_range),
 * from which the system picks the port of every outgoing connection and every
 * listen on port 0. Between the moment a port is found free here and the moment
 * the program binds it (or binds it again after a restart), the system hands
 * it to no one: another process could only take it by asking for that number.
 */
import { createSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';

/** Above the ports of well-known and common registered services. */
const FROM = 10_000;

async function unassignedPort(host: string, udp: boolean): Promise<number> {
  const [low] = (await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')).trim().split(/\s+/).map(Number);
  if (!low || low - FROM < 1000) throw new Error(`ip_local_port_range starts at ${low}: too few ports are left below it for the tests' servers`);
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = FROM + Math.floor(Math.random() * (low - FROM));
    const tcpFree = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, host, () => server.close(() => resolve(true)));
    });
    const udpFree =
      !udp ||
      (await new Promise<boolean>((resolve) => {
        const socket = createSocket('udp4');
        socket.once('error', () => resolve(false));
        socket.bind(port, host, () => socket.close(() => resolve(true)));
      }));
    if (tcpFree && udpFree) return port;
  }
  throw new Error(`no port below ${low} free for TCP${udp ? ' and UDP' : ''} on ${host}`);
}

/** A port free for both TCP and UDP (coturn listens on both). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return unassignedPort(host, true);
}

/** A port free for TCP, for a server that is stopped and started again on it. */
export function portForRestarts(host = '127.0.0.1'): Promise<number> {
  return unassignedPort(host, false);
}
