/**
 * The load generator: a process of its own (pinned to its own core by
 * main.ts), driven over IPC. It opens WebSocket clients in rooms of two, sends
 * signal frames between the pairs at a fixed open-loop rate, and times each
 * from the moment the schedule said it should go to its arrival at the other
 * client of the pair: a message the generator sent late (because it was busy
 * reading replies, or a timer fired late) counts its wait, as a client's would
 * (no coordinated omission). The time from the actual send is reported too.
 */
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { MESSAGE_MIX, WIRES, sequenceOf, type ServerKind, type WireProtocol } from './wire.js';

export type GeneratorCommand =
  /** Opens `connections` more clients (in rooms of two), beside those already open. */
  | { cmd: 'connect'; server: ServerKind; port: number; connections: number; concurrency: number }
  | { cmd: 'disconnect' }
  | { cmd: 'load'; rate: number }
  | { cmd: 'record' }
  | { cmd: 'report' }
  | { cmd: 'stop-load' };

export interface ConnectReport {
  opened: number;
  failed: number;
  ms: number;
}

export interface LoadReport {
  sent: number;
  received: number;
  /** Relay latency in ms of the messages received since `record`, from the time each was scheduled to go. */
  p50: number;
  p99: number;
  p999: number;
  max: number;
  /** The same from the moment each was actually sent, which hides the generator's own delays (for comparison only). */
  fromSend: { p50: number; p99: number };
  /** How late the open-loop schedule ran (ms, p99): large values mean the generator itself was saturated. */
  scheduleLagP99: number;
  /** Share of one core the generator used since `record`. */
  generatorCpu: number;
  /** Messages sent between `record` and the first `report` after it that have not arrived (lost, or still in flight). */
  missing: number;
}

interface Client {
  socket: WebSocket;
  /** The id the server knows this client by (for Whisper, the one it assigned). */
  id: string;
  partner: Client | null;
  /** Pre-split frames to the partner, one per kind of the mix. */
  frames: Array<[string, string]>;
  next: number;
}

const SEND_TIMES = 1 << 20;
/** By sequence number (modulo SEND_TIMES): when the schedule said the message should go, and when it went. */
const scheduledTimes = new Float64Array(SEND_TIMES);
const sendTimes = new Float64Array(SEND_TIMES);

let wire: WireProtocol = WIRES.whisper;
let clients: Client[] = [];
let heartbeatTimer: NodeJS.Timeout | null = null;

let loadTimer: NodeJS.Timeout | null = null;
let sequence = 0;
let sent = 0;
let received = 0;
let recordedSent = 0;
let recordedReceived = 0;
/** Latencies from the scheduled send and from the actual one, of the messages received since `record`. */
let latencies = new Float64Array(1 << 16);
let sendLatencies = new Float64Array(1 << 16);
let latencyCount = 0;
/** The sequence numbers of the window: from `record` to the first `report` after it (-1: still open). */
let windowFirst = 0;
let windowEnd = -1;
let receivedInWindow = 0;
let lags: number[] = [];
let recordCpu = process.cpuUsage();
let recordWall = performance.now();

const grow = (values: Float64Array) => {
  const grown = new Float64Array(values.length * 2);
  grown.set(values);
  return grown;
};

function record(seq: number, now: number): void {
  if (latencyCount === latencies.length) {
    latencies = grow(latencies);
    sendLatencies = grow(sendLatencies);
  }
  latencies[latencyCount] = now - scheduledTimes[seq & (SEND_TIMES - 1)]!;
  sendLatencies[latencyCount++] = now - sendTimes[seq & (SEND_TIMES - 1)]!;
}

function onFrame(data: Buffer): void {
  const seq = sequenceOf(data);
  if (seq < 0) return;
  received++;
  const now = performance.now();
  if (seq >= windowFirst && (windowEnd < 0 || seq < windowEnd)) receivedInWindow++;
  record(seq, now);
}

function openClient(server: ServerKind, port: number, room: string, index: number): Promise<Client> {
  const ownId = randomBytes(16).toString('base64url');
  const socket = new WebSocket(wire.url(port, ownId), { perMessageDeflate: false, skipUTF8Validation: true });
  return new Promise((resolve, reject) => {
    const client: Client = { socket, id: '', partner: null, frames: [], next: 0 };
    const fail = (error: Error) => reject(error);
    socket.once('error', fail);
    socket.once('unexpected-response', (_, response) => fail(new Error(`upgrade refused: ${response.statusCode}`)));
    socket.once('open', () => {
      const hello = wire.hello(room, `bench ${index}`);
      if (hello) socket.send(hello);
    });
    const onSetup = (data: Buffer) => {
      const id = wire.ready(data.toString(), ownId);
      if (id === null) return;
      client.id = id;
      socket.off('message', onSetup);
      socket.on('message', onFrame);
      socket.off('error', fail);
      socket.on('error', () => undefined);
      resolve(client);
    };
    socket.on('message', onSetup);
  });
}

