/**
 * Sealed mailbox entries: what Bob's device opens, and what it refuses and why. Entries are also made by
 * hand from docs/protocol.md's layout with node:crypto and http_ece (the implementation the `web-push`
 * package uses), and must equal the app's byte for byte: the layout as written is the one the code follows.
 */
import { createECDH, createHash, createHmac, randomBytes, type ECDH } from 'node:crypto';
import ece from 'http_ece';
import { describe, expect, it } from 'vitest';
import { fromBase64url } from '../push/base64url.js';
import { keyDeleteAt, MAILBOX_KEY_SEAL_MS } from './mailbox-keys.js';
import { entryLength, MAILBOX_ENTRY_BUCKETS, mailboxKeyId, open, seal, sealedLength, type MailboxKeyPair, type MailboxMessage, type SealTo } from './sealed-entry.js';
import { RFC8291, p256KeyPair } from '../push/rfc8291-test-keys.js';

const ALICE = 'A1'.repeat(32);
const BOB = '5C3F'.repeat(16);
const CAROL = 'C3'.repeat(32);
const STRANGER = 'EE'.repeat(32);
const ROOM = 'Zm9vYmFyYmF6cXV4MTIzNA';

interface TestKey {
  ecdh: ECDH;
  pair: MailboxKeyPair;
  to: SealTo;
}

/** A mailbox key as the recipient keeps it (private key non-extractable), and its node:crypto twin for http_ece. */
async function mailboxKey(privateScalar?: Buffer, auth = randomBytes(16).toString('base64url')): Promise<TestKey> {
  const ecdh = createECDH('prime256v1');
  if (privateScalar) ecdh.setPrivateKey(privateScalar);
  else ecdh.generateKeys();
  const publicKey = ecdh.getPublicKey().toString('base64url');
  const { privateKey } = await p256KeyPair(ecdh.getPrivateKey().toString('base64url'), publicKey, false);
  return { ecdh, pair: { id: await mailboxKeyId(publicKey), privateKey, publicKey, auth }, to: { key: publicKey, auth } };
}

const newSecret = () => randomBytes(32).toString('base64url');

/** Bob's device: one mailbox key, and the MAC key it gave Alice and Carol each. */
async function bob() {
  const key = await mailboxKey();
  const granted: Record<string, string> = { [ALICE]: newSecret(), [CAROL]: newSecret() };
  return { key, granted, me: { device: BOB, keys: [key.pair] }, macKeyOf: (sender: string) => granted[sender] ?? null };
}

const hello = (text = 'Are you free tonight?'): MailboxMessage => ({ kind: 'message', id: 'bWVzc2FnZS0wMDAwMDAwMQ', sentAt: 1_767_225_600_000, text });

async function sealed(message: MailboxMessage, to: SealTo, macKey: string, sender = ALICE, recipient = BOB): Promise<Uint8Array> {
  const result = await seal(message, to, { macKey, sender, recipient });
  if (!result.ok) throw new Error(result.reason);
  return result.entry;
}

/** The authenticated fields as docs/protocol.md lays them out. */
function handMadeFields(o: { sender: string; recipient: string; sentAt: number; id: string; body: string; version?: number }): Buffer {
  const fixed = Buffer.alloc(74);
  fixed[0] = o.version ?? 1;
  Buffer.from(o.sender, 'hex').copy(fixed, 1);
  Buffer.from(o.recipient, 'hex').copy(fixed, 33);
  fixed.writeBigUInt64BE(BigInt(o.sentAt), 65);
  fixed[73] = o.id.length;
  return Buffer.concat([fixed, Buffer.from(o.id), Buffer.from(o.body)]);
}

/** A whole entry made by hand: HMAC with node:crypto, the box with http_ece, padded to `bucket`. */
function handMadeEntry(fields: Buffer, macKey: string, to: SealTo, bucket: number, fixed?: { sender: ECDH; salt: string }): Buffer {
  const tag = createHmac('sha256', Buffer.from(macKey, 'base64url')).update(Buffer.concat([Buffer.from('whisper-mailbox-entry-1\0'), fields])).digest();
  const data = Buffer.concat([fields, tag]);
  const rs = bucket - 95;
  const sender = fixed?.sender ?? createECDH('prime256v1');
  if (!fixed) sender.generateKeys();
  const parameters = { version: 'aes128gcm', privateKey: sender, dh: to.key, authSecret: to.auth, rs, pad: rs - 16 - 1 - data.length, ...(fixed ? { salt: fixed.salt } : {}) };
  const box = ece.encrypt(data, parameters as Parameters<typeof ece.encrypt>[1]);
  const keyId = createHash('sha256').update(Buffer.from(to.key, 'base64url')).digest().subarray(0, 8);
  return Buffer.concat([Buffer.from([1]), keyId, box]);
}

