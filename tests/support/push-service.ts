/**
 * A Web Push service of our own (RFC 8030), for the tests: HTTPS on loopback
 * with a certificate from a test CA (push-service-tls/; the signal process
 * trusts it through NODE_EXTRA_CA_CERTS). Like a real one, it checks the VAPID
 * JWT (RFC 8292: ES256, `aud` its origin, `exp` within 24 h, `sub` mailto: or
 * https:) against the key in the Authorization header, and the headers.
 *
 * Its subscriptions are of two kinds. A browser's own: Firefox subscribes
 * through its push client (autopush-server.ts, the service's WebSocket side),
 * and what is pushed to it goes there, for Firefox alone to decrypt. Or a stub
 * the test makes, for a browser that cannot reach a push service here
 * (Chromium): the service holds its keys, and the test can decrypt what it
 * received (RFC 8291) through `http_ece`, a separate implementation.
 */
import { createECDH, createPublicKey, randomBytes, verify, type ECDH } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import ece from 'http_ece';
import type { BrowserContext } from 'playwright-core';

const TLS = join(import.meta.dirname, 'push-service-tls');
/** The CA the signal process must trust to reach this service (NODE_EXTRA_CA_CERTS). */
export const PUSH_SERVICE_CA = join(TLS, 'ca.crt');

export interface StubSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

export interface ReceivedPush {
  subscription: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Why the push service refused it (a bad VAPID token or header), or null. */
  problem: string | null;
  vapid: { aud: string; exp: number; sub: string; key: string } | null;
}

export interface ScriptedReply {
  status: number;
  headers?: Record<string, string>;
  /** Send the status, then one byte of body every 100 ms and never end it: each byte keeps an idle timeout away. */
  trickle?: boolean;
}

interface Subscriber {
  /** The keys of a stub subscription (the test made it, and can decrypt for it); none for a browser's own. */
  ecdh?: ECDH;
  auth?: Buffer;
  /** Hands an accepted push on to the browser that subscribed (autopush-server.ts), as the service's connection to it. */
  deliver?: (push: ReceivedPush) => void;
  /** Replies to give, in order; then 201. */
  replies: ScriptedReply[];
  /**
   * The VAPID key the browser subscribed with (RFC 8292, section 4.2: a push signed by another key is
   * refused with 403); null once it unsubscribed (410 Gone); undefined for one no browser made.
   */
  key?: string | null;
}

