/**
 * The mailbox's HTTP API without HTTP: a request as the route read it (method, path, the headers that
 * matter, the body, the client's address keys) in, a response out. It rate-limits, validates every input
 * against the shared schemas, acts on the store and answers with the codes of signal/protocol/codes.ts.
 * Transport-free, so it is unit-tested with no network; signal/transport/mailbox-route.ts is its uWS side.
 *
 * It logs no mailbox id, entry id, secret or push endpoint, and is never told who wrote an entry or asked
 * for a push.
 */
import type { Logger } from 'pino';
import * as v from 'valibot';
import type { AddressKeys, AddressLimiter, MailboxRequestKind, Refusal } from '../limits/address-limits.js';
import type { SignalMetrics } from '../ops/metrics.js';
import { MAILBOX_ERRORS, type MailboxErrorCode } from '../protocol/codes.js';
import { MAILBOX_ENTRY_BUCKETS, MAILBOX_ENTRY_MAX_BYTES, MAILBOX_MAX_WRITERS } from '../protocol/limits.js';
import {
  MailboxEntryIdSchema,
  MailboxIdSchema,
  MailboxPushSchema,
  MailboxSecretSchema,
  MailboxWritersSchema,
  type DepositAnswer,
  type MailboxError,
  type MailboxPush,
} from '../protocol/mailbox.js';
import { pushAnswer, PUSHES_OFF } from '../push/push-answer.js';
import type { PushOutcome, PushSender } from '../push/push-sender.js';
import { isOriginAllowed } from '../transport/origin-policy.js';
import { entriesBody } from './entries-body.js';
import { hashSecret, type MailboxStore, type SecretHash, type WriterCheck } from './mailbox-store.js';

/** The largest writer list as JSON, with room for spaces: 256 x 46 characters is under 12 KiB. */
const WRITERS_BODY_MAX_BYTES = 32 * 1024;
/** A push as JSON: 4,096 bytes of ciphertext are 5,462 characters of base64url, an endpoint at most 1,024. */
const PUSH_BODY_MAX_BYTES = 8 * 1024;

export type MailboxRoute =
  | { kind: 'mailbox'; id: string }
  | { kind: 'entries'; id: string }
  | { kind: 'entry'; id: string; entry: string }
  | { kind: 'push'; id: string };

const METHODS: Record<MailboxRoute['kind'], readonly string[]> = {
  mailbox: ['PUT', 'DELETE'],
  entries: ['GET', 'POST'],
  entry: ['DELETE'],
  push: ['POST'],
};

/** The route a path names (ids not yet validated), or null. */
export function parseMailboxPath(path: string): MailboxRoute | null {
  const parts = path.split('/');
  if (parts[0] !== '' || parts[1] !== 'mailbox' || parts[2] === undefined || parts[2] === '') return null;
  const id = parts[2];
  if (parts.length === 3) return { kind: 'mailbox', id };
  if (parts.length === 4 && parts[3] === 'push') return { kind: 'push', id };
  if (parts[3] !== 'entries') return null;
  if (parts.length === 4) return { kind: 'entries', id };
  if (parts.length === 5 && parts[4] !== '') return { kind: 'entry', id, entry: parts[4]! };
  return null;
}

/** How many bytes of body the route reads for this request: null, none. */
export function mailboxBodyLimit(method: string, path: string): number | null {
  const route = parseMailboxPath(path);
  if (route?.kind === 'mailbox' && method === 'PUT') return WRITERS_BODY_MAX_BYTES;
  if (route?.kind === 'entries' && method === 'POST') return MAILBOX_ENTRY_MAX_BYTES;
  if (route?.kind === 'push' && method === 'POST') return PUSH_BODY_MAX_BYTES;
  return null;
}

export interface MailboxRequest {
  /** Upper case. */
  method: string;
  path: string;
  authorization: string;
  contentType: string;
  origin: string;
  host: string;
  /** The body as read (null: none read), or 'too-large' past mailboxBodyLimit. */
  body: Uint8Array | 'too-large' | null;
  address: AddressKeys;
}

export interface MailboxResponse {
  status: number;
  headers: Array<[string, string]>;
  /** JSON (a fetch's entries as bytes already: entriesBody), or empty (204). */
  body: string | Uint8Array;
}

export interface MailboxServiceOptions {
  store: MailboxStore;
  addresses: AddressLimiter;
  metrics: SignalMetrics;
  log: Logger;
  allowedOrigins: readonly string[];
  /** Sends the pushes writers ask for (POST /mailbox/:id/push); null when this server sends none. */
  push: Pick<PushSender, 'send'> | null;
  /** How often expired entries and idle mailboxes are swept away. */
  sweepEveryMs: number;
}

/** A refusal, thrown inside a request and answered as JSON. */
class Refused extends Error {
  constructor(
    readonly code: MailboxErrorCode,
    message: string,
    readonly headers: Array<[string, string]> = [],
  ) {
    super(message);
  }
}

const JSON_HEADERS: Array<[string, string]> = [
  ['Content-Type', 'application/json'],
  ['Cache-Control', 'no-store'],
];

