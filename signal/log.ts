/**
 * Structured JSON logs. They never carry message contents, display names or
 * full room ids (a room id is the secret that lets people in).
 */
import { createHash } from 'node:crypto';
import { pino, type Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'whisper-signal' } });
}

/** A short, stable tag for a room in logs that cannot be turned back into its id. */
export function roomTag(roomId: string): string {
  return createHash('sha256').update(roomId).digest('base64url').slice(0, 8);
}
