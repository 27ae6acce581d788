/**
 * Tests only: the signal server's mailbox API (docs/protocol.md, "Mailbox (server API)") as the `fetch` a
 * MailboxClient or MailboxService takes, kept in memory. A mailbox is made by its owner's PUT and keeps the hash
 * of its read secret and of each writer's capability; a deposit gets an entry id of its own; a refusal is the
 * `{error, message}` body with the status of MAILBOX_ERRORS. What the real server checks besides (origins, rate
 * limits, media types, expiry) is tested against it in signal/mailbox/.
 */
import { MAILBOX_ERRORS, type MailboxErrorCode } from '../../signal/protocol/codes.js';
import { MAILBOX_ENTRY_BUCKETS } from '../../signal/protocol/limits.js';
import { fromBase64url, toBase64url } from '../push/base64url.js';
import { MAILBOX_ENTRY_TTL_MS, secretHash } from './mailbox-keys.js';

interface Entry {
  entry: string;
  at: number;
  expires: number;
  data: Uint8Array;
}

interface Mailbox {
  read: string;
  writers: Set<string>;
  /** Oldest first. */
  entries: Entry[];
}

/** A push a writer asked the server to send to the mailbox's owner. */
export interface WriterPush {
  mailbox: string;
  endpoint: string;
  ciphertext: Uint8Array;
  urgency: string;
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
const refuse = (error: MailboxErrorCode, message: string) => json(MAILBOX_ERRORS[error], { error, message });

export class MailboxServerStandIn {
  readonly #mailboxes = new Map<string, Mailbox>();
  /** Every push writers asked for, in order. */
  readonly pushes: WriterPush[] = [];
  /** How many entries a mailbox holds before a deposit is refused as `mailbox-full` (the server's MAILBOX_ENTRIES_PER_MAILBOX). */
  capacity = 500;

  readonly fetch: typeof fetch = (input, init) => this.#answer(new Request(input, init));

  /** The sealed entries a mailbox holds, oldest first. */
  entries(mailbox: string): Uint8Array[] {
    return (this.#mailboxes.get(mailbox)?.entries ?? []).map((entry) => entry.data);
  }

  /** The hashes of the capabilities that may write to a mailbox, as its owner last PUT them. */
  writers(mailbox: string): string[] {
    return [...(this.#mailboxes.get(mailbox)?.writers ?? [])];
  }

  async #answer(request: Request): Promise<Response> {
    const [, root, id, route, entryId, ...rest] = new URL(request.url).pathname.split('/');
    if (root !== 'mailbox' || !id || rest.length > 0) return refuse('not-found', 'no such mailbox route');
    const authorization = request.headers.get('Authorization') ?? '';
    if (authorization === '') return refuse('no-credential', 'send the secret as Authorization: Bearer <secret>');
    const secret = /^Bearer +(\S+) *$/i.exec(authorization)?.[1];
    if (!secret) return refuse('bad-request', 'Authorization must be Bearer <secret>');
    const hash = await secretHash(secret);
    const mailbox = this.#mailboxes.get(id);
    const method = request.method;

    if (route === undefined && method === 'PUT') {
      if (mailbox && mailbox.read !== hash) return refuse('forbidden', 'this mailbox has another read secret');
      const writers = new Set(((await request.json()) as { writers: string[] }).writers);
      if (mailbox) mailbox.writers = writers;
      else this.#mailboxes.set(id, { read: hash, writers, entries: [] });
      return json(mailbox ? 200 : 201, { writers: writers.size });
    }
    if (!mailbox) return refuse('unknown-mailbox', 'no such mailbox');
    const writing = (route === 'entries' && entryId === undefined && method === 'POST') || (route === 'push' && entryId === undefined && method === 'POST');
    if (writing && !mailbox.writers.has(hash)) return refuse('forbidden', 'this capability is not one of the mailbox’s writers');
    if (!writing && mailbox.read !== hash) return refuse('forbidden', 'this is not the mailbox’s read secret');

    if (route === 'entries' && entryId === undefined && method === 'POST') {
      const data = new Uint8Array(await request.arrayBuffer());
      if (!(MAILBOX_ENTRY_BUCKETS as readonly number[]).includes(data.length)) return refuse('not-a-bucket', `an entry is padded to one of ${MAILBOX_ENTRY_BUCKETS.join(', ')} bytes`);
      if (mailbox.entries.length >= this.capacity) return refuse('mailbox-full', 'the mailbox is full until its owner fetches it or entries expire');
      const at = Date.now();
      const entry: Entry = { entry: toBase64url(crypto.getRandomValues(new Uint8Array(16))), at, expires: at + MAILBOX_ENTRY_TTL_MS, data };
      mailbox.entries.push(entry);
      return json(201, { entry: entry.entry, expires: entry.expires });
    }
    if (route === 'entries' && entryId === undefined && method === 'GET') {
      return json(200, { entries: mailbox.entries.map(({ entry, at, expires, data }) => ({ entry, at, expires, data: toBase64url(data) })) });
    }
    if (route === 'entries' && entryId !== undefined && method === 'DELETE') {
      // Also when the entry is already gone (a retried delete).
      mailbox.entries = mailbox.entries.filter((entry) => entry.entry !== entryId);
      return new Response(null, { status: 204 });
    }
    if (route === 'push' && method === 'POST') {
      const push = (await request.json()) as { endpoint: string; ciphertext: string; urgency: string };
      this.pushes.push({ mailbox: id, endpoint: push.endpoint, ciphertext: fromBase64url(push.ciphertext), urgency: push.urgency });
      return json(200, { outcome: 'sent' });
    }
    return refuse('not-found', 'no such mailbox route');
  }
}
