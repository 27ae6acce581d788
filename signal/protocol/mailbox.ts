/**
 * The mailbox's HTTP API, written once for the server and the app (and its service worker): the bodies
 * it takes and gives, validated on both sides. Routes, statuses and limits: docs/protocol.md,
 * "Mailbox (server API)".
 *
 * Every id and secret is base64url without padding, in its one canonical spelling. A hash is
 * base64url(SHA-256(the secret's 32 bytes)).
 */
import * as v from 'valibot';
import { MAILBOX_ERRORS, type MailboxErrorCode } from './codes.js';
import { MAILBOX_ENTRY_ID_PATTERN, MAILBOX_ID_PATTERN, MAILBOX_MAX_WRITERS, MAILBOX_SECRET_PATTERN, PUSH_CIPHERTEXT_MAX_BYTES } from './limits.js';
import { PushAnswerSchema, PushCiphertextSchema, PushEndpointSchema, PushTtlSchema, PushUrgencySchema } from './messages.js';

const base64url = (pattern: RegExp, length: number) => v.pipe(v.string(), v.regex(pattern, `must be ${length} characters of canonical base64url`));

export const MailboxIdSchema = base64url(MAILBOX_ID_PATTERN, 22);
/** A read secret or a write capability, as sent in `Authorization: Bearer`. */
export const MailboxSecretSchema = base64url(MAILBOX_SECRET_PATTERN, 43);
/** The SHA-256 of a write capability, as the owner lists it. */
export const WriterHashSchema = base64url(MAILBOX_SECRET_PATTERN, 43);
export const MailboxEntryIdSchema = base64url(MAILBOX_ENTRY_ID_PATTERN, 22);

/** `PUT /mailbox/:id`: who may deposit (the hashes of their write capabilities); anyone left out no longer may. */
export const MailboxWritersSchema = v.object({
  writers: v.pipe(v.array(WriterHashSchema), v.maxLength(MAILBOX_MAX_WRITERS, `at most ${MAILBOX_MAX_WRITERS} writers`)),
});
export type MailboxWriters = v.InferOutput<typeof MailboxWritersSchema>;

/** `PUT /mailbox/:id` answers 201 when it made the mailbox, 200 when it replaced its writers. */
export const MailboxPutAnswerSchema = v.object({ writers: v.number() });

/** `POST /mailbox/:id/entries` answers 201 with the entry's id and when it expires (ms since the epoch). */
export const DepositAnswerSchema = v.object({ entry: MailboxEntryIdSchema, expires: v.number() });
export type DepositAnswer = v.InferOutput<typeof DepositAnswerSchema>;

/** One stored entry: when it was deposited and expires (ms since the epoch), and the sealed bytes in base64url. */
export const MailboxEntrySchema = v.object({
  entry: MailboxEntryIdSchema,
  at: v.number(),
  expires: v.number(),
  data: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]*$/, 'data is not base64url')),
});
export type MailboxEntry = v.InferOutput<typeof MailboxEntrySchema>;

/** `GET /mailbox/:id/entries`: every entry not expired, oldest first. */
export const MailboxEntriesSchema = v.object({ entries: v.array(MailboxEntrySchema) });
export type MailboxEntries = v.InferOutput<typeof MailboxEntriesSchema>;

/**
 * `POST /mailbox/:id/push`: a Web Push a writer encrypted for the owner's subscription (RFC 8291), to wake the
 * owner's device after a deposit. The fields of `push` over /ws, but no `topic`: a push service replaces a
 * waiting push by a later one with the same Topic, and one writer must not replace another's.
 */
export const MailboxPushSchema = v.object({
  endpoint: PushEndpointSchema,
  ciphertext: v.pipe(
    PushCiphertextSchema,
    v.check((text) => Math.floor((text.length * 3) / 4) <= PUSH_CIPHERTEXT_MAX_BYTES, `ciphertext must be at most ${PUSH_CIPHERTEXT_MAX_BYTES} bytes`),
  ),
  ttl: PushTtlSchema,
  urgency: PushUrgencySchema,
});
export type MailboxPush = v.InferOutput<typeof MailboxPushSchema>;

/** `POST /mailbox/:id/push` answers 200 with what became of the push, as `push-result` tells it over /ws. */
export const MailboxPushAnswerSchema = PushAnswerSchema;

const MAILBOX_ERROR_CODES = Object.keys(MAILBOX_ERRORS) as [MailboxErrorCode, ...MailboxErrorCode[]];

/** Every refusal: a stable code and words for people. */
export const MailboxErrorSchema = v.object({ error: v.picklist(MAILBOX_ERROR_CODES), message: v.string() });
export type MailboxError = v.InferOutput<typeof MailboxErrorSchema>;