export class PushService {
  readonly received: ReceivedPush[] = [];
  readonly #subscribers = new Map<string, Subscriber>();
  readonly #waiters: Array<() => void> = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<PushService> {
    const server = createServer({ key: readFileSync(join(TLS, 'push.key')), cert: readFileSync(join(TLS, 'push.crt')) });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const service = new PushService(server, (server.address() as { port: number }).port);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const id = /^\/push\/([A-Za-z0-9_-]+)$/.exec(req.url ?? '')?.[1] ?? '';
        const subscriber = service.#subscribers.get(id);
        const push: ReceivedPush = { subscription: id, headers: req.headers, body: Buffer.concat(chunks), problem: null, vapid: null };
        let status = 201;
        let headers: Record<string, string> = {};
        let trickle = false;
        if (req.method !== 'POST') {
          push.problem = `method ${req.method}`;
          status = 405;
        } else if (!subscriber) {
          status = 404;
        } else {
          const checked = checkVapid(req.headers.authorization, service.origin);
          push.vapid = checked.vapid;
          push.problem = checked.problem ?? checkHeaders(req.headers, push.body.length);
          const scripted = subscriber.replies.shift();
          if (push.problem) status = push.vapid ? 400 : 401;
          else if (subscriber.key === null) status = 410;
          else if (subscriber.key !== undefined && subscriber.key !== push.vapid?.key) {
            push.problem = 'signed with another VAPID key than the subscription was made with';
            status = 403;
          } else if (scripted) ({ status, headers = {}, trickle = false } = scripted);
        }
        service.received.push(push);
        if (status === 201) subscriber?.deliver?.(push);
        if (trickle) {
          res.writeHead(status, headers).flushHeaders();
          const drip = setInterval(() => res.write('.'), 100);
          res.on('close', () => clearInterval(drip));
        } else {
          res.writeHead(status, headers).end();
        }
        for (const wake of service.#waiters.splice(0)) wake();
      });
    });
    return service;
  }

  /** The origin endpoints live under; `localhost`, so that the signal process resolves it (to loopback). */
  get origin(): string {
    return `https://localhost:${this.port}`;
  }

  /**
   * What the signal process needs to push through this service: VAPID on (its keys kept under its DATA_DIR),
   * this service's host allowed though it is on loopback, and its test CA trusted.
   */
  signalEnv(subject = 'mailto:ops@whisper.example'): Record<string, string> {
    return { VAPID_SUBJECT: subject, PUSH_ALLOWED_HOSTS: `localhost:${this.port}`, PUSH_ALLOW_PRIVATE_ADDRESSES: 'true', NODE_EXTRA_CA_CERTS: PUSH_SERVICE_CA };
  }

  /** A subscription as PushManager.subscribe would give it, with real keys: P-256 (p256dh) and a 16-byte auth secret. */
  subscribe(): StubSubscription {
    const id = randomBytes(12).toString('base64url');
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const auth = randomBytes(16);
    this.#subscribers.set(id, { ecdh, auth, replies: [] });
    return { endpoint: `${this.origin}/push/${id}`, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') } };
  }

  /**
   * A subscription a browser made through its own connection to this service (autopush-server.ts): pushes to
   * the endpoint, once accepted (VAPID signed by `key`), go to `deliver`. The browser holds the keys; the
   * service, like a real one, can read nothing of what it carries.
   */
  openChannel(key: string, deliver: (push: ReceivedPush) => void): string {
    const id = randomBytes(12).toString('base64url');
    this.#subscribers.set(id, { replies: [], key: key.replace(/=+$/, ''), deliver });
    return `${this.origin}/push/${id}`;
  }

  /** The browser unsubscribed: pushes to the endpoint are refused with 410 Gone from now on. */
  closeChannel(endpoint: string): void {
    const subscriber = this.#subscribers.get(endpoint.split('/').at(-1)!);
    if (subscriber) {
      subscriber.key = null;
      delete subscriber.deliver;
    }
  }

  /** The pushes accepted for `endpoint`, in order. */
  receivedFor(endpoint: string): ReceivedPush[] {
    const id = endpoint.split('/').at(-1);
    return this.received.filter((push) => push.subscription === id);
  }

  /** The VAPID key `subscription` was last made with by the browser; null once it unsubscribed. */
  keyOf(subscription: StubSubscription): string | null | undefined {
    return this.#subscriber(subscription).key;
  }

  /** The browser (un)subscribed `subscription` with this key. */
  bind(subscription: StubSubscription, key: string | null): void {
    this.#subscriber(subscription).key = key;
  }

  /** The next pushes to `subscription` get these replies (404 Gone, 429 with Retry-After, a redirect...). */
  reply(subscription: StubSubscription, ...replies: ScriptedReply[]): void {
    this.#subscriber(subscription).replies.push(...replies);
  }

  /** A payload encrypted for the subscription (RFC 8291) by http_ece, as another device would. */
  encryptFor(subscription: StubSubscription, plaintext: Buffer | string): Buffer {
    const sender = createECDH('prime256v1');
    sender.generateKeys();
    return ece.encrypt(Buffer.from(plaintext), { version: 'aes128gcm', privateKey: sender, dh: subscription.keys.p256dh, authSecret: subscription.keys.auth });
  }

  /** What the subscription's device would read from the push. */
  decrypt(subscription: StubSubscription, body: Buffer): Buffer {
    const { ecdh, auth } = this.#subscriber(subscription);
    if (!ecdh || !auth) throw new Error('a browser made this subscription: only it can decrypt');
    return ece.decrypt(body, { version: 'aes128gcm', privateKey: ecdh, authSecret: auth.toString('base64url') });
  }

  /** Waits for the push number `count` (1-based) to arrive. */
  async waitFor(count: number, timeoutMs = 10_000): Promise<ReceivedPush> {
    await this.#until(() => this.received.length >= count, () => `${this.received.length} pushes arrived, expected ${count}`, timeoutMs);
    return this.received[count - 1]!;
  }

  /** Waits for the push number `count` (1-based) to `endpoint`. */
  async waitForEndpoint(endpoint: string, count: number, timeoutMs = 10_000): Promise<ReceivedPush> {
    await this.#until(() => this.receivedFor(endpoint).length >= count, () => `${this.receivedFor(endpoint).length} pushes arrived for ${endpoint}, expected ${count}`, timeoutMs);
    return this.receivedFor(endpoint)[count - 1]!;
  }

  async #until(done: () => boolean, failure: () => string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`push service: ${failure()}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  #subscriber(subscription: StubSubscription): Subscriber {
    const id = subscription.endpoint.split('/').at(-1)!;
    const subscriber = this.#subscribers.get(id);
    if (!subscriber) throw new Error('not a subscription of this push service');
    return subscriber;
  }
}