const json = (status: number, value: unknown): MailboxResponse => ({ status, headers: JSON_HEADERS, body: JSON.stringify(value) });

/** The media type without parameters, lower case. */
const mediaType = (header: string) => header.split(';')[0]!.trim().toLowerCase();

function parse<T extends v.GenericSchema>(schema: T, value: unknown, what: string): v.InferOutput<T> {
  const result = v.safeParse(schema, value);
  if (!result.success) throw new Refused('bad-request', `${what}: ${result.issues[0].message}`);
  return result.output;
}

export class MailboxService {
  readonly #options: MailboxServiceOptions;
  readonly #sweeper: ReturnType<typeof setInterval>;
  #sweeping = false;
  #warned = false;

  constructor(options: MailboxServiceOptions) {
    this.#options = options;
    this.#sweeper = setInterval(() => void this.sweep(), options.sweepEveryMs);
    this.#sweeper.unref?.();
  }

  /** Removes what expired; run by the timer, and by tests that cannot wait for it. */
  async sweep(): Promise<void> {
    if (this.#sweeping) return;
    this.#sweeping = true;
    try {
      const removed = await this.#options.store.sweep();
      this.#warned = false;
      this.#options.metrics.mailboxExpired.inc(removed.entries);
      if (removed.entries + removed.mailboxes > 0) this.#options.log.debug(removed, 'mailbox sweep');
    } catch (error) {
      this.#unavailable(error);
    } finally {
      this.#sweeping = false;
    }
  }

  async handle(request: MailboxRequest): Promise<MailboxResponse> {
    try {
      const response = await this.#answer(request);
      this.#warned = false;
      return response;
    } catch (error) {
      if (!(error instanceof Refused)) {
        this.#unavailable(error);
        error = new Refused('unavailable', 'the mailbox store cannot be reached; try again later', [['Retry-After', '5']]);
      }
      const refused = error as Refused;
      this.#options.metrics.mailboxRefused(refused.code);
      const body: MailboxError = { error: refused.code, message: refused.message };
      return { ...json(MAILBOX_ERRORS[refused.code], body), headers: [...JSON_HEADERS, ...refused.headers] };
    }
  }

  close(): void {
    clearInterval(this.#sweeper);
  }

  async #answer(request: MailboxRequest): Promise<MailboxResponse> {
    const route = parseMailboxPath(request.path);
    if (!route) throw new Refused('not-found', 'no such mailbox route');
    const allowed = METHODS[route.kind];
    if (!allowed.includes(request.method)) throw new Refused('method-not-allowed', `this route takes ${allowed.join(' and ')}`, [['Allow', allowed.join(', ')]]);
    // Browsers send Origin with every request but a same-origin GET: a page of another site is refused
    // (it would be anyway, having no CORS headers, but not before the request ran).
    if (!isOriginAllowed(request.origin, request.host, this.#options.allowedOrigins)) throw new Refused('forbidden', 'origin not allowed');
    // A writer's push counts as a deposit: it comes after one, from the same writer.
    const kind: MailboxRequestKind = (route.kind === 'entries' && request.method === 'POST') || route.kind === 'push' ? 'deposit' : 'fetch';
    await this.#rate(request.address, kind);
    const id = parse(MailboxIdSchema, route.id, 'mailbox id');
    const secret = hashSecret(this.#credential(request.authorization));
    const { store, metrics } = this.#options;

    if (route.kind === 'mailbox' && request.method === 'PUT') {
      const { writers } = parse(MailboxWritersSchema, this.#json(request, 'the writers', `at most ${MAILBOX_MAX_WRITERS} writers`), 'body');
      const outcome = await store.put(id, secret, writers);
      if (outcome === 'forbidden') throw new Refused('forbidden', 'this mailbox has another read secret');
      if (outcome === 'server-full') throw this.#serverFull();
      return json(outcome === 'created' ? 201 : 200, { writers: new Set(writers).size });
    }
    if (route.kind === 'push') return this.#push(id, secret, request);
    if (route.kind === 'mailbox') return this.#owner(await store.deleteMailbox(id, secret), () => ({ status: 204, headers: [['Cache-Control', 'no-store']], body: '' }));
    if (route.kind === 'entry') {
      const entry = parse(MailboxEntryIdSchema, route.entry, 'entry id');
      return this.#owner(await store.deleteEntry(id, secret, entry), () => ({ status: 204, headers: [['Cache-Control', 'no-store']], body: '' }));
    }
    if (request.method === 'GET') {
      return this.#owner(await store.entries(id, secret), (entries) => {
        metrics.mailboxFetches.inc();
        return { status: 200, headers: JSON_HEADERS, body: entriesBody(entries) };
      });
    }
    const data = this.#entry(request);
    const outcome = await store.deposit(id, secret, data);
    if (!outcome.ok) {
      switch (outcome.reason) {
        case 'unknown-mailbox':
        case 'forbidden':
          throw this.#notAWriter(outcome.reason);
        case 'mailbox-full':
          throw new Refused('mailbox-full', 'the mailbox is full until its owner fetches it or entries expire; nothing was removed to make room');
        case 'server-full':
          throw this.#serverFull();
      }
    }
    metrics.mailboxDeposits.inc();
    const answer: DepositAnswer = { entry: outcome.entry, expires: outcome.expires };
    return json(201, answer);
  }

  /** A writer wakes the mailbox's owner with a push it encrypted for the owner's subscription; nothing is stored. */
  async #push(id: string, writer: SecretHash, request: MailboxRequest): Promise<MailboxResponse> {
    const body = parse(MailboxPushSchema, this.#json(request, 'the push', `at most ${PUSH_BODY_MAX_BYTES} bytes`), 'body');
    const check = await this.#options.store.isWriter(id, writer);
    if (check !== 'ok') throw this.#notAWriter(check);
    const outcome = await this.#send(body, request.address);
    this.#options.metrics.pushes.inc({ outcome: outcome.outcome });
    this.#options.log.debug({ outcome: outcome.outcome }, 'mailbox push');
    return json(200, pushAnswer(outcome));
  }

  async #send(body: MailboxPush, address: AddressKeys): Promise<PushOutcome> {
    const { push, log } = this.#options;
    if (!push) return PUSHES_OFF;
    const request = { endpoint: body.endpoint, ciphertext: Buffer.from(body.ciphertext, 'base64url'), ttl: body.ttl, urgency: body.urgency };
    try {
      // By the address, as a push over /ws is counted: the two routes share its limits, and the endpoint's.
      return await push.send(request, address[0]);
    } catch (error) {
      log.error({ error: error instanceof Error ? error.message : String(error) }, 'mailbox push failed');
      return { outcome: 'failed', reason: 'internal error' };
    }
  }

  async #rate(address: AddressKeys, kind: MailboxRequestKind): Promise<void> {
    const refusal: Refusal | null = await this.#options.addresses.mailbox(address, kind);
    if (refusal) throw new Refused('rate-limited', `the server allows ${refusal.message}`, [['Retry-After', String(Math.max(1, Math.ceil(refusal.retryAfterMs / 1000)))]]);
  }

  #credential(header: string): string {
    if (header === '') throw new Refused('no-credential', 'send the secret as Authorization: Bearer <secret>', [['WWW-Authenticate', 'Bearer']]);
    const match = /^Bearer +(\S+) *$/i.exec(header);
    if (!match) throw new Refused('bad-request', 'Authorization must be Bearer <secret>');
    return parse(MailboxSecretSchema, match[1], 'secret');
  }

