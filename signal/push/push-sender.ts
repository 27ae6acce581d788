/**
 * Sends an encrypted push (RFC 8030) that an app built for another person's
 * device: the server checks where it goes, adds its VAPID signature and POSTs
 * the ciphertext unchanged. It cannot read the payload or make one of its own:
 * the encryption key is the subscription's, which only the two devices know.
 */
import { Agent, request } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { TokenBucket } from '../handlers/token-bucket.js';
import type { PushMessage } from '../protocol/messages.js';
import { checkEndpoint, publicOnlyLookup, PrivateAddressError, type AllowedHost } from './push-target.js';
import { RecentlyUsed } from './recently-used.js';
import type { VapidKeys } from './vapid.js';

export type PushOutcome =
  /** The push service took it. */
  | { outcome: 'sent' }
  /** 404/410: the subscription no longer exists. The sender forgets it. */
  | { outcome: 'gone' }
  /** 429 from the push service, or this server's own limits (the push service's, the address's, the endpoint's): try again after `retryAfter` seconds. */
  | { outcome: 'rate-limited'; retryAfter: number }
  /** 413: the payload is too large for the push service. */
  | { outcome: 'too-large' }
  /** 400, 401, 403 and other refusals of the request itself. */
  | { outcome: 'rejected'; status: number }
  /** This server would not send it: the endpoint or its address is not allowed. */
  | { outcome: 'refused'; reason: string }
  /** No answer, a redirect (never followed), or a failure of the push service. */
  | { outcome: 'failed'; reason: string };

export interface PushRequest extends Pick<PushMessage, 'endpoint' | 'ttl' | 'urgency' | 'topic'> {
  /** The aes128gcm body (RFC 8188/8291), as the sender's device encrypted it. */
  ciphertext: Uint8Array;
}

export interface PushSenderOptions {
  vapid: VapidKeys;
  allowedHosts: readonly AllowedHost[];
  /** Only for tests and a push service inside your own network. */
  allowPrivateAddresses: boolean;
  /** How long a push may take, from the lookup to the push service's last byte. */
  timeoutMs: number;
  /** Pushes per endpoint: a burst, then `perMinute` (also each connection's rate, after its own burst). */
  perEndpointBurst: number;
  perMinute: number;
  /** Pushes a minute from one client address (that many at once, refilled over a minute). */
  perAddressPerMinute: number;
}

/** Endpoints, and client addresses, whose limits are remembered; the one used longest ago is forgotten first. */
const MAX_TRACKED_ENDPOINTS = 10_000;
const MAX_TRACKED_ADDRESSES = 10_000;
const DEFAULT_RETRY_AFTER_S = 60;
const MAX_RETRY_AFTER_S = 3600;

export class PushSender {
  /** By the endpoint's canonical form, so that another spelling of it is no fresh bucket. */
  readonly #endpoints = new RecentlyUsed<string, TokenBucket>(MAX_TRACKED_ENDPOINTS);
  /**
   * By client address (client-address.ts `addressKey`), so that reconnecting gives no fresh pushes. Kept in
   * this process, not with the connection limits (signal/limits/, shared through Redis when scaled): a push
   * costs this server little, what the limit protects is the push services' view of its key, and one address
   * spread over N processes gets N times this, which is still bounded.
   */
  readonly #addresses = new RecentlyUsed<string, TokenBucket>(MAX_TRACKED_ADDRESSES);
  /** A 429's Retry-After for a whole allowlist entry (ms, Date.now()): the push service is throttling this server. */
  readonly #blockedUntil = new Map<AllowedHost, number>();
  readonly #agent: Agent;

  constructor(private readonly options: PushSenderOptions) {
    this.#agent = new Agent({ keepAlive: true, maxSockets: 32, timeout: options.timeoutMs });
  }

  get vapidPublicKey(): string {
    return this.options.vapid.publicKey;
  }

  /** Pushes a minute, per endpoint and per connection. */
  get perMinute(): number {
    return this.options.perMinute;
  }

