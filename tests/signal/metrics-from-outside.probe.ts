/**
 * Run by address-limits.test.ts inside a private network namespace of its own
 * (tests/support/in-private-network.sh), where 10.231.0.1 is an address of this
 * machine that is not loopback, whatever interfaces the machine itself has: two
 * signal servers listen on it, one that lets no one else read /metrics and one
 * whose METRICS_ALLOW lists that address, and each is asked from it. Neither is
 * ready, for want of Redis: a listener of the probe's own holds the port Redis
 * should be on and closes every connection, so /readyz has a reason to keep or
 * tell. Prints what each answered as JSON.
 */
import { get } from 'node:http';
import { createServer } from 'node:net';
import { NAMESPACE_ADDRESS } from '../support/coturn-process.js';
import { startTestSignal, type RunningSignal } from './support/signal-harness.js';

export interface Answer {
  status: number;
  text: string;
}

export interface ProbeResult {
  address: string;
  /** /metrics, /readyz and /healthz of the server that lets no one else read them, then /metrics and /readyz of the one that lets the address. */
  closed: { metrics: number; readyz: Answer; healthz: number };
  open: { metrics: number; readyz: Answer };
}

/** A GET from the address itself. */
function request(url: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    get(url, { localAddress: NAMESPACE_ADDRESS, agent: false }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
    }).on('error', reject);
  });
}

async function probe(): Promise<ProbeResult> {
  const noRedis = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => noRedis.listen(0, '127.0.0.1', resolve));
  const redisUrl = `redis://127.0.0.1:${(noRedis.address() as { port: number }).port}`;
  const servers: RunningSignal[] = [];
  try {
    const closed = await startTestSignal({ HOST: NAMESPACE_ADDRESS, REDIS_URL: redisUrl });
    servers.push(closed);
    const open = await startTestSignal({ HOST: NAMESPACE_ADDRESS, REDIS_URL: redisUrl, METRICS_ALLOW: `${NAMESPACE_ADDRESS}/32` });
    servers.push(open);
    const url = (s: RunningSignal, path: string) => `http://${NAMESPACE_ADDRESS}:${s.port}${path}`;
    return {
      address: NAMESPACE_ADDRESS,
      closed: { metrics: (await request(url(closed, '/metrics'))).status, readyz: await request(url(closed, '/readyz')), healthz: (await request(url(closed, '/healthz'))).status },
      open: { metrics: (await request(url(open, '/metrics'))).status, readyz: await request(url(open, '/readyz')) },
    };
  } finally {
    for (const server of servers) await server.stop();
    noRedis.close();
  }
}

probe().then(
  (result) => {
    console.log(JSON.stringify(result));
    // The servers' Redis clients keep trying in the background: the answers are in, so the probe ends here.
    process.exit(0);
  },
  (error: Error) => {
    console.error(error.stack ?? error.message);
    process.exit(1);
  },
);
