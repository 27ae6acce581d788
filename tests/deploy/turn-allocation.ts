/**
 * One TURN allocation over UDP (RFC 8656), just enough to see what coturn
 * grants and where it relays: an Allocate, answered 401 with a realm and nonce,
 * then again with long-term credentials (MESSAGE-INTEGRITY keyed by
 * MD5(username:realm:password)); then Refresh, CreatePermission, and data sent
 * and received through the relay as Send and Data indications.
 * The socket, and so the allocation, stays open until `close`.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { isIPv4 } from 'node:net';

const MAGIC_COOKIE = 0x2112a442;
const METHOD = { allocate: 0x0003, refresh: 0x0004, send: 0x0006, data: 0x0007, createPermission: 0x0008 } as const;
/** Class bits of a message type (RFC 8489): a method's success response and indication. */
const SUCCESS = 0x0100;
const INDICATION = 0x0010;
const ATTRIBUTE = {
  username: 0x0006,
  messageIntegrity: 0x0008,
  errorCode: 0x0009,
  lifetime: 0x000d,
  xorPeerAddress: 0x0012,
  data: 0x0013,
  realm: 0x0014,
  nonce: 0x0015,
  xorRelayedAddress: 0x0016,
  requestedTransport: 0x0019,
} as const;

export interface TransportAddress {
  address: string;
  port: number;
}

export interface Allocation {
  /** The STUN error code (401, 486...) when refused; null when granted. */
  error: number | null;
  /** Where the relay sends from and receives at, when granted. */
  relayed: TransportAddress | null;
  /** Refreshes the allocation for `lifetime` seconds (0 ends it); resolves with the error code, or null when granted. */
  refresh(lifetime: number): Promise<number | null>;
  /** Lets `peer` send to this relay, and this relay to it; resolves with the error code (403 for a peer coturn refuses), or null. */
  permit(peer: string): Promise<number | null>;
  /** Sends `data` through the relay to `peer` (a Send indication: coturn answers nothing, whatever it does). */
  send(peer: TransportAddress, data: Buffer): void;
  /** Data that peers sent to the relay, in order of arrival. */
  received: Array<{ from: TransportAddress; data: Buffer }>;
  /** The client's own port. */
  localPort: number;
  close(): void;
}

/** `localPort`: the client's own port (0, any free one; a test may name one to reuse it). */
export async function allocate(host: string, port: number, username: string, password: string, localPort = 0): Promise<Allocation> {
  if (!isIPv4(host)) throw new Error(`an IPv4 TURN server address, not ${host}`);
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(localPort, host, resolve));
  const close = () => socket.close();
  const received: Allocation['received'] = [];
  socket.on('message', (message: Buffer) => {
    if (message.readUInt16BE(0) !== (METHOD.data | INDICATION)) return;
    const { attributes } = decode(message);
    const from = attributes.get(ATTRIBUTE.xorPeerAddress);
    const data = attributes.get(ATTRIBUTE.data);
    if (from && data) received.push({ from: decodeAddress(from), data: Buffer.from(data) });
  });
  try {
    const challenge = await exchange(socket, host, port, METHOD.allocate, [[ATTRIBUTE.requestedTransport, Buffer.from([17, 0, 0, 0])]]);
    const realm = challenge.attributes.get(ATTRIBUTE.realm);
    const nonce = challenge.attributes.get(ATTRIBUTE.nonce);
    if (challenge.error !== 401 || !realm || !nonce) throw new Error(`expected a 401 challenge, got ${challenge.error}`);
    const key = createHash('md5').update(`${username}:${realm.toString()}:${password}`).digest();
    const credentials: Array<[number, Buffer]> = [[ATTRIBUTE.username, Buffer.from(username)], [ATTRIBUTE.realm, realm], [ATTRIBUTE.nonce, nonce]];
    /** An authenticated request's error code, or null when granted. */
    const ask = async (method: number, attributes: Array<[number, Buffer]>) => {
      const answer = await exchange(socket, host, port, method, [...attributes, ...credentials], key);
      return { answer, error: answer.type === (method | SUCCESS) ? null : answer.error };
    };
    const { answer, error } = await ask(METHOD.allocate, [[ATTRIBUTE.requestedTransport, Buffer.from([17, 0, 0, 0])]]);
    const relayed = answer.attributes.get(ATTRIBUTE.xorRelayedAddress);
    return {
      error,
      relayed: error === null && relayed ? decodeAddress(relayed) : null,
      refresh: async (lifetime) => (await ask(METHOD.refresh, [[ATTRIBUTE.lifetime, uint32(lifetime)]])).error,
      permit: async (peer) => (await ask(METHOD.createPermission, [[ATTRIBUTE.xorPeerAddress, encodeAddress({ address: peer, port: 0 })]])).error,
      send: (peer, data) => socket.send(encode(METHOD.send | INDICATION, randomBytes(12), [[ATTRIBUTE.xorPeerAddress, encodeAddress(peer)], [ATTRIBUTE.data, data]]), port, host),
      received,
      localPort: socket.address().port,
      close,
    };
  } catch (error) {
    close();
    throw error;
  }
}

