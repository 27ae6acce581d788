/**
 * The mailbox's HTTP API from a page or the service worker (docs/protocol.md, "Mailbox (server API)"):
 * same origin, the secret in `Authorization: Bearer`, every answer validated with the server's own
 * schemas. Never throws: a failure is an outcome with words for people, and the caller decides what
 * waits (a message never leaves the writer's device because a request failed).
 */
import * as v from 'valibot';
import { MAILBOX_ERRORS, type MailboxErrorCode } from '../../signal/protocol/codes.js';
import { DepositAnswerSchema, MailboxEntriesSchema, MailboxErrorSchema, MailboxPushAnswerSchema, type MailboxEntry } from '../../signal/protocol/mailbox.js';
import { toBase64url } from '../push/base64url.js';
import type { MailboxAddress } from './mailbox-keys.js';

export type MailboxFailure = { ok: false; code: MailboxErrorCode | 'network'; message: string };
export type MailboxOutcome<T> = { ok: true; value: T } | MailboxFailure;

/** What a writer asks the server to push to the mailbox's owner after a deposit (its own encryption, RFC 8291). */
export interface WakeRequest {
  endpoint: string;
  ciphertext: Uint8Array;
  ttl: number;
  urgency: 'very-low' | 'low' | 'normal' | 'high';
}

export class MailboxClient {
  readonly #origin: string;
  readonly #fetch: typeof fetch;

  constructor(origin: string, fetcher: typeof fetch = (input, init) => fetch(input, init)) {
    this.#origin = origin;
    this.#fetch = fetcher;
  }

  /** Makes this device's mailbox, or replaces who may write to it (the hashes of their capabilities). */
  putWriters(address: MailboxAddress, writers: readonly string[]): Promise<MailboxOutcome<void>> {
    return this.#request(`/mailbox/${address.mailbox}`, address.readSecret, { method: 'PUT', body: JSON.stringify({ writers }), headers: { 'Content-Type': 'application/json' } }, () => undefined);
  }

  /** Leaves a sealed entry in someone's mailbox with the capability they gave this device. */
  deposit(mailbox: string, capability: string, entry: Uint8Array<ArrayBuffer>): Promise<MailboxOutcome<string>> {
    return this.#request(`/mailbox/${mailbox}/entries`, capability, { method: 'POST', body: entry, headers: { 'Content-Type': 'application/octet-stream' } }, (body) => v.parse(DepositAnswerSchema, body).entry);
  }

  /** Asks the server to wake the mailbox's owner with a push this device encrypted; true when the push service took it. */
  async wake(mailbox: string, capability: string, push: WakeRequest): Promise<boolean> {
    const body = JSON.stringify({ endpoint: push.endpoint, ciphertext: toBase64url(push.ciphertext), ttl: push.ttl, urgency: push.urgency });
    const answer = await this.#request(`/mailbox/${mailbox}/push`, capability, { method: 'POST', body, headers: { 'Content-Type': 'application/json' } }, (json) => v.parse(MailboxPushAnswerSchema, json));
    return answer.ok && answer.value.outcome === 'sent';
  }

  /** Every entry waiting in this device's mailbox, oldest first. */
  entries(address: MailboxAddress): Promise<MailboxOutcome<MailboxEntry[]>> {
    return this.#request(`/mailbox/${address.mailbox}/entries`, address.readSecret, { method: 'GET' }, (body) => v.parse(MailboxEntriesSchema, body).entries);
  }

  /** Deletes one entry (stored here, or never to be opened). */
  delete(address: MailboxAddress, entry: string): Promise<MailboxOutcome<void>> {
    return this.#request(`/mailbox/${address.mailbox}/entries/${entry}`, address.readSecret, { method: 'DELETE' }, () => undefined);
  }

  async #request<T>(path: string, secret: string, init: RequestInit, read: (body: unknown) => T): Promise<MailboxOutcome<T>> {
    // Offline, nothing is tried: the callers try again when the network is back (and the server welcomes them).
    if (globalThis.navigator?.onLine === false) return { ok: false, code: 'network', message: 'this device is offline' };
    let response: Response;
    try {
      response = await this.#fetch(new URL(path, this.#origin), { ...init, headers: { ...init.headers, Authorization: `Bearer ${secret}` }, cache: 'no-store' });
    } catch {
      return { ok: false, code: 'network', message: 'the server cannot be reached' };
    }
    try {
      const body: unknown = response.status === 204 ? null : await response.json();
      if (response.ok) return { ok: true, value: read(body) };
      const error = v.safeParse(MailboxErrorSchema, body);
      if (error.success && MAILBOX_ERRORS[error.output.error] === response.status) return { ok: false, code: error.output.error, message: error.output.message };
    } catch {
      // Not the server's JSON: a proxy's page, a cut answer.
    }
    return { ok: false, code: 'network', message: `the server answered ${response.status}` };
  }
}
