import { createPublicKey, verify } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { VapidKeys } from './vapid.js';

const SUBJECT = 'mailto:ops@whisper.example';
const folders: string[] = [];
async function folder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'whisper-vapid-'));
  folders.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of folders.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** Verifies `vapid t=<jwt>, k=<key>` as a push service does; returns the claims. */
function readAuthorization(header: string): { aud: string; exp: number; sub: string; key: string } {
  const [, jwt, key] = /^vapid t=(\S+), k=(\S+)$/.exec(header)!;
  const [head, body, signature] = jwt!.split('.') as [string, string, string];
  const point = Buffer.from(key!, 'base64url');
  const publicKey = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') }, format: 'jwk' });
  expect(JSON.parse(Buffer.from(head, 'base64url').toString())).toEqual({ typ: 'JWT', alg: 'ES256' });
  expect(verify('sha256', Buffer.from(`${head}.${body}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'))).toBe(true);
  return { ...(JSON.parse(Buffer.from(body, 'base64url').toString()) as { aud: string; exp: number; sub: string }), key: key! };
}

describe('VAPID keys', () => {
  it('are made on first boot, kept in the data directory, and read back the same on the next', async () => {
    const dataDir = join(await folder(), 'nested');
    const first = await VapidKeys.load({ publicKey: null, privateKey: null, dataDir, subject: SUBJECT });
    expect(first.created).toBe(true);
    const second = await VapidKeys.load({ publicKey: null, privateKey: null, dataDir, subject: SUBJECT });
    expect(second.created).toBe(false);
    expect(second.keys.publicKey).toBe(first.keys.publicKey);
    const stored = JSON.parse(await readFile(join(dataDir, 'vapid.json'), 'utf8')) as { publicKey: string };
    expect(stored.publicKey).toBe(first.keys.publicKey);
  });

  it('made by several processes at once on a shared folder: all end up with the same keys', async () => {
    const dataDir = await folder();
    const loads = await Promise.all(Array.from({ length: 6 }, () => VapidKeys.load({ publicKey: null, privateKey: null, dataDir, subject: SUBJECT })));
    expect(new Set(loads.map((load) => load.keys.publicKey)).size).toBe(1);
    expect(loads.filter((load) => load.created)).toHaveLength(1);
  });

  it('sign a JWT for the push service origin, valid at most 24 h, with the subject, verifiable with the public key', () => {
    const { keys } = VapidKeys.generate(SUBJECT);
    const now = Date.now();
    const claims = readAuthorization(keys.authorization(new URL('https://fcm.googleapis.com/fcm/send/abc'), now));
    expect(claims.aud).toBe('https://fcm.googleapis.com');
    expect(claims.sub).toBe(SUBJECT);
    expect(claims.key).toBe(keys.publicKey);
    expect(claims.exp * 1000 - now).toBeGreaterThan(3600_000);
    expect(claims.exp * 1000 - now).toBeLessThanOrEqual(24 * 3600_000);
    // Reused for a while, then renewed.
    const first = keys.authorization(new URL('https://fcm.googleapis.com/x'), now);
    expect(keys.authorization(new URL('https://fcm.googleapis.com/other'), now + 1000)).toBe(first);
    expect(keys.authorization(new URL('https://fcm.googleapis.com/x'), now + 7 * 3600_000)).not.toBe(first);
  });

  it('keep few tokens however many push services there are: the one used longest ago is signed again when needed', () => {
    const { keys } = VapidKeys.generate(SUBJECT);
    const now = Date.now();
    const fcm = keys.authorization(new URL('https://fcm.googleapis.com/fcm/send/a'), now);
    const wns = (i: number) => new URL(`https://h${i}.notify.windows.com/w/?token=t`);
    for (let i = 0; i < 10; i++) keys.authorization(wns(i), now);
    expect(keys.authorization(new URL('https://fcm.googleapis.com/fcm/send/b'), now)).toBe(fcm);
    for (let i = 0; i < 5000; i++) expect(readAuthorization(keys.authorization(wns(i), now)).aud).toBe(`https://h${i}.notify.windows.com`);
    const again = keys.authorization(new URL('https://fcm.googleapis.com/fcm/send/c'), now);
    expect(again).not.toBe(fcm);
    expect(readAuthorization(again).aud).toBe('https://fcm.googleapis.com');
  });

  it('taken from the environment must be a matching pair', async () => {
    const { stored } = VapidKeys.generate(SUBJECT);
    const given = await VapidKeys.load({ ...stored, dataDir: await folder(), subject: SUBJECT });
    expect(given.keys.publicKey).toBe(stored.publicKey);
    const other = VapidKeys.generate(SUBJECT).stored;
    expect(() => VapidKeys.fromKeys(stored.publicKey, other.privateKey, SUBJECT)).toThrow('do not belong together');
    expect(() => VapidKeys.fromKeys('AAAA', other.privateKey, SUBJECT)).toThrow('65 bytes');
  });

  it('refuse a damaged key file with a clear message', async () => {
    const dataDir = await folder();
    await writeFile(join(dataDir, 'vapid.json'), '{"publicKey": ');
    await expect(VapidKeys.load({ publicKey: null, privateKey: null, dataDir, subject: SUBJECT })).rejects.toThrow('vapid.json is not JSON');
  });
});