interface Answer {
  type: number;
  error: number | null;
  attributes: Map<number, Buffer>;
}

function exchange(socket: Socket, host: string, port: number, method: number, attributes: Array<[number, Buffer]>, integrityKey?: Buffer): Promise<Answer> {
  const transaction = randomBytes(12);
  const request = encode(method, transaction, attributes, integrityKey);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off('message', onMessage);
      reject(new Error(`no answer from ${host}:${port}`));
    }, 5000);
    const onMessage = (message: Buffer) => {
      if (!message.subarray(8, 20).equals(transaction)) return;
      clearTimeout(timer);
      socket.off('message', onMessage);
      resolve(decode(message));
    };
    socket.on('message', onMessage);
    socket.send(request, port, host);
  });
}

function encode(type: number, transaction: Buffer, attributes: Array<[number, Buffer]>, integrityKey?: Buffer): Buffer {
  const body = Buffer.concat(attributes.map(([kind, value]) => attribute(kind, value)));
  const header = (length: number) => {
    const buffer = Buffer.alloc(20);
    buffer.writeUInt16BE(type, 0);
    buffer.writeUInt16BE(length, 2);
    buffer.writeUInt32BE(MAGIC_COOKIE, 4);
    transaction.copy(buffer, 8);
    return buffer;
  };
  if (!integrityKey) return Buffer.concat([header(body.length), body]);
  // The integrity covers the message with its length already counting the MESSAGE-INTEGRITY attribute (24 bytes).
  const signed = Buffer.concat([header(body.length + 24), body]);
  const integrity = createHmac('sha1', integrityKey).update(signed).digest();
  return Buffer.concat([signed, attribute(ATTRIBUTE.messageIntegrity, integrity)]);
}

function attribute(type: number, value: Buffer): Buffer {
  const buffer = Buffer.alloc(4 + Math.ceil(value.length / 4) * 4);
  buffer.writeUInt16BE(type, 0);
  buffer.writeUInt16BE(value.length, 2);
  value.copy(buffer, 4);
  return buffer;
}

function uint32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value, 0);
  return buffer;
}

/** An IPv4 XOR-…-ADDRESS value (RFC 8489, 14.2): the port and address XORed with the magic cookie. */
function encodeAddress({ address, port }: TransportAddress): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeUInt8(0x01, 1);
  buffer.writeUInt16BE(port ^ (MAGIC_COOKIE >>> 16), 2);
  const octets = address.split('.').map(Number);
  buffer.writeUInt32BE((((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) ^ MAGIC_COOKIE) >>> 0, 4);
  return buffer;
}

function decodeAddress(value: Buffer): TransportAddress {
  const port = value.readUInt16BE(2) ^ (MAGIC_COOKIE >>> 16);
  const raw = (value.readUInt32BE(4) ^ MAGIC_COOKIE) >>> 0;
  return { address: [raw >>> 24, (raw >>> 16) & 0xff, (raw >>> 8) & 0xff, raw & 0xff].join('.'), port };
}

function decode(message: Buffer): Answer {
  const attributes = new Map<number, Buffer>();
  for (let offset = 20; offset + 4 <= message.length; ) {
    const type = message.readUInt16BE(offset);
    const length = message.readUInt16BE(offset + 2);
    attributes.set(type, message.subarray(offset + 4, offset + 4 + length));
    offset += 4 + Math.ceil(length / 4) * 4;
  }
  const code = attributes.get(ATTRIBUTE.errorCode);
  return { type: message.readUInt16BE(0), error: code ? (code[2]! & 0x07) * 100 + code[3]! : null, attributes };
}
