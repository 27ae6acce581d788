/**
 * What a device hands each contact over their chat data channel so that the contact can leave sealed
 * entries in its mailbox while it is away (issue 30), as `push-sub` hands its push subscription:
 *
 * `{"t":"mailbox","v":1,"mailbox":ID,"key":P256,"auth":SECRET,"expires":MS,"capability":CAP,"macKey":MAC}`
 *
 * - `mailbox`: the mailbox's id on the signal server (16 random bytes), the same for every contact;
 * - `key`, `auth`: the mailbox key to seal entries to (a P-256 public key, raw, and a 16-byte secret of
 *   RFC 8291), new at each rotation, and `expires`, after which the contact no longer seals to it;
 * - `capability`: the write capability made for this contact alone (32 bytes; the server keeps its hash);
 * - `macKey`: the key this contact authenticates its entries with (32 bytes, made for this contact alone).
 *
 * `{"t":"mailbox","v":1,"mailbox":null}` says the device holds no mailbox for this contact (any more).
 *
 * A frame is taken only from a channel whose DTLS-proved key is the contact's device key, and kept under
 * that key: the safety number, over the two devices' keys, then vouches for it. The secrets are never
 * folded into the safety number (they rotate).
 */
import * as v from 'valibot';
import { parseJsonFrame } from '../peers/json-frame.js';
import { fromBase64url, toBase64url } from '../push/base64url.js';

export const MAILBOX_FRAME_VERSION = 1;

/** base64url of exactly `bytes` bytes, in its one spelling (no padding, unused bits zero), as the server checks ids and secrets. */
export const canonicalBase64url = (bytes: number) =>
  v.pipe(
    v.string(),
    v.length(Math.ceil((bytes * 4) / 3), `must be ${bytes} bytes in base64url`),
    v.check(isCanonicalBase64url, 'must be base64url in its canonical spelling'),
  );

function isCanonicalBase64url(text: string): boolean {
  // Checked before decoding: atob throws on other characters, and on lengths no encoding has.
  return /^[A-Za-z0-9_-]+$/.test(text) && text.length % 4 !== 1 && toBase64url(fromBase64url(text)) === text;
}

/** A mailbox id: 16 random bytes chosen by its owner. */
export const MailboxIdSchema = canonicalBase64url(16);
/** A write capability, a read secret or a MAC key: 32 random bytes. */
export const MailboxSecretSchema = canonicalBase64url(32);
/** A mailbox key as handed over: an uncompressed P-256 point (65 bytes, starting 0x04). Whether it is on the curve: `isP256PublicKey`. */
export const MailboxPublicKeySchema = v.pipe(
  canonicalBase64url(65),
  v.check((text) => fromBase64url(text)[0] === 4, 'must be an uncompressed P-256 key'),
);
/** The RFC 8291 auth secret that goes with a mailbox key: 16 random bytes. */
export const MailboxAuthSchema = canonicalBase64url(16);

/** Everything a writer needs to seal and deposit entries for one device. */
export const MailboxTargetSchema = v.object({
  mailbox: MailboxIdSchema,
  key: MailboxPublicKeySchema,
  auth: MailboxAuthSchema,
  /** Ms since the epoch: the writer seals to `key` only before then (its owner deletes the private key later). */
  expires: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
  capability: MailboxSecretSchema,
  macKey: MailboxSecretSchema,
});
export type MailboxTarget = v.InferOutput<typeof MailboxTargetSchema>;

const frame = { t: v.literal('mailbox'), v: v.literal(MAILBOX_FRAME_VERSION) };
export const MailboxFrameSchema = v.union([v.object({ ...frame, mailbox: v.null() }), v.object({ ...frame, ...MailboxTargetSchema.entries })]);
export type MailboxFrame = v.InferOutput<typeof MailboxFrameSchema>;

/** Whether `key` (base64url, raw) imports as a P-256 public key: a point on the curve, not just 65 bytes. */
export async function isP256PublicKey(key: string): Promise<boolean> {
  try {
    await crypto.subtle.importKey('raw', fromBase64url(key), { name: 'ECDH', namedCurve: 'P-256' }, false, []);
    return true;
  } catch {
    return false;
  }
}

/** A `mailbox` frame from a contact's channel, every field checked; null for anything else, or a key that is not a P-256 point. */
export async function parseMailboxFrame(text: string): Promise<MailboxFrame | null> {
  if (!text.includes('"mailbox"')) return null;
  const parsed = parseJsonFrame(MailboxFrameSchema, text);
  if (!parsed || parsed.mailbox === null) return parsed;
  return (await isP256PublicKey(parsed.key)) ? parsed : null;
}

/** The frame that hands `target` to the one contact it was made for; null withdraws it. */
export function mailboxFrame(target: MailboxTarget | null): MailboxFrame {
  return target ? { t: 'mailbox', v: MAILBOX_FRAME_VERSION, ...target } : { t: 'mailbox', v: MAILBOX_FRAME_VERSION, mailbox: null };
}
