/**
 * Run inside the private network namespace by network-faults.test.ts: sends UDP to itself over the
 * namespace's address under each rule of network-faults.ts, and from a device's namespace
 * (network-device.ts) across the bridge, and prints what arrived as one JSON line. Each batch ends with a
 * marker sent once the rule is gone: loopback delivers in order, so when the marker is in, the batch is.
 */
import { execFile } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { NetworkDevice } from './network-device.js';
import { NetworkFaults, type FaultRule } from './network-faults.js';

const run = promisify(execFile);
const HERE = '10.231.0.1';

export interface ProbeResult {
  dropAll: { arrived: number; counted: number; tcp: boolean };
  afterRemoval: number;
  loss5: { arrived: number; counted: number };
  otherTableUntouched: number;
  fromDevice: { arrived: number; from: string[]; address: string };
  deviceRuleLeavesOthers: number;
}

/** A UDP receiver at HERE that counts what arrives, by sender address. */
async function receiver(): Promise<{ socket: Socket; port: number; seen(): number; batch(send: () => Promise<void>, after?: () => Promise<void>): Promise<{ arrived: number; from: string[] }> }> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, HERE, resolve));
  const port = socket.address().port;
  let arrived = 0;
  return {
    socket,
    port,
    seen: () => arrived,
    async batch(send, after) {
      arrived = 0;
      const from = new Set<string>();
      const marked = new Promise<void>((resolve) => {
        socket.removeAllListeners('message');
        socket.on('message', (message, remote) => {
          if (message.toString() === 'marker') return resolve();
          arrived++;
          from.add(remote.address);
        });
      });
      await send();
      await after?.();
      await udp(port, ['marker']);
      await marked;
      return { arrived, from: [...from] };
    },
  };
}

async function udp(port: number, messages: string[]): Promise<void> {
  const socket = createSocket('udp4');
  for (const message of messages) await new Promise<void>((resolve, reject) => socket.send(message, port, HERE, (error) => (error ? reject(error) : resolve())));
  socket.close();
}

const packets = (n: number) => Array.from({ length: n }, (_, i) => `packet ${i}`);

const faults = await NetworkFaults.open();
const device = await NetworkDevice.create();
const tcp = createServer((socket) => socket.end('hello'));
await new Promise<void>((resolve) => tcp.listen(0, '0.0.0.0', resolve));
const tcpPort = (tcp.address() as { port: number }).port;
const { socket, port, seen, batch } = await receiver();
try {
  /** Sends with `rule` in place, reads its counter, removes it; the marker goes after. */
  const under = async (rule: FaultRule, send: () => Promise<void>) => {
    let counted = 0;
    const { arrived } = await batch(send, async () => {
      counted = await rule.packets();
      await rule.remove();
    });
    return { arrived, counted };
  };
  let tcpWorks = false;
  const dropAll = await under(await faults.dropUdp(), async () => {
    await udp(port, packets(50));
    const { stdout } = await run('node', ['-e', `require('net').connect(${tcpPort}, '${HERE}').on('data', (d) => process.stdout.write(String(d)))`]);
    tcpWorks = stdout === 'hello';
  });
  const afterRemoval = await batch(() => udp(port, packets(50)));
  // In steps of 100, each seen whole (arrived or counted) before the next, so that the receiving socket's
  // buffer never overflows.
  const lossRule = await faults.loseUdp(5);
  const loss5 = await under(lossRule, async () => {
    for (let step = 1; step <= 20; step++) {
      await udp(port, packets(100));
      while (seen() + (await lossRule.packets()) < 100 * step) await new Promise((resolve) => setImmediate(resolve));
    }
  });

  // Another table's rule, and closing that table, leave this traffic alone.
  const other = await NetworkFaults.open();
  await (await other.dropUdp()).remove();
  await other.close();
  const otherTableUntouched = await batch(() => udp(port, packets(20)));

  // From the device, across the bridge: its own address.
  const send = `const s = require('dgram').createSocket('udp4'); let n = 0; const next = () => n < 20 ? s.send('from device ' + n++, ${port}, '${HERE}', next) : s.close(); next();`;
  const fromDevice = await batch(async () => void (await run('nsenter', [`--net=${device.netns}`, 'node', '-e', send])));
  // A rule in the device's namespace acts on what the device receives, not on what the others do.
  const deviceFaults = await device.faults();
  await deviceFaults.dropUdp();
  const deviceRuleLeavesOthers = await batch(() => udp(port, packets(20)));
  await deviceFaults.close();

  const result: ProbeResult = {
    dropAll: { ...dropAll, tcp: tcpWorks },
    afterRemoval: afterRemoval.arrived,
    loss5,
    otherTableUntouched: otherTableUntouched.arrived,
    fromDevice: { arrived: fromDevice.arrived, from: fromDevice.from, address: device.address },
    deviceRuleLeavesOthers: deviceRuleLeavesOthers.arrived,
  };
  console.log(JSON.stringify(result));
} finally {
  socket.close();
  tcp.close();
  await device.close();
  await faults.close();
}
