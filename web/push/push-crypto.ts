/**
 * Web Push message encryption (RFC 8291, with the aes128gcm content coding of
 * RFC 8188), done on the sender's device with WebCrypto: only the device whose
 * subscription holds the matching private key and auth secret can read the
 * push. The signal server and the push service see ciphertext.
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

/** The aes128gcm body for `plaintext`, readable only by the subscription's device. */
export async function encryptPush(keys: PushKeys, plaintext: string | Uint8Array): Promise<Uint8Array> {
  const uaPublic = fromBase64url(keys.p256dh);
  const authSecret = fromBase64url(keys.auth);
  if (uaPublic.length !== 65 || uaPublic[0] !== 4) throw new Error('p256dh is not an uncompressed P-256 key');
  if (authSecret.length !== 16) throw new Error('auth is not 16 bytes');
  const data = typeof plaintext === 'string' ? encoder.encode(plaintext) : new Uint8Array(plaintext);
  // One record: the data, the last-record delimiter (2), zeros up to the padded size.
  const padded = Math.ceil((data.length + 1) / PAD_TO) * PAD_TO;
  if (padded + 16 + 86 > RECORD_SIZE) throw new Error('push payload too large');

  const asKeys = (await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits'])) as CryptoKeyPair;
  const asPublic = new Uint8Array(await crypto.subtle.exportKey('raw', asKeys.publicKey));
  const uaKey = await crypto.subtle.importKey('raw', uaPublic, { name: 'ECDH', namedCurve: 'P-256' }, false, []);
  const ecdhSecret = new Uint8Array(await crypto.subtle.deriveBits({ name: 'ECDH', public: uaKey }, asKeys.privateKey, 256));

  const ikm = await hkdf(authSecret, ecdhSecret, concat(encoder.encode('WebPush: info\0'), uaPublic, asPublic), 32);
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const cek = await hkdf(salt, ikm, encoder.encode('Content-Encoding: aes128gcm\0'), 16);
  const nonce = await hkdf(salt, ikm, encoder.encode('Content-Encoding: nonce\0'), 12);

  const record = new Uint8Array(padded);
  record.set(data);
  record[data.length] = 2;
  const aesKey = await crypto.subtle.importKey('raw', cek, 'AES-GCM', false, ['encrypt']);
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce, tagLength: 128 }, aesKey, record));

  const header = new Uint8Array(16 + 4 + 1 + 65);
  header.set(salt);
  new DataView(header.buffer).setUint32(16, RECORD_SIZE);
  header[20] = 65;
  header.set(asPublic, 21);
  return concat(header, sealed);
}
