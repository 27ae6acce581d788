/**
 * The server's VAPID identity (RFC 8292): a P-256 key pair whose public half
 * the app gives PushManager.subscribe, and whose private half signs a JWT for
 * every push, so that the push service accepts pushes to those subscriptions
 * from this server only. The private key never leaves the process.
 *
 * The keys come from the environment (VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY), or
 * from `vapid.json` in the data directory, made on first boot. Replacing them
 * invalidates every subscription: apps see the new key in `welcome` and
 * subscribe again.
 */
import { createECDH, createPrivateKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StartupError } from '../config.js';
import { RecentlyUsed } from './recently-used.js';

/** A JWT is valid this long (RFC 8292 allows up to 24 h); it is reused until half of that is left. */
const TOKEN_LIFETIME_S = 12 * 3600;
/**
 * Tokens kept for reuse. A token's `aud` must be the push service's origin (RFC 8292), so one per origin, and
 * a wildcard entry (`*.notify.windows.com`) allows origins without end: the cache keeps the ones used last,
 * enough for the few push services and their front ends that real subscriptions name; signing again costs
 * only one ECDSA signature.
 */
const MAX_CACHED_TOKENS = 32;

interface StoredKeys {
  publicKey: string;
  privateKey: string;
}

const base64url = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');

export class VapidKeys {
  readonly #privateKey: KeyObject;
  readonly #tokens = new RecentlyUsed<string, { header: string; renewAt: number }>(MAX_CACHED_TOKENS);

  private constructor(
    /** The uncompressed P-256 point (65 bytes), base64url: `applicationServerKey` for the app, `k=` for push services. */
    readonly publicKey: string,
    privateKey: KeyObject,
    /** Who runs this server, for the push service to contact: a mailto: or https: URL. */
    readonly subject: string,
  ) {
    this.#privateKey = privateKey;
  }

  /** From the two keys (base64url: the 65-byte public point and the 32-byte private scalar). */
  static fromKeys(publicKey: string, privateKey: string, subject: string): VapidKeys {
    const point = Buffer.from(publicKey, 'base64url');
    const scalar = Buffer.from(privateKey, 'base64url');
    if (point.length !== 65 || point[0] !== 4) throw new StartupError('VAPID public key must be an uncompressed P-256 point: 65 bytes, base64url');
    if (scalar.length !== 32) throw new StartupError('VAPID private key must be a P-256 private key: 32 bytes, base64url');
    let key: KeyObject;
    let derived: Buffer;
    try {
      // The public point computed from the private scalar: a JWK's own x and y are taken on trust.
      const ecdh = createECDH('prime256v1');
      ecdh.setPrivateKey(scalar);
      derived = ecdh.getPublicKey();
      key = createPrivateKey({ key: { kty: 'EC', crv: 'P-256', x: base64url(derived.subarray(1, 33)), y: base64url(derived.subarray(33)), d: base64url(scalar) }, format: 'jwk' });
    } catch {
      throw new StartupError('VAPID private key is not a valid P-256 key');
    }
    if (!derived.equals(point)) throw new StartupError('VAPID public and private keys do not belong together');
    return new VapidKeys(publicKey, key, subject);
  }

  static generate(subject: string): { keys: VapidKeys; stored: StoredKeys } {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = privateKey.export({ format: 'jwk' });
    const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
    const stored = { publicKey: base64url(point), privateKey: jwk.d! };
    return { keys: new VapidKeys(stored.publicKey, privateKey, subject), stored };
  }

  /**
   * The keys given in the environment, else those in `<dataDir>/vapid.json`,
   * else new ones written there (readable by this user only).
   */
  static async load(options: { publicKey: string | null; privateKey: string | null; dataDir: string; subject: string }): Promise<{ keys: VapidKeys; created: boolean }> {
    if (options.publicKey && options.privateKey) return { keys: VapidKeys.fromKeys(options.publicKey, options.privateKey, options.subject), created: false };
    const file = join(options.dataDir, 'vapid.json');
    const stored = await readStored(file);
    if (stored) return { keys: VapidKeys.fromKeys(stored.publicKey, stored.privateKey, options.subject), created: false };
    const made = VapidKeys.generate(options.subject);
    const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await mkdir(options.dataDir, { recursive: true });
      // Written whole, then linked into place, which fails if the file exists: a crash never leaves half a
      // key file, and of replicas that share the folder and start at once, all end up with the first one's keys.
      await writeFile(temporary, `${JSON.stringify(made.stored, null, 2)}\n`, { mode: 0o600 });
      await link(temporary, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        const theirs = await readStored(file);
        if (theirs) return { keys: VapidKeys.fromKeys(theirs.publicKey, theirs.privateKey, options.subject), created: false };
      }
      throw new StartupError(`cannot write new VAPID keys to ${file} (${(error as Error).message}): make DATA_DIR writable, or set VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY`);
    } finally {
      await unlink(temporary).catch(() => undefined);
    }
    return { keys: made.keys, created: true };
  }

  /** The `Authorization` header for a push to `endpoint`: `vapid t=<JWT for its origin>, k=<public key>`. */
  authorization(endpoint: URL, now = Date.now()): string {
    const audience = endpoint.origin;
    const cached = this.#tokens.get(audience);
    if (cached && now < cached.renewAt) return cached.header;
    const expires = Math.floor(now / 1000) + TOKEN_LIFETIME_S;
    const header = base64url(JSON.stringify({ typ: 'JWT', alg: 'ES256' }));
    const claims = base64url(JSON.stringify({ aud: audience, exp: expires, sub: this.subject }));
    const signature = sign('sha256', Buffer.from(`${header}.${claims}`), { key: this.#privateKey, dsaEncoding: 'ieee-p1363' });
    const value = `vapid t=${header}.${claims}.${base64url(signature)}, k=${this.publicKey}`;
    this.#tokens.set(audience, { header: value, renewAt: now + (TOKEN_LIFETIME_S / 2) * 1000 });
    return value;
  }
}

/** The keys kept in `file`, or null when there is no such file. */
async function readStored(file: string): Promise<StoredKeys | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new StartupError(`cannot read ${file}: ${(error as Error).message}`);
  }
  let stored: Partial<StoredKeys>;
  try {
    stored = JSON.parse(text) as Partial<StoredKeys>;
  } catch {
    throw new StartupError(`${file} is not JSON: remove it to make new VAPID keys (every app then subscribes again)`);
  }
  if (typeof stored.publicKey !== 'string' || typeof stored.privateKey !== 'string') throw new StartupError(`${file} lacks publicKey or privateKey`);
  return { publicKey: stored.publicKey, privateKey: stored.privateKey };
}