/**
 * A browser that subscribes to this push service instead of its vendor's (which cannot be reached
 * here): PushManager.subscribe and getSubscription give `subscription`, kept across the page's reloads,
 * and the push service learns the VAPID key it was made with (or that it was unsubscribed), as a real
 * one does. The page's code is source text: a loader such as tsx would otherwise add helpers the page lacks.
 */
export async function stubPushManager(context: BrowserContext, service: PushService, subscription: StubSubscription): Promise<void> {
  await context.exposeBinding('whTestPushKey', (_source, key: string | null) => service.bind(subscription, key));
  await context.addInitScript({ content: `(${STUB_PUSH_MANAGER})(${JSON.stringify(subscription)});` });
}

const STUB_PUSH_MANAGER = `(stub) => {
  const bytes = (text) => Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4)), (c) => c.charCodeAt(0)).buffer;
  const text = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  const KEY = 'wh-test-push-subscription';
  const make = (applicationServerKey) => ({
    endpoint: stub.endpoint,
    expirationTime: null,
    options: { userVisibleOnly: true, applicationServerKey: bytes(applicationServerKey) },
    getKey: (name) => bytes(name === 'p256dh' ? stub.keys.p256dh : stub.keys.auth),
    unsubscribe: async () => (localStorage.removeItem(KEY), await window.whTestPushKey(null), true),
    toJSON: () => ({ endpoint: stub.endpoint, keys: stub.keys }),
  });
  PushManager.prototype.subscribe = async function (options) {
    const key = options && options.applicationServerKey;
    const keyText = typeof key === 'string' ? key : text(key instanceof ArrayBuffer ? key : key.slice().buffer);
    // A browser keeps one subscription per registration: another key is refused until it is unsubscribed.
    const held = localStorage.getItem(KEY);
    if (held && held !== keyText) throw new DOMException('A subscription with a different applicationServerKey already exists.', 'InvalidStateError');
    localStorage.setItem(KEY, keyText);
    await window.whTestPushKey(keyText);
    return make(keyText);
  };
  PushManager.prototype.getSubscription = async function () {
    const key = localStorage.getItem(KEY);
    return key ? make(key) : null;
  };
}`;

/** RFC 8292: `vapid t=<JWT>, k=<P-256 public key>`; the JWT signed by that key (ES256), for this origin, within 24 h. */
function checkVapid(header: string | undefined, origin: string): { vapid: ReceivedPush['vapid']; problem: string | null } {
  const match = /^vapid t=([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+), k=([A-Za-z0-9_-]+)$/.exec(header ?? '');
  if (!match) return { vapid: null, problem: 'no VAPID Authorization header' };
  const [, head, body, signature, key] = match as unknown as [string, string, string, string, string];
  const point = Buffer.from(key, 'base64url');
  if (point.length !== 65 || point[0] !== 4) return { vapid: null, problem: 'k is not an uncompressed P-256 point' };
  const publicKey = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') }, format: 'jwk' });
  const header_ = JSON.parse(Buffer.from(head, 'base64url').toString()) as { alg?: string; typ?: string };
  const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as { aud: string; exp: number; sub: string };
  const vapid = { ...claims, key };
  if (header_.alg !== 'ES256') return { vapid, problem: `JWT alg ${header_.alg}` };
  if (!verify('sha256', Buffer.from(`${head}.${body}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'))) return { vapid, problem: 'JWT signature does not verify' };
  if (claims.aud !== origin) return { vapid, problem: `JWT aud ${claims.aud}, not ${origin}` };
  const now = Date.now() / 1000;
  if (!(claims.exp > now && claims.exp <= now + 24 * 3600)) return { vapid, problem: 'JWT exp not within the next 24 hours' };
  if (!/^(mailto:|https:)/.test(claims.sub)) return { vapid, problem: `JWT sub ${claims.sub}` };
  return { vapid, problem: null };
}

function checkHeaders(headers: IncomingHttpHeaders, length: number): string | null {
  if (headers['content-encoding'] !== 'aes128gcm') return `Content-Encoding ${headers['content-encoding']}`;
  if (!/^\d+$/.test(String(headers.ttl ?? ""))) return `TTL ${String(headers.ttl)}`;
  if (headers.urgency !== undefined && !['very-low', 'low', 'normal', 'high'].includes(String(headers.urgency))) return `Urgency ${String(headers.urgency)}`;
  if (headers.topic !== undefined && !/^[A-Za-z0-9_-]{1,32}$/.test(String(headers.topic))) return `Topic ${String(headers.topic)}`;
  if (length > 4096) return 'payload over 4096 bytes';
  return null;
}
