/**
 * A loopback port that is free for both TCP and UDP, for programs that cannot
 * be told to pick their own and report it (coturn, Caddy). Another process may
 * take it before the program binds it; on these test machines that is rare.
 */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

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
