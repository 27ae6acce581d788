/**
 * Leaving sealed entries in a contact's mailbox (issue 30), from a page or the service worker: each entry is
 * sealed to the mailbox key the contact handed this device, authenticated with the MAC key they gave it,
 * deposited with their capability, and followed by a push to their device (signed as every push to them is),
 * which carries the entry itself when it fits. A push never carries a Topic: a later one would replace an
 * earlier message the push service still holds.
 */
import { toBase64url } from '../push/base64url.js';
// Static: this module is itself loaded only when needed, and the service worker's build takes no dynamic import.
import { encryptPush } from '../push/push-crypto.js';
import { MESSAGE_PUSH_TTL_S, buildPushPayload, signPush, type UnsignedPushData } from '../push/push-wire.js';
import type { WhisperDatabase } from '../storage/database.js';
import type { MailboxClient, MailboxFailure } from './mailbox-client.js';
import { MailboxKeys } from './mailbox-keys.js';
import { MAILBOX_ENTRY_BUCKETS, seal, type MailboxMessage } from './sealed-entry.js';

export interface OutboxContext {
  db: WhisperDatabase;
  /** This device's key. */
  device: string;
  client: MailboxClient;
  /** The app's origin: where a push's notification opens. */
  origin: string;
  /** This person's name as the others see it: shown only where no worker runs (Safari's declarative push). */
  name?: string;
}

export type DepositOutcome =
  /** Every entry is in their mailbox. */
  | { ok: true; deposited: string[] }
  /** The contact handed over no mailbox (or its key expired): the messages wait on this device. */
  | { ok: false; reason: 'no-mailbox'; deposited: string[] }
  /** The server refused or could not be reached: those deposited before stay deposited. */
  | { ok: false; reason: 'refused'; failure: MailboxFailure; deposited: string[] }
  /** An entry could not be sealed (too large for any bucket). */
  | { ok: false; reason: 'too-large'; deposited: string[] };

/**
 * Seals and deposits `messages` for `recipient`, in order, stopping at the first refusal; then one push per
 * entry deposited (`push` names what it says: a message, or a receipt; null, none: the entry waits for the app
 * to open, as a read receipt does, which is not worth a notification). Returns the ids deposited.
 */
export async function depositFor(context: OutboxContext, recipient: string, messages: readonly MailboxMessage[], push: 'message' | 'receipt' | null, room?: string): Promise<DepositOutcome> {
  const keys = new MailboxKeys(context.db);
  const target = await keys.targetOf(recipient);
  const deposited: string[] = [];
  if (!target) return { ok: false, reason: 'no-mailbox', deposited };
  const entries: Array<Uint8Array<ArrayBuffer>> = [];
  let outcome: DepositOutcome | null = null;
  for (const message of messages) {
    const sealed = await seal(message, target, { macKey: target.macKey, sender: context.device, recipient });
    if (!sealed.ok) {
      outcome = { ok: false, reason: 'too-large', deposited };
      break;
    }
    const answer = await context.client.deposit(target.mailbox, target.capability, sealed.entry as Uint8Array<ArrayBuffer>);
    if (!answer.ok) {
      outcome = { ok: false, reason: 'refused', failure: answer, deposited };
      break;
    }
    deposited.push(message.id);
    entries.push(sealed.entry as Uint8Array<ArrayBuffer>);
  }
  if (push) for (const entry of entries) await wake(context, recipient, target, entry, push, room);
  return outcome ?? { ok: true, deposited };
}

/** Pushes to the recipient's device, when it handed this device a subscription; the entry rides along when it is the smallest size. */
async function wake(context: OutboxContext, recipient: string, target: { mailbox: string; capability: string }, entry: Uint8Array, kind: 'message' | 'receipt', room?: string): Promise<void> {
  const contact = await context.db.get('contacts', recipient);
  const subscription = contact?.push;
  const where = room ?? contact?.rooms.at(-1);
  if (!contact || !subscription || !where) return;
  const data: UnsignedPushData = {
    kind,
    room: where,
    sender: context.device,
    ...(entry.length === MAILBOX_ENTRY_BUCKETS[0] ? { entry: toBase64url(entry) } : {}),
  };
  const signed = await signPush(data, subscription.key);
  const ciphertext = await encryptPush(subscription, buildPushPayload(context.origin, signed, context.name ?? ((await context.db.get('settings', 'name')) as string | undefined) ?? 'Whisper'));
  await context.client.wake(target.mailbox, target.capability, { endpoint: subscription.endpoint, ciphertext, ttl: MESSAGE_PUSH_TTL_S, urgency: kind === 'message' ? 'high' : 'normal' });
}
