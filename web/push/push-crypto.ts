/**
 * Web Push message encryption (RFC 8291, with the aes128gcm content coding of
 * RFC 8188), done on the sender's device with WebCrypto: only the device whose
 * subscription holds the matching private key and auth secret can read the
 * push. The signal server and the push service see ciphertext.
 *
 * The same sealed box, both ways, carries mailbox entries (web/mailbox/), whose
 * receiving device opens them with its own non-extractable key.
 *
 * Loaded on demand (a dynamic import) when a push is first sent, so that it
 * costs nothing on the app's first load.
 */

import { fromBase64url } from './base64url.js';

const RECORD_SIZE = 4096;
/** Plaintexts are padded to a multiple of this, so that the push service cannot tell names apart by length. */
const PAD_TO = 128;

export interface PushKeys {
  /** The subscription's P-256 public key (65 bytes, uncompressed), base64url. */
  p256dh: string;
  /** The subscription's 16-byte auth secret, base64url. */
  auth: string;
}

const encoder = new TextEncoder();

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

async function hmac(key: Uint8Array<ArrayBuffer>, data: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const hmacKey = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', hmacKey, data));
}

/** HKDF (RFC 5869) with one block of output, which is all RFC 8291 needs. */
async function hkdf(salt: Uint8Array<ArrayBuffer>, ikm: Uint8Array<ArrayBuffer>, info: Uint8Array<ArrayBuffer>, length: number): Promise<Uint8Array<ArrayBuffer>> {
  const prk = await hmac(salt, ikm);
  return (await hmac(prk, concat(info, new Uint8Array([1])))).slice(0, length);
}

/** The aes128gcm header as RFC 8291 fills it: salt (16), record size (4), key id length (1), the sender's key (65). */
export const AES128GCM_HEADER_BYTES = 86;
const TAG_BYTES = 16;
const P256 = { name: 'ECDH', namedCurve: 'P-256' } as const;

/** The content key and nonce of RFC 8291 section 3.4 and RFC 8188 section 2.2 (one record: counter 0). */
async function contentKeys(ecdhSecret: Uint8Array<ArrayBuffer>, authSecret: Uint8Array<ArrayBuffer>, uaPublic: Uint8Array<ArrayBuffer>, asPublic: Uint8Array<ArrayBuffer>, salt: Uint8Array<ArrayBuffer>) {
  const ikm = await hkdf(authSecret, ecdhSecret, concat(encoder.encode('WebPush: info\0'), uaPublic, asPublic), 32);
  const cek = await hkdf(salt, ikm, encoder.encode('Content-Encoding: aes128gcm\0'), 16);
  const nonce = await hkdf(salt, ikm, encoder.encode('Content-Encoding: nonce\0'), 12);
  return { cek: await crypto.subtle.importKey('raw', cek, 'AES-GCM', false, ['encrypt', 'decrypt']), nonce };
}

export interface Aes128gcmOptions {
  /** The record's plaintext length: the data, the last-record delimiter (2), then zeros (RFC 8188 padding). */
  paddedLength: number;
  /** The header's record size: at least the record (padded plaintext and tag). */
  recordSize: number;
  /**
   * For test vectors only: a fixed sender key pair (its public key extractable) and salt. Anything else
   * takes a fresh key pair and salt each time, which the encryption's secrecy depends on.
   */
  fixed?: { senderKeys: CryptoKeyPair; salt: Uint8Array };
}

/**
 * One aes128gcm record (RFC 8188) readable only by the holder of the P-256 private key of `uaPublic` and
 * of `authSecret`, keyed as RFC 8291 says: an ephemeral-static ECDH, HKDF-SHA-256, AES-128-GCM. A sealed
 * box, used for Web Push and for mailbox entries.
 */
