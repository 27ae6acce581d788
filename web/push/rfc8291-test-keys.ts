/** For tests only: the keys of RFC 8291's example, and WebCrypto P-256 key pairs from fixed private scalars (test vectors). */
import { fromBase64url, toBase64url } from './base64url.js';

/** RFC 8291 Appendix A: the application server's and the user agent's keys, the auth secret, the salt, the body. */
export const RFC8291 = {
  plaintext: 'When I grow up, I want to be a watermelon',
  asPrivate: 'yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw',
  asPublic: 'BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8',
  uaPrivate: 'q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94',
  uaPublic: 'BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4',
  auth: 'BTBZMqHH6r4Tts7J_aSIgg',
  salt: 'DGv6ra1nlYgDCS1FRnbzlw',
  body:
    'DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN',
};

const ECDH_P256 = { name: 'ECDH', namedCurve: 'P-256' } as const;

/** A WebCrypto ECDH P-256 key pair from its private scalar `d` and raw public key (both base64url). */
export async function p256KeyPair(d: string, publicKey: string, extractable = true): Promise<CryptoKeyPair> {
  const point = fromBase64url(publicKey);
  const jwk = { kty: 'EC', crv: 'P-256', x: toBase64url(point.subarray(1, 33)), y: toBase64url(point.subarray(33)) };
  return {
    privateKey: await crypto.subtle.importKey('jwk', { ...jwk, d }, ECDH_P256, extractable, ['deriveBits']),
    publicKey: await crypto.subtle.importKey('jwk', jwk, ECDH_P256, true, []),
  };
}
