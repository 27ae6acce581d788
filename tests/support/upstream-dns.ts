/**
 * A DNS server of a test's own, on loopback: it answers every A query with the
 * addresses it is given (and every other query with none), as compose's DNS
 * answers the name `signal` with the address of each replica of the scaled
 * profile. Caddy's dynamic upstreams (the Caddyfile's `dynamic a`) ask it when
 * pointed at it with `resolvers`. Just what a stub resolver needs of RFC 1035:
 * one question, answers with a pointer to its name.
 */
import { createSocket, type Socket } from 'node:dgram';

export interface UpstreamDns {
  /** "127.0.0.1:<port>", for Caddy's `resolvers`. */
  address: string;
  close(): Promise<void>;
}

const TYPE_A = 1;
const CLASS_IN = 1;
const TTL_SECONDS = 1;

export async function startUpstreamDns(addresses: string[]): Promise<UpstreamDns> {
  const records = addresses.map((address) => Buffer.from(address.split('.').map(Number)));
  const socket: Socket = createSocket('udp4');
  socket.on('message', (query, from) => {
    const answer = answerTo(query, records);
    if (answer) socket.send(answer, from.port, from.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  return {
    address: `127.0.0.1:${socket.address().port}`,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

/** The response to one standard query, or null for what is not one. */
function answerTo(query: Buffer, records: Buffer[]): Buffer | null {
  if (query.length < 12 || query.readUInt16BE(4) !== 1) return null;
  // The question: labels up to the empty one, then its type and class.
  let end = 12;
  while (end < query.length && query[end] !== 0) end += query[end]! + 1;
  end += 5;
  if (end > query.length) return null;
  const question = query.subarray(12, end);
  const type = question.readUInt16BE(question.length - 4);
  const answers = type === TYPE_A ? records : [];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0);
  // A response (QR), authoritative (AA), recursion desired as asked (RD), available (RA), no error.
  header.writeUInt16BE(0x8480 | (query.readUInt16BE(2) & 0x0100), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  const body = answers.map((address) => {
    const record = Buffer.alloc(16);
    record.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's, at offset 12
    record.writeUInt16BE(TYPE_A, 2);
    record.writeUInt16BE(CLASS_IN, 4);
    record.writeUInt32BE(TTL_SECONDS, 6);
    record.writeUInt16BE(4, 10);
    address.copy(record, 12);
    return record;
  });
  return Buffer.concat([header, question, ...body]);
}