  /** The body as JSON: `what` it carries, and how much at most (`largest`) for a body past the route's limit. */
  #json(request: MailboxRequest, what: string, largest: string): unknown {
    if (request.body === 'too-large') throw new Refused('bad-request', `body: ${largest}`);
    if (mediaType(request.contentType) !== 'application/json') throw new Refused('unsupported-media-type', `send ${what} as application/json`);
    try {
      return JSON.parse(Buffer.from(request.body ?? new Uint8Array()).toString('utf8'));
    } catch {
      throw new Refused('bad-request', 'body: not JSON');
    }
  }

  #entry(request: MailboxRequest): Uint8Array {
    if (request.body === 'too-large') throw new Refused('entry-too-large', `an entry is at most ${MAILBOX_ENTRY_MAX_BYTES} bytes`);
    if (mediaType(request.contentType) !== 'application/octet-stream') throw new Refused('unsupported-media-type', 'send the sealed entry as application/octet-stream');
    const data = request.body ?? new Uint8Array();
    if (!(MAILBOX_ENTRY_BUCKETS as readonly number[]).includes(data.length)) {
      throw new Refused('not-a-bucket', `an entry is padded to one of ${MAILBOX_ENTRY_BUCKETS.join(', ')} bytes, not ${data.length}`);
    }
    return data;
  }

  #owner<T>(outcome: { ok: true; value: T } | { ok: false; reason: 'unknown-mailbox' | 'forbidden' }, answer: (value: T) => MailboxResponse): MailboxResponse {
    if (outcome.ok) return answer(outcome.value);
    if (outcome.reason === 'unknown-mailbox') throw new Refused('unknown-mailbox', 'no such mailbox');
    throw new Refused('forbidden', 'this is not the mailbox\'s read secret');
  }

  #notAWriter(reason: Exclude<WriterCheck, 'ok'>): Refused {
    if (reason === 'unknown-mailbox') return new Refused('unknown-mailbox', 'no such mailbox (its owner deleted it, or it was idle too long)');
    return new Refused('forbidden', 'this capability is not one of the mailbox\'s writers');
  }

  #serverFull(): Refused {
    return new Refused('server-full', 'the server holds as much as it may in mailboxes; the message waits on the writer\'s device', [['Retry-After', '3600']]);
  }

  /** Logged once until the store answers again; the error's words only, never a request's ids. */
  #unavailable(error: unknown): void {
    if (this.#warned) return;
    this.#warned = true;
    this.#options.log.warn({ error: error instanceof Error ? error.message : String(error) }, 'mailbox store unavailable');
  }
}
