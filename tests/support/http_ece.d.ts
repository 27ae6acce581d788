/** The part of http_ece (the Web Push encryption of RFC 8188/8291, used by the `web-push` package) the tests use. */
declare module 'http_ece' {
  import type { ECDH } from 'node:crypto';
  interface Parameters {
    version: 'aes128gcm';
    /** The local key pair: the sender's when encrypting, the subscription's when decrypting. */
    privateKey: ECDH;
    /** The other side's public key (base64url), when encrypting. */
    dh?: string;
    /** The subscription's auth secret, base64url. */
    authSecret: string;
  }
  const ece: {
    encrypt(plaintext: Buffer, parameters: Parameters): Buffer;
    decrypt(ciphertext: Buffer, parameters: Parameters): Buffer;
  };
  export default ece;
}
