/**
 * The safety number of two people: 60 digits derived from both device keys as this device really sees
 * them, its own certificate's and the one DTLS proved for the peer. It is the same on both devices only
 * when both see the same two keys, so a server that handed each side another certificate (a person in
 * the middle) cannot hide: the numbers differ, and people who compare them, aloud or by scanning each
 * other's code, see it.
 *
 * Derivation (Signal's numeric fingerprint, without a stable identifier; documented with test vectors in
 * docs/protocol.md): for each key, `h = SHA-512(version ‖ key)`, then 5,199 times `h = SHA-512(h ‖ key)`,
 * where `version` is two zero bytes and `key` the 32 bytes of the certificate's SHA-256 fingerprint. The
 * first 30 bytes of `h`, read as six 40-bit big-endian numbers, each modulo 100,000, give that key's 30
 * digits. The two keys' digits in ascending order, joined, are the safety number: the order of the keys
 * does not matter. The iterations make a key that yields a chosen number expensive to search for.
 */
import type { IHasher } from 'hash-wasm';

export const SAFETY_NUMBER_VERSION = 0;
const ITERATIONS = 5200;
/** What a Whisper safety code says before its digits, so that another QR code is never taken for one. */
const CODE_PREFIX = 'WHISPER:SN0:';

let sha512: Promise<IHasher> | null = null;

/** The 60-digit safety number of two device keys (64 hex digits each, any case, colons allowed). */
export async function safetyNumber(ownKey: string, theirKey: string): Promise<string> {
  const hasher = await (sha512 ??= import('hash-wasm').then((module) => module.createSHA512()));
  const halves = [keyDigits(hasher, keyBytes(ownKey)), keyDigits(hasher, keyBytes(theirKey))].sort();
  return halves.join('');
}

/** The number as people read it: 12 groups of 5 digits. */
export function safetyNumberGroups(number: string): string[] {
  return number.match(/\d{5}/g) ?? [];
}

/** What the QR code of a safety number holds: upper-case letters, digits and colons (QR alphanumeric mode, a small code). */
export function safetyCode(number: string): string {
  return CODE_PREFIX + number;
}

/** The safety number a scanned code holds, or null when it is not a Whisper safety code. */
export function parseSafetyCode(text: string): string | null {
  const match = /^WHISPER:SN0:(\d{60})$/.exec(text.trim());
  return match ? match[1]! : null;
}

function keyDigits(hasher: IHasher, key: Uint8Array): string {
  hasher.init();
  hasher.update(new Uint8Array([SAFETY_NUMBER_VERSION >> 8, SAFETY_NUMBER_VERSION & 0xff]));
  hasher.update(key);
  let hash = hasher.digest('binary');
  for (let i = 1; i < ITERATIONS; i++) {
    hasher.init();
    hasher.update(hash);
    hasher.update(key);
    hash = hasher.digest('binary');
  }
  let digits = '';
  for (let chunk = 0; chunk < 6; chunk++) {
    let value = 0;
    // 40 bits fit a double exactly.
    for (let i = 0; i < 5; i++) value = value * 256 + hash[chunk * 5 + i]!;
    digits += String(value % 100000).padStart(5, '0');
  }
  return digits;
}

function keyBytes(key: string): Uint8Array {
  const hex = key.replace(/:/g, '');
  if (!/^[0-9A-Fa-f]{64}$/.test(hex)) throw new Error('A device key is a SHA-256 fingerprint: 64 hex digits.');
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}