  /** Sends `push` for a client at `address`, within the limits of the push service, the address and the endpoint. */
  async send(push: PushRequest, address: string): Promise<PushOutcome> {
    const target = checkEndpoint(push.endpoint, this.options.allowedHosts);
    if (!target.ok) return { outcome: 'refused', reason: target.reason };
    const now = Date.now();
    const blockedUntil = this.#blockedUntil.get(target.service) ?? 0;
    if (now < blockedUntil) return { outcome: 'rate-limited', retryAfter: Math.ceil((blockedUntil - now) / 1000) };
    // The address first: an address past its limit must not use up the endpoint's pushes, which are its owner's.
    const { perAddressPerMinute, perEndpointBurst, perMinute } = this.options;
    if (!this.#addresses.use(address, () => new TokenBucket(perAddressPerMinute, perAddressPerMinute / 60)).take()) {
      return { outcome: 'rate-limited', retryAfter: Math.ceil(60 / perAddressPerMinute) };
    }
    // Kept after a 404/410 too: an endpoint said to be gone is no reason to let more through.
    if (!this.#endpoints.use(target.canonical, () => new TokenBucket(perEndpointBurst, perMinute / 60)).take()) {
      return { outcome: 'rate-limited', retryAfter: Math.ceil(60 / perMinute) };
    }
    const outcome = await this.#post(target.url, push);
    if (outcome.outcome === 'rate-limited') {
      const until = Date.now() + outcome.retryAfter * 1000;
      this.#blockedUntil.set(target.service, Math.max(until, this.#blockedUntil.get(target.service) ?? 0));
    }
    return outcome;
  }

  close(): void {
    this.#agent.destroy();
  }

  #post(url: URL, push: PushRequest): Promise<PushOutcome> {
    const headers: Record<string, string | number> = {
      Authorization: this.options.vapid.authorization(url),
      TTL: push.ttl,
      Urgency: push.urgency,
      'Content-Encoding': 'aes128gcm',
      'Content-Type': 'application/octet-stream',
      'Content-Length': push.ciphertext.byteLength,
    };
    if (push.topic !== undefined) headers.Topic = push.topic;
    return new Promise((resolve) => {
      let settled = false;
      const settle = (outcome: PushOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        resolve(outcome);
      };
      const giveUp = () => {
        settle({ outcome: 'failed', reason: 'the push service did not answer in time' });
        req.destroy();
      };
      // `timeout` is idle time only: a service that sends a byte now and then would keep one of the agent's
      // few sockets for as long as it liked. This covers the whole exchange, from the lookup to the last byte.
      const deadline = setTimeout(giveUp, this.options.timeoutMs);
      const req = request(
        url,
        { method: 'POST', headers, agent: this.#agent, lookup: publicOnlyLookup(this.options.allowPrivateAddresses) as never, timeout: this.options.timeoutMs },
        (res) => {
          // The body says nothing the status does not; read it (bounded) so the connection can be reused.
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > 64 * 1024) res.destroy();
          });
          res.on('error', () => undefined);
          res.on('end', () => settle(outcomeOf(res)));
          res.on('close', () => settle(outcomeOf(res)));
        },
      );
      req.on('timeout', giveUp);
      req.on('error', (error) => {
        if (error instanceof PrivateAddressError || (error as { cause?: unknown }).cause instanceof PrivateAddressError) settle({ outcome: 'refused', reason: 'endpoint resolves to a private address' });
        else settle({ outcome: 'failed', reason: 'could not reach the push service' });
      });
      req.end(push.ciphertext);
    });
  }
}

function outcomeOf(res: IncomingMessage): PushOutcome {
  const status = res.statusCode ?? 0;
  if (status >= 200 && status < 300) return { outcome: 'sent' };
  if (status === 404 || status === 410) return { outcome: 'gone' };
  if (status === 429) return { outcome: 'rate-limited', retryAfter: retryAfterSeconds(res.headers['retry-after']) };
  if (status === 413) return { outcome: 'too-large' };
  if (status >= 300 && status < 400) return { outcome: 'failed', reason: `the push service answered ${status} (redirects are not followed)` };
  if (status >= 400 && status < 500) return { outcome: 'rejected', status };
  return { outcome: 'failed', reason: `the push service answered ${status}` };
}

/** Retry-After as seconds or as an HTTP date (RFC 9110), bounded. */
export function retryAfterSeconds(header: string | undefined, now = Date.now()): number {
  if (header === undefined) return DEFAULT_RETRY_AFTER_S;
  const trimmed = header.trim();
  let seconds: number;
  if (/^\d+$/.test(trimmed)) seconds = Number(trimmed);
  else {
    const at = Date.parse(trimmed);
    seconds = Number.isNaN(at) ? DEFAULT_RETRY_AFTER_S : Math.ceil((at - now) / 1000);
  }
  return Math.min(MAX_RETRY_AFTER_S, Math.max(1, seconds));
}
