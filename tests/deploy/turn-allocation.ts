/**
 * One TURN allocation over UDP (RFC 8656), just enough to count what coturn
 * grants: an Allocate, answered 401 with a realm and nonce, then again with
 * long-term credentials (MESSAGE-INTEGRITY keyed by MD5(username:realm:password)).
 * The socket, and so the allocation, stays open until `close`.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';

const MAGIC_COOKIE = 0x2112a442;
const ALLOCATE_REQUEST = 0x0003;
const ALLOCATE_SUCCESS = 0x0103;
const ATTRIBUTE = { username: 0x0006, messageIntegrity: 0x0008, errorCode: 0x0009, realm: 0x0014, nonce: 0x0015, requestedTransport: 0x0019 } as const;

export interface Allocation {
  /** The STUN error code (401, 486...) when refused; null when granted. */
  error: number | null;
  close(): void;
}

export async function allocate(host: string, port: number, username: string, password: string): Promise<Allocation> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const close = () => socket.close();
  try {
    const challenge = await exchange(socket, host, port, []);
    const realm = challenge.attributes.get(ATTRIBUTE.realm);
    const nonce = challenge.attributes.get(ATTRIBUTE.nonce);
    if (challenge.error !== 401 || !realm || !nonce) throw new Error(`expected a 401 challenge, got ${challenge.error}`);
    const key = createHash('md5').update(`${username}:${realm.toString()}:${password}`).digest();
    const answer = await exchange(socket, host, port, [[ATTRIBUTE.username, Buffer.from(username)], [ATTRIBUTE.realm, realm], [ATTRIBUTE.nonce, nonce]], key);
    return { error: answer.type === ALLOCATE_SUCCESS ? null : answer.error, close };
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

function exchange(socket: Socket, host: string, port: number, attributes: Array<[number, Buffer]>, integrityKey?: Buffer): Promise<Answer> {
  const transaction = randomBytes(12);
  const request = encode(transaction, [[ATTRIBUTE.requestedTransport, Buffer.from([17, 0, 0, 0])], ...attributes], integrityKey);
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

function encode(transaction: Buffer, attributes: Array<[number, Buffer]>, integrityKey?: Buffer): Buffer {
  const body = Buffer.concat(attributes.map(([type, value]) => attribute(type, value)));
  const header = (length: number) => {
    const buffer = Buffer.alloc(20);
    buffer.writeUInt16BE(ALLOCATE_REQUEST, 0);
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
