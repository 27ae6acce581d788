/**
 * The app's Web Push encryption (WebCrypto, here Node's) read back by http_ece,
 * the implementation the `web-push` package uses, and http_ece's read by the
 * app: RFC 8291 both ways, and its Appendix A example byte for byte.
 */
import { createECDH, randomBytes } from 'node:crypto';
import ece from 'http_ece';
import { describe, expect, it } from 'vitest';
import { RFC8291, p256KeyPair } from './rfc8291-test-keys.js';
import { fromBase64url, toBase64url } from './base64url.js';
import { decryptAes128gcm, encryptAes128gcm, encryptPush } from './push-crypto.js';

function subscription() {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = randomBytes(16);
  return { ecdh, auth, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') } };
}

describe('Web Push encryption (RFC 8291, aes128gcm)', () => {
  it('makes a body that the subscription owner decrypts to the same text, and nobody else', async () => {
    const bob = subscription();
    const text = JSON.stringify({ web_push: 8030, notification: { title: 'Alice is calling', navigate: 'https://whisper.example/r/abc' } });
    const body = await encryptPush(bob.keys, text);
    expect(ece.decrypt(Buffer.from(body), { version: 'aes128gcm', privateKey: bob.ecdh, authSecret: bob.keys.auth }).toString()).toBe(text);
    const carol = subscription();
    expect(() => ece.decrypt(Buffer.from(body), { version: 'aes128gcm', privateKey: carol.ecdh, authSecret: carol.keys.auth })).toThrow();
    const wrongAuth = randomBytes(16).toString('base64url');
    expect(() => ece.decrypt(Buffer.from(body), { version: 'aes128gcm', privateKey: bob.ecdh, authSecret: wrongAuth })).toThrow();
  });

  it('uses a fresh key and salt every time, and pads lengths to 128 bytes', async () => {
    const bob = subscription();
    const [a, b] = await Promise.all([encryptPush(bob.keys, 'Al'), encryptPush(bob.keys, 'Alexandra')]);
    expect(a.length).toBe(b.length);
    expect(a.length).toBe(86 + 128 + 16);
    expect(toBase64url(a.subarray(0, 16))).not.toBe(toBase64url(b.subarray(0, 16)));
    expect(toBase64url(a.subarray(21, 86))).not.toBe(toBase64url(b.subarray(21, 86)));
    expect(new DataView(a.buffer, a.byteOffset).getUint32(16)).toBe(4096);
  });

  it('refuses keys of the wrong shape and payloads too large for one push', async () => {
    const bob = subscription();
    await expect(encryptPush({ ...bob.keys, p256dh: 'AAAA' }, 'x')).rejects.toThrow('p256dh');
    await expect(encryptPush({ ...bob.keys, auth: 'AAAA' }, 'x')).rejects.toThrow('auth');
    await expect(encryptPush(bob.keys, 'x'.repeat(4000))).rejects.toThrow('too large');
  });

  it('reads and writes base64url', () => {
    const bytes = randomBytes(65);
    expect(Buffer.from(fromBase64url(bytes.toString('base64url'))).equals(bytes)).toBe(true);
    expect(toBase64url(bytes)).toBe(bytes.toString('base64url'));
  });
});

const rfcReceiver = async () => ({
  privateKey: (await p256KeyPair(RFC8291.uaPrivate, RFC8291.uaPublic, false)).privateKey,
  publicKey: fromBase64url(RFC8291.uaPublic),
  authSecret: fromBase64url(RFC8291.auth),
});

describe('aes128gcm, one record (RFC 8188, keyed as RFC 8291 says)', () => {
  it('makes the body of RFC 8291 Appendix A from its keys and salt, and reads it back with a non-extractable key', async () => {
    const data = new TextEncoder().encode(RFC8291.plaintext);
    const body = await encryptAes128gcm(fromBase64url(RFC8291.uaPublic), fromBase64url(RFC8291.auth), data, {
      paddedLength: data.length + 1,
      recordSize: 4096,
      fixed: { senderKeys: await p256KeyPair(RFC8291.asPrivate, RFC8291.asPublic), salt: fromBase64url(RFC8291.salt) },
    });
    expect(toBase64url(body)).toBe(RFC8291.body);
    const opened = await decryptAes128gcm(fromBase64url(RFC8291.body), await rfcReceiver());
    expect(opened.ok && new TextDecoder().decode(opened.data)).toBe(RFC8291.plaintext);
  });

  it('reads what http_ece encrypts, padded, with any record size that holds it', async () => {
    const bob = subscription();
    const keys = await p256KeyPair(bob.ecdh.getPrivateKey().toString('base64url'), bob.keys.p256dh, false);
    const receiver = { privateKey: keys.privateKey, publicKey: fromBase64url(bob.keys.p256dh), authSecret: bob.auth };
    for (const [rs, pad] of [[4096, 0], [1000, 300], [65_536 - 95, 65_000]] as const) {
      const text = `record size ${rs}, ${pad} bytes of padding`;
      const body = ece.encrypt(Buffer.from(text), { version: 'aes128gcm', privateKey: subscription().ecdh, dh: bob.keys.p256dh, authSecret: bob.keys.auth, rs, pad } as Parameters<typeof ece.encrypt>[1]);
      const opened = await decryptAes128gcm(body, receiver);
      expect(opened.ok && new TextDecoder().decode(opened.data), text).toBe(text);
    }
  });

  it('refuses another receiver, a changed byte, a body cut after its first record, and what is no aes128gcm body', async () => {
    const receiver = await rfcReceiver();
    const body = fromBase64url(RFC8291.body);
    const carol = subscription();
    const carolKeys = await p256KeyPair(carol.ecdh.getPrivateKey().toString('base64url'), carol.keys.p256dh);
    expect(await decryptAes128gcm(body, { privateKey: carolKeys.privateKey, publicKey: fromBase64url(carol.keys.p256dh), authSecret: carol.auth })).toEqual({ ok: false, reason: 'undecryptable' });
    expect(await decryptAes128gcm(body, { ...receiver, authSecret: new Uint8Array(16) })).toEqual({ ok: false, reason: 'undecryptable' });
    for (const at of [0, 15, 90, body.length - 1]) {
      const changed = body.slice();
      changed[at]! ^= 1;
      expect(await decryptAes128gcm(changed, receiver), `byte ${at}`).toEqual({ ok: false, reason: 'undecryptable' });
    }
    // Two records of 40 bytes: the first alone decrypts, but ends with the "more records follow" delimiter (1).
    const bob = subscription();
    const bobKeys = await p256KeyPair(bob.ecdh.getPrivateKey().toString('base64url'), bob.keys.p256dh);
    const twoRecords = ece.encrypt(Buffer.alloc(30, 120), { version: 'aes128gcm', privateKey: subscription().ecdh, dh: bob.keys.p256dh, authSecret: bob.keys.auth, rs: 40 } as Parameters<typeof ece.encrypt>[1]);
    const bobReceiver = { privateKey: bobKeys.privateKey, publicKey: fromBase64url(bob.keys.p256dh), authSecret: bob.auth };
    expect(await decryptAes128gcm(twoRecords.subarray(0, 86 + 40), bobReceiver)).toEqual({ ok: false, reason: 'bad-padding' });
    expect(await decryptAes128gcm(twoRecords, bobReceiver)).toEqual({ ok: false, reason: 'malformed' });
    expect(await decryptAes128gcm(body.subarray(0, 100), receiver)).toEqual({ ok: false, reason: 'malformed' });
    const notAPoint = body.slice();
    notAPoint.fill(7, 22, 86);
    expect(await decryptAes128gcm(notAPoint, receiver)).toEqual({ ok: false, reason: 'malformed' });
    const shortKeyId = body.slice();
    shortKeyId[20] = 64;
    expect(await decryptAes128gcm(shortKeyId, receiver)).toEqual({ ok: false, reason: 'malformed' });
  });
});