/**
 * The test vector of docs/protocol.md: Bob's mailbox key is RFC 8291's user agent key (with its auth
 * secret), the ephemeral key and salt are RFC 8291's too, the MAC key is the bytes 0x00 to 0x1f.
 */
const VECTOR = {
  macKey: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8',
  message: { kind: 'message', id: 'bWVzc2FnZS0wMDAwMDAwMQ', sentAt: 1_767_225_600_000, text: RFC8291.plaintext } as MailboxMessage,
  keyId: 'Kn8g3g7yY94',
  mac: 'd6f378bd6dbfef1700cfb441d7ac275384758694a41eb1c2e502bacf40853a54',
  entrySha256: '4f9ea02c3c81e4d82915b7225aeca400130cf7f4199fa778f7e87c24c5716d96',
};

describe('sealed mailbox entries', () => {
  it('open to the message, its authenticated sender and its conversation, for every kind', async () => {
    const { key, granted, me, macKeyOf } = await bob();
    const messages: MailboxMessage[] = [
      hello('Hello Bob 👋 — ça va ?'),
      { kind: 'room-message', id: 'cm9vbS1tZXNzYWdlLTAwMDE', sentAt: 1_767_225_600_001, room: ROOM, text: 'Hi all' },
      { kind: 'receipt', id: 'cmVjZWlwdC0wMDAwMDAwMDE', sentAt: 1_767_225_600_002, status: 'delivered', ids: ['bWVzc2FnZS0wMDAwMDAwMQ', 'bWVzc2FnZS0wMDAwMDAwMg'] },
      { kind: 'receipt', id: 'cmVjZWlwdC0wMDAwMDAwMDI', sentAt: 1_767_225_600_003, status: 'read', ids: ['cm9vbS1tZXNzYWdlLTAwMDE'], room: ROOM },
      { kind: 'file-offer', id: 'b2ZmZXItMDAwMDAwMDAwMDE', sentAt: 1_767_225_600_004, transfer: 'dHJhbnNmZXItMDAwMDAwMD', name: 'photo.jpg', size: 3_100_000, type: 'image/jpeg' },
    ];
    for (const message of messages) {
      const opened = await open(await sealed(message, key.to, granted[ALICE]!), me, macKeyOf);
      const conversation = 'room' in message && message.room ? `room:${ROOM}` : ALICE;
      expect(opened, message.kind).toEqual({ ok: true, sender: ALICE, conversation, message });
    }
  });

  it('are sealed afresh each time: the same message twice shares no byte past the key id', async () => {
    const { key, granted } = await bob();
    const [a, b] = [await sealed(hello(), key.to, granted[ALICE]!), await sealed(hello(), key.to, granted[ALICE]!)];
    expect(Buffer.from(a.subarray(0, 9)).equals(Buffer.from(b.subarray(0, 9)))).toBe(true);
    expect(Buffer.from(a.subarray(9, 25)).equals(Buffer.from(b.subarray(9, 25)))).toBe(false);
    expect(Buffer.from(a).includes(Buffer.from('Are you free'))).toBe(false);
  });

  it('follow the documented layout: one made by hand with node:crypto and http_ece equals the app’s, byte for byte', async () => {
    const key = await mailboxKey(Buffer.from(RFC8291.uaPrivate, 'base64url'), RFC8291.auth);
    const senderKeys = await p256KeyPair(RFC8291.asPrivate, RFC8291.asPublic);
    const result = await seal(VECTOR.message, key.to, { macKey: VECTOR.macKey, sender: ALICE, recipient: BOB }, { senderKeys, salt: fromBase64url(RFC8291.salt) });
    if (!result.ok) throw new Error(result.reason);
    const rfcSender = createECDH('prime256v1');
    rfcSender.setPrivateKey(Buffer.from(RFC8291.asPrivate, 'base64url'));
    const { id, sentAt, text } = VECTOR.message as Extract<MailboxMessage, { kind: 'message' }>;
    const fields = handMadeFields({ sender: ALICE, recipient: BOB, sentAt, id, body: JSON.stringify({ kind: 'message', text }) });
    const byHand = handMadeEntry(fields, VECTOR.macKey, key.to, 1024, { sender: rfcSender, salt: RFC8291.salt });
    expect(Buffer.from(result.entry).toString('hex')).toBe(byHand.toString('hex'));

    // The values docs/protocol.md writes down.
    expect(result.entry.length).toBe(1024);
    expect(Buffer.from(result.entry.subarray(1, 9)).toString('base64url')).toBe(VECTOR.keyId);
    const plain = ece.decrypt(Buffer.from(result.entry.subarray(9)), { version: 'aes128gcm', privateKey: key.ecdh, authSecret: RFC8291.auth });
    expect(plain.subarray(0, fields.length).equals(fields)).toBe(true);
    expect(plain.subarray(fields.length).toString('hex')).toBe(VECTOR.mac);
    expect(createHash('sha256').update(result.entry).digest('hex')).toBe(VECTOR.entrySha256);
    expect(await open(result.entry, { device: BOB, keys: [key.pair] }, () => VECTOR.macKey)).toMatchObject({ ok: true, sender: ALICE, message: VECTOR.message });
  });

  it('made by hand with http_ece open in the app, and what http_ece opens of the app’s is the documented fields', async () => {
    const { key, granted, me, macKeyOf } = await bob();
    const fields = handMadeFields({ sender: CAROL, recipient: BOB, sentAt: 1_767_225_600_000, id: 'aGFuZC1tYWRlLTAwMDAwMDE', body: '{"kind":"message","text":"made by hand"}' });
    for (const bucket of MAILBOX_ENTRY_BUCKETS) {
      const opened = await open(handMadeEntry(fields, granted[CAROL]!, key.to, bucket), me, macKeyOf);
      expect(opened, `${bucket}`).toEqual({ ok: true, sender: CAROL, conversation: CAROL, message: { kind: 'message', id: 'aGFuZC1tYWRlLTAwMDAwMDE', sentAt: 1_767_225_600_000, text: 'made by hand' } });
    }
    const entry = await sealed(hello(), key.to, granted[ALICE]!);
    const plain = ece.decrypt(Buffer.from(entry.subarray(9)), { version: 'aes128gcm', privateKey: key.ecdh, authSecret: key.to.auth });
    const expected = handMadeFields({ sender: ALICE, recipient: BOB, sentAt: 1_767_225_600_000, id: 'bWVzc2FnZS0wMDAwMDAwMQ', body: '{"kind":"message","text":"Are you free tonight?"}' });
    expect(plain.subarray(0, -32).equals(expected)).toBe(true);
  });

  it('refuse a forged MAC, a writer passing for another, an unknown writer, and an entry written for someone else', async () => {
    const { key, granted, me, macKeyOf } = await bob();
    // Mallory can seal to Bob's key (any contact can) but holds no MAC key of Bob's for Alice.
    expect(await open(await sealed(hello(), key.to, newSecret()), me, macKeyOf)).toEqual({ ok: false, reason: 'bad-mac' });
    // Carol, a contact of Bob's, names Alice as the writer and authenticates with her own key.
    expect(await open(await sealed(hello(), key.to, granted[CAROL]!, ALICE), me, macKeyOf)).toEqual({ ok: false, reason: 'bad-mac' });
    // A writer Bob gave no key to, or whose key he discarded (a key changed).
    expect(await open(await sealed(hello(), key.to, newSecret(), STRANGER), me, macKeyOf)).toEqual({ ok: false, reason: 'unknown-sender' });
    // Alice's entry for Carol, sealed again by Carol to Bob's key.
    expect(await open(await sealed(hello(), key.to, granted[ALICE]!, ALICE, CAROL), me, macKeyOf)).toEqual({ ok: false, reason: 'wrong-recipient' });
  });

  it('refuse a changed field under the right MAC key: the MAC covers version, devices, time, id and content', async () => {
    const { key, granted, me, macKeyOf } = await bob();
    const base = { sender: ALICE, recipient: BOB, sentAt: 1_767_225_600_000, id: 'bWVzc2FnZS0wMDAwMDAwMQ', body: '{"kind":"message","text":"hi"}' };
    const genuine = handMadeFields(base);
    const tag = createHmac('sha256', Buffer.from(granted[ALICE]!, 'base64url')).update(Buffer.concat([Buffer.from('whisper-mailbox-entry-1\0'), genuine])).digest();
    for (const change of [{ sentAt: base.sentAt + 1 }, { id: 'bWVzc2FnZS0wMDAwMDAwMg' }, { body: '{"kind":"message","text":"ho"}' }]) {
      const fields = handMadeFields({ ...base, ...change });
      // The genuine MAC, under a box anyone can make: what a contact who could read the entry might try.
      const data = Buffer.concat([fields, tag]);
      const rs = 1024 - 95;
      const sender = createECDH('prime256v1');
      sender.generateKeys();
      const box = ece.encrypt(data, { version: 'aes128gcm', privateKey: sender, dh: key.to.key, authSecret: key.to.auth, rs, pad: rs - 17 - data.length } as Parameters<typeof ece.encrypt>[1]);
      const entry = Buffer.concat([Buffer.from([1]), Buffer.from(key.pair.id, 'base64url'), box]);
      expect(await open(entry, me, macKeyOf), JSON.stringify(change)).toEqual({ ok: false, reason: 'bad-mac' });
    }
  });

  it('refuse a truncated, wrongly padded, tampered or unknown-version entry, and one sealed to a key this device lacks', async () => {
    const { key, granted, me, macKeyOf } = await bob();
    const entry = await sealed(hello(), key.to, granted[ALICE]!);
    expect(entry.length).toBe(1024);
    const refused = async (bytes: Uint8Array) => (await open(bytes, me, macKeyOf)) as { ok: false; reason: string };
    expect((await refused(entry.subarray(0, 1000))).reason).toBe('bad-size');
    expect((await refused(new Uint8Array([...entry, 0]))).reason).toBe('bad-size');
    expect((await refused(new Uint8Array(0))).reason).toBe('bad-size');
    for (const at of [9, 30, 95, 500, 1023]) {
      const changed = entry.slice();
      changed[at]! ^= 0x80;
      expect((await refused(changed)).reason, `byte ${at}`).toBe(at >= 30 && at < 95 ? 'malformed' : 'undecryptable');
    }
    const version = entry.slice();
    version[0] = 2;
    expect((await refused(version)).reason).toBe('unsupported-version');
    const keyId = entry.slice();
    keyId[3]! ^= 1;
    expect((await refused(keyId)).reason).toBe('unknown-key');
    const other = await mailboxKey();
    expect((await refused(await sealed(hello(), other.to, granted[ALICE]!))).reason).toBe('unknown-key');
    // A record size in the header smaller than the record: not one aes128gcm record.
    const recordSize = entry.slice();
    new DataView(recordSize.buffer).setUint32(9 + 16, 100);
    expect((await refused(recordSize)).reason).toBe('malformed');
  });

  it('refuse, as malformed or invalid, what an authentic writer sealed wrong, and never throw', async () => {
    const { key, granted, me, macKeyOf } = await bob();
    const base = { sender: ALICE, recipient: BOB, sentAt: 1_767_225_600_000, id: 'bWVzc2FnZS0wMDAwMDAwMQ', body: '{"kind":"message","text":"hi"}' };
    const made = (fields: Buffer) => open(handMadeEntry(fields, granted[ALICE]!, key.to, 1024), me, macKeyOf);
    expect(await made(handMadeFields({ ...base, version: 2 }))).toEqual({ ok: false, reason: 'malformed' });
    expect(await made(handMadeFields(base).subarray(0, 60))).toEqual({ ok: false, reason: 'malformed' });
    for (const body of ['{"kind":"message","text":""}', '{"kind":"shout","text":"hi"}', '["message"]', 'not json', '{"kind":"receipt","status":"seen","ids":[]}']) {
      expect(await made(handMadeFields({ ...base, body })), body).toEqual({ ok: false, reason: 'invalid-message' });
    }
    expect(await made(handMadeFields({ ...base, id: 'short' }))).toEqual({ ok: false, reason: 'invalid-message' });
    expect(await made(handMadeFields({ ...base, sentAt: 2 ** 60 }))).toEqual({ ok: false, reason: 'invalid-message' });
    const invalidUtf8 = Buffer.concat([handMadeFields({ ...base, body: '' }), Buffer.from([0xc3, 0x28])]);
    expect(await made(invalidUtf8)).toEqual({ ok: false, reason: 'invalid-message' });
    // A body cannot name another id or time than the authenticated ones.
    const renamed = await made(handMadeFields({ ...base, body: '{"kind":"message","text":"hi","id":"b3RoZXItaWQtMDAwMDAwMDE","sentAt":1}' }));
    expect(renamed).toMatchObject({ ok: true, message: { id: base.id, sentAt: base.sentAt } });
    const entry = await sealed(hello(), key.to, granted[ALICE]!);
    expect(await open(entry, me, () => Promise.reject(new Error('storage failed')))).toEqual({ ok: false, reason: 'failed' });
  });

  it('still open when sealed to an earlier key kept, and not once that key is past its lifetime', async () => {
    const { granted, macKeyOf } = await bob();
    const made = 1_767_225_600_000;
    const previous = { ...(await mailboxKey()), expires: made + MAILBOX_KEY_SEAL_MS };
    const current = { ...(await mailboxKey()), expires: made + 3_600_000 + MAILBOX_KEY_SEAL_MS };
    const kept = (now: number) => ({ device: BOB, keys: [previous, current].filter((key) => now < keyDeleteAt(key)).map((key) => key.pair) });
    const entry = await sealed(hello(), previous.to, granted[ALICE]!);
    expect(await open(entry, kept(made + 14 * 24 * 3_600_000), macKeyOf)).toMatchObject({ ok: true });
    expect(await open(entry, kept(keyDeleteAt(previous)), macKeyOf)).toEqual({ ok: false, reason: 'unknown-key' });
    expect(await open(await sealed(hello(), current.to, granted[ALICE]!), kept(keyDeleteAt(previous)), macKeyOf)).toMatchObject({ ok: true });
  });

  it('take the smallest bucket that holds them; nothing beyond the largest is sealed', async () => {
    const { key, granted, me, macKeyOf } = await bob();
    // Around the content: 95 bytes before the record, 16 of tag, 1 delimiter, 74 of fields, a 22-character id, 32 of MAC.
    const around = 95 + 16 + 1 + 74 + 22 + 32 + JSON.stringify({ kind: 'message', text: '' }).length;
    // `bytes` of text as JSON within the 8,000 characters allowed: a control character takes 6 (\u0000).
    const textOf = (bytes: number) => '\u0000'.repeat(Math.floor(bytes / 6)) + 'x'.repeat(bytes % 6);
    for (const [i, bucket] of MAILBOX_ENTRY_BUCKETS.slice(0, -1).entries()) {
      const exact = hello(textOf(bucket - around));
      expect(sealedLength(exact), `${bucket}`).toBe(bucket);
      expect((await sealed(exact, key.to, granted[ALICE]!)).length).toBe(bucket);
      const over = hello(textOf(bucket - around + 1));
      expect(sealedLength(over)).toBe(MAILBOX_ENTRY_BUCKETS[i + 1]);
      const entry = await sealed(over, key.to, granted[ALICE]!);
      expect(entry.length).toBe(MAILBOX_ENTRY_BUCKETS[i + 1]);
      expect(await open(entry, me, macKeyOf)).toMatchObject({ ok: true, message: over });
    }
    // The largest message the schema allows (8,000 control characters: 48,000 bytes of JSON) takes the largest bucket.
    const largest = hello('\u0000'.repeat(8000));
    expect(sealedLength(largest)).toBe(65_536);
    expect(await open(await sealed(largest, key.to, granted[ALICE]!), me, macKeyOf)).toMatchObject({ ok: true, message: largest });
    // Fields beyond 64 KiB less the fixed bytes have no bucket: `seal` refuses them as too large.
    expect(entryLength(65_536 - 95 - 16 - 1 - 32)).toBe(65_536);
    expect(entryLength(65_536 - 95 - 16 - 1 - 32 + 1)).toBe(null);
  });

  it('refuse to seal what the recipient would refuse', async () => {
    const { key, granted } = await bob();
    expect(await seal(hello(''), key.to, { macKey: granted[ALICE]!, sender: ALICE, recipient: BOB })).toEqual({ ok: false, reason: 'invalid-message' });
    expect(sealedLength(hello(''))).toBe(null);
    await expect(seal(hello(), key.to, { macKey: granted[ALICE]!, sender: 'alice', recipient: BOB })).rejects.toThrow('device key');
  });
});
