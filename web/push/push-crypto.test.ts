/**
 * The app's Web Push encryption (WebCrypto, here Node's) read back by http_ece,
 * the implementation the `web-push` package uses: RFC 8291 both ways.
 */
import { createECDH, randomBytes } from 'node:crypto';
import ece from 'http_ece';
import { describe, expect, it } from 'vitest';
import { fromBase64url, toBase64url } from './base64url.js';
import { encryptPush } from './push-crypto.js';

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
