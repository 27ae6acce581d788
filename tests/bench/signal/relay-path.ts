/**
 * The Whisper server's relay path alone, in process, with no sockets: a signal
 * frame goes through rate limit, decoding and validation, the handler and the
 * room registry to a fake link. Reports nanoseconds of JavaScript per message,
 * which (unlike the whole server's CPU time) hardly moves with the machine's load.
 */
import { LocalAddressLimits } from '../../../signal/limits/address-limits.js';
import { pino } from 'pino';
import { ClientConnection } from '../../../signal/handlers/client-connection.js';
import type { HandlerContext } from '../../../signal/handlers/context.js';
import { dispatchFrame, dispatchText } from '../../../signal/handlers/dispatch.js';
import { SignalMetrics } from '../../../signal/ops/metrics.js';
import { LocalRoomBus } from '../../../signal/rooms/local-room-bus.js';
import type { ClientLink, Frame } from '../../../signal/rooms/client-link.js';
import { RoomRegistry } from '../../../signal/rooms/room-registry.js';
import { IceServerIssuer } from '../../../signal/turn/ice-servers.js';
import { readConfig } from '../../../signal/config.js';
import { MESSAGE_MIX, WHISPER_WIRE } from './wire.js';

class CountingLink implements ClientLink {
  sent = 0;
  last: Frame = '';
  send(frame: Frame): void {
    this.sent++;
    this.last = frame;
  }
  batch(sends: () => void): void {
    sends();
  }
  close(): void {}
}

const MESSAGES = 200_000;
const LIMITS = { messagesPerSecond: 1e9, burst: 1e9, strikes: 30, strikesForgivenPerSecond: 1 };
const ROOM = 'Zm9vYmFyYmF6cXV4MTIzNA';

const registry = new RoomRegistry({ bus: new LocalRoomBus({ maxRoomSize: 16 }), resumeGraceMs: 1000, pendingLimit: 64 });
const context: HandlerContext = {
  registry,
  metrics: new SignalMetrics({ connections: () => 2, rooms: () => 1, peers: () => 2, peersAway: () => 0, pendingSignalBytes: () => 0, trackedAddresses: () => 0 }),
  log: pino({ level: 'silent' }),
  push: null,
  addresses: new LocalAddressLimits({ ...readConfig({}).addressLimits, connectionsPerAddress: 1e6, connectionsPerMinute: 1e6, joinsPerMinute: 1e6 }),
  refused: () => undefined,
  connections: new WeakMap(),
  iceServers: new IceServerIssuer({ stunUrls: [], turnUrls: [], turnSecret: null, turnTtlSeconds: 600 }),
  limits: { maxMessageBytes: 65536, maxRoomSize: 16, messagesPerSecond: 1e9, burst: 1e9, resumeGraceMs: 1000 },
};
const alice = new CountingLink();
const bob = new CountingLink();
const aliceConnection = new ClientConnection(alice, LIMITS);
const bobConnection = new ClientConnection(bob, LIMITS);
dispatchText(context, aliceConnection, JSON.stringify({ type: 'join', room: ROOM, name: 'Alice' }));
const aliceId = (JSON.parse(alice.last as string) as { id: string }).id;
dispatchText(context, bobConnection, JSON.stringify({ type: 'join', room: ROOM, name: 'Bob' }));

// Frames arrive as bytes, as the transport hands them over.
const frames = Array.from({ length: 1024 }, (_, i) => {
  const [prefix, suffix] = WHISPER_WIRE.signalFrame(aliceId, MESSAGE_MIX[i % MESSAGE_MIX.length]!);
  return Buffer.from(`${prefix}${1_000_000 + i}${suffix}`);
});

function round(): number {
  const started = process.hrtime.bigint();
  for (let i = 0; i < MESSAGES; i++) dispatchFrame(context, bobConnection, frames[i & 1023]!);
  return Number(process.hrtime.bigint() - started) / MESSAGES;
}

round();
const rounds = [round(), round(), round()].sort((a, b) => a - b);
if (alice.sent < 4 * MESSAGES) throw new Error('the relay path did not deliver every message');
const result = { nsPerMessage: rounds[1]!, frameBytes: frames[0]!.length };
if (process.send) process.send(result);
else console.log(`relay path: ${result.nsPerMessage.toFixed(0)} ns per ${result.frameBytes}-byte signal (median of 3 rounds of ${MESSAGES})`);
