/**
 * Structured JSON logs. They never carry message contents, display names or
 * full room ids (a room id is the secret that lets people in).
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { pino, type Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'whisper-signal' } });
}

/** A short, stable tag for a room in logs that cannot be turned back into its id. */
export function roomTag(roomId: string): string {
  return createHash('sha256').update(roomId).digest('base64url').slice(0, 8);
}

/** Made anew by each process: a tag follows one address through this process's logs and reveals nothing after. */
const ADDRESS_TAG_KEY = randomBytes(32);

/** A short tag for a client address in logs, keyed so that it cannot be turned back into the address by trying them all. */
export function addressTag(address: string): string {
  return createHmac('sha256', ADDRESS_TAG_KEY).update(address).digest('base64url').slice(0, 10);
}