export async function encryptAes128gcm(uaPublic: Uint8Array, authSecret: Uint8Array, data: Uint8Array, options: Aes128gcmOptions): Promise<Uint8Array<ArrayBuffer>> {
  if (uaPublic.length !== 65 || uaPublic[0] !== 4) throw new Error('the public key is not an uncompressed P-256 key');
  if (authSecret.length !== 16) throw new Error('the auth secret is not 16 bytes');
  const { paddedLength, recordSize } = options;
  if (paddedLength < data.length + 1 || paddedLength + TAG_BYTES > recordSize || recordSize > 0xffffffff) throw new Error('the record does not hold the data');

  const asKeys = options.fixed?.senderKeys ?? ((await crypto.subtle.generateKey(P256, true, ['deriveBits'])) as CryptoKeyPair);
  const asPublic = new Uint8Array(await crypto.subtle.exportKey('raw', asKeys.publicKey));
  const ua = new Uint8Array(uaPublic);
  const uaKey = await crypto.subtle.importKey('raw', ua, P256, false, []);
  const ecdhSecret = new Uint8Array(await crypto.subtle.deriveBits({ name: 'ECDH', public: uaKey }, asKeys.privateKey, 256));
  const salt = options.fixed ? new Uint8Array(options.fixed.salt) : crypto.getRandomValues(new Uint8Array(16));
  const { cek, nonce } = await contentKeys(ecdhSecret, new Uint8Array(authSecret), ua, asPublic, salt);

  const record = new Uint8Array(paddedLength);
  record.set(data);
  record[data.length] = 2;
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce, tagLength: 128 }, cek, record));

  const header = new Uint8Array(AES128GCM_HEADER_BYTES);
  header.set(salt);
  new DataView(header.buffer).setUint32(16, recordSize);
  header[20] = 65;
  header.set(asPublic, 21);
  return concat(header, sealed);
}

/** The private side of `encryptAes128gcm`: the receiver's key pair and auth secret. */
export interface Aes128gcmReceiver {
  /** ECDH P-256, usable for `deriveBits`; it may be non-extractable. */
  privateKey: CryptoKey;
  /** Its public key, raw (65 bytes). */
  publicKey: Uint8Array;
  authSecret: Uint8Array;
}

export type Aes128gcmResult =
  | { ok: true; data: Uint8Array<ArrayBuffer> }
  /**
   * `malformed`: not one aes128gcm record with a P-256 sender key; `undecryptable`: the tag does not hold
   * (another receiver, or changed bytes); `bad-padding`: no last-record delimiter (a record cut from a longer body).
   */
  | { ok: false; reason: 'malformed' | 'undecryptable' | 'bad-padding' };

/**
 * Reads a body of one aes128gcm record (all RFC 8291 allows) made for `receiver`. Never throws for what
 * the body holds: every refusal is a result.
 */
export async function decryptAes128gcm(body: Uint8Array, receiver: Aes128gcmReceiver): Promise<Aes128gcmResult> {
  if (body.length < AES128GCM_HEADER_BYTES + TAG_BYTES + 1) return { ok: false, reason: 'malformed' };
  const recordSize = new DataView(body.buffer, body.byteOffset, body.length).getUint32(16);
  const record = new Uint8Array(body.subarray(AES128GCM_HEADER_BYTES));
  if (body[20] !== 65 || body[21] !== 4 || record.length > recordSize) return { ok: false, reason: 'malformed' };
  const asPublic = new Uint8Array(body.subarray(21, AES128GCM_HEADER_BYTES));
  let ecdhSecret: Uint8Array<ArrayBuffer>;
  try {
    const asKey = await crypto.subtle.importKey('raw', asPublic, P256, false, []);
    ecdhSecret = new Uint8Array(await crypto.subtle.deriveBits({ name: 'ECDH', public: asKey }, receiver.privateKey, 256));
  } catch {
    // Not a point on the curve.
    return { ok: false, reason: 'malformed' };
  }
  const { cek, nonce } = await contentKeys(ecdhSecret, new Uint8Array(receiver.authSecret), new Uint8Array(receiver.publicKey), asPublic, new Uint8Array(body.subarray(0, 16)));
  let padded: Uint8Array<ArrayBuffer>;
  try {
    padded = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: nonce, tagLength: 128 }, cek, record));
  } catch {
    return { ok: false, reason: 'undecryptable' };
  }
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (end < 0 || padded[end] !== 2) return { ok: false, reason: 'bad-padding' };
  return { ok: true, data: padded.slice(0, end) };
}

/** The aes128gcm body for `plaintext`, readable only by the subscription's device. */
export async function encryptPush(keys: PushKeys, plaintext: string | Uint8Array): Promise<Uint8Array> {
  const uaPublic = fromBase64url(keys.p256dh);
  const authSecret = fromBase64url(keys.auth);
  if (uaPublic.length !== 65 || uaPublic[0] !== 4) throw new Error('p256dh is not an uncompressed P-256 key');
  if (authSecret.length !== 16) throw new Error('auth is not 16 bytes');
  const data = typeof plaintext === 'string' ? encoder.encode(plaintext) : new Uint8Array(plaintext);
  // One record: the data, the last-record delimiter (2), zeros up to the padded size.
  const padded = Math.ceil((data.length + 1) / PAD_TO) * PAD_TO;
  if (padded + TAG_BYTES + AES128GCM_HEADER_BYTES > RECORD_SIZE) throw new Error('push payload too large');
  return encryptAes128gcm(uaPublic, authSecret, data, { paddedLength: padded, recordSize: RECORD_SIZE });
}