async function connect(server: ServerKind, port: number, connections: number, concurrency: number): Promise<ConnectReport> {
  wire = WIRES[server];
  const started = performance.now();
  const pairs = Math.floor(connections / 2);
  let failed = 0;
  let nextPair = 0;
  const opened: Client[] = [];
  const worker = async () => {
    while (nextPair < pairs) {
      const pair = nextPair++;
      const room = randomBytes(16).toString('base64url');
      try {
        // The second joins once the first is in, as two people would.
        const first = await openClient(server, port, room, pair * 2);
        const second = await openClient(server, port, room, pair * 2 + 1);
        first.partner = second;
        second.partner = first;
        opened.push(first, second);
      } catch {
        failed += 2;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  const ms = performance.now() - started;
  for (const client of opened) client.frames = MESSAGE_MIX.map((kind) => wire.signalFrame(client.partner!.id, kind));
  clients.push(...opened);
  startHeartbeats();
  return { opened: opened.length, failed, ms };
}

/** Each client sends its server's heartbeat as the real client would, spread evenly over the interval. */
function startHeartbeats(): void {
  if (heartbeatTimer) clearInterval(heartbeatTimer);
  const { frame, everyMs } = wire.heartbeat;
  const tickMs = 100;
  const perTick = clients.length / (everyMs / tickMs);
  let cursor = 0;
  let credit = 0;
  heartbeatTimer = setInterval(() => {
    credit += perTick;
    for (; credit >= 1; credit--) {
      const client = clients[cursor++ % clients.length];
      if (client?.socket.readyState === WebSocket.OPEN) client.socket.send(frame);
    }
  }, tickMs);
}

async function disconnect(): Promise<void> {
  if (heartbeatTimer) clearInterval(heartbeatTimer);
  heartbeatTimer = null;
  const closing = clients.map(
    (client) =>
      new Promise<void>((resolve) => {
        if (client.socket.readyState === WebSocket.CLOSED) return resolve();
        client.socket.once('close', () => resolve());
        client.socket.close();
        setTimeout(() => {
          client.socket.terminate();
          resolve();
        }, 3000).unref();
      }),
  );
  await Promise.all(closing);
  clients = [];
}

/** Open loop: the schedule says how many messages should have gone by now, whatever the server does. */
function startLoad(rate: number): void {
  const started = performance.now();
  /** When the schedule says the message numbered `due` (from 0) of this load should go. */
  const scheduled = (due: number) => started + ((due + 1) / rate) * 1000;
  let due = 0;
  let cursor = 0;
  const tick = () => {
    const now = performance.now();
    const shouldHaveSent = Math.floor(((now - started) / 1000) * rate);
    if (shouldHaveSent > due) lags.push(now - scheduled(due));
    for (; due < shouldHaveSent; due++) {
      const client = clients[cursor++ % clients.length]!;
      const [prefix, suffix] = client.frames[client.next++ % client.frames.length]!;
      const seq = sequence++;
      scheduledTimes[seq & (SEND_TIMES - 1)] = scheduled(due);
      sendTimes[seq & (SEND_TIMES - 1)] = performance.now();
      client.socket.send(prefix + seq + suffix);
      sent++;
    }
    loadTimer = setTimeout(tick, 1);
  };
  tick();
}

function stopLoad(): void {
  if (loadTimer) clearTimeout(loadTimer);
  loadTimer = null;
}

function startRecording(): void {
  recordedSent = sent;
  recordedReceived = received;
  windowFirst = sequence;
  windowEnd = -1;
  receivedInWindow = 0;
  latencyCount = 0;
  lags = [];
  recordCpu = process.cpuUsage();
  recordWall = performance.now();
}

function report(): LoadReport {
  const cpu = process.cpuUsage(recordCpu);
  const wall = performance.now() - recordWall;
  if (windowEnd < 0) windowEnd = sequence;
  const percentiles = (values: Float64Array) => {
    const sorted = values.subarray(0, latencyCount).sort();
    return (p: number) => (latencyCount === 0 ? NaN : sorted[Math.min(latencyCount - 1, Math.floor(p * latencyCount))]!);
  };
  const at = percentiles(latencies);
  const fromSend = percentiles(sendLatencies);
  const sortedLags = lags.sort((a, b) => a - b);
  return {
    sent: sent - recordedSent,
    received: received - recordedReceived,
    p50: at(0.5),
    p99: at(0.99),
    p999: at(0.999),
    max: at(1),
    fromSend: { p50: fromSend(0.5), p99: fromSend(0.99) },
    scheduleLagP99: sortedLags.length === 0 ? 0 : sortedLags[Math.floor(0.99 * (sortedLags.length - 1))]!,
    generatorCpu: (cpu.user + cpu.system) / 1000 / wall,
    missing: windowEnd - windowFirst - receivedInWindow,
  };
}

process.on('message', (command: GeneratorCommand) => {
  const answer = (value: unknown) => process.send!(value);
  switch (command.cmd) {
    case 'connect':
      void connect(command.server, command.port, command.connections, command.concurrency).then(answer);
      return;
    case 'disconnect':
      void disconnect().then(() => answer({}));
      return;
    case 'load':
      startLoad(command.rate);
      answer({});
      return;
    case 'record':
      startRecording();
      answer({});
      return;
    case 'report':
      answer(report());
      return;
    case 'stop-load':
      stopLoad();
      answer({});
      return;
  }
});
process.on('disconnect', () => process.exit(0));
process.send!({ started: true });
