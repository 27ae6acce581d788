import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PUSH_HOSTS, checkEndpoint, isPrivateAddress, parseAllowedHost, publicOnlyLookup } from './push-target.js';
import { retryAfterSeconds } from './push-sender.js';

const allowed = DEFAULT_PUSH_HOSTS.map((host) => parseAllowedHost(host)!);

/** Each endpoint is refused, for a reason that says this. */
function expectRefused(cases: ReadonlyArray<readonly [endpoint: string, reason: string]>): void {
  for (const [endpoint, reason] of cases) {
    const result = checkEndpoint(endpoint, allowed);
    expect(result.ok, endpoint).toBe(false);
    expect((result as { reason: string }).reason, endpoint).toContain(reason);
  }
}

describe('push endpoints', () => {
  it('accepts the endpoints of the browsers push services', () => {
    for (const endpoint of [
      'https://fcm.googleapis.com/fcm/send/dGVzdA:APA91b',
      'https://updates.push.services.mozilla.com/wpush/v2/gAAAAABk',
      'https://web.push.apple.com/QGuQyavXutnMFaOn7AqVmJVf',
      'https://db5p.notify.windows.com/w/?token=BQYAAAD',
      `https://${'a'.repeat(63)}.notify.windows.com/w/?token=BQYAAAD`,
      'https://FCM.googleapis.com:443/fcm/send/abc',
    ]) {
      expect(checkEndpoint(endpoint, allowed), endpoint).toMatchObject({ ok: true });
    }
  });

  it('refuses other hosts, look-alikes, other ports, http, user info, IP addresses and long URLs', () => {
    expectRefused([
      ['https://fcm.googleapis.com.evil.example/x', 'not on a push service'],
      ['https://evilfcm.googleapis.com/x', 'not on a push service'],
      ['https://notify.windows.com/x', 'not on a push service'],
      // A wildcard stands for one label, as in a TLS certificate: no endless depth of names under it.
      ['https://a.db5p.notify.windows.com/w/?token=t', 'not on a push service'],
      [`https://${'a'.repeat(64)}.notify.windows.com/w/?token=t`, 'not on a push service'],
      ['https://fcm.googleapis.com:8443/x', 'not on a push service'],
      ['http://fcm.googleapis.com/x', 'must be https'],
      ['https://a:b@fcm.googleapis.com/x', 'user name or password'],
      ['https://a@fcm.googleapis.com/x', 'user name or password'],
      ['https://10.0.0.1/x', 'IP address'],
      ['https://[::1]/x', 'IP address'],
      ['fcm.googleapis.com/x', 'not a URL'],
      [`https://fcm.googleapis.com/${'a'.repeat(1024)}`, 'longer than 1024'],
    ]);
  });

  it('gives one canonical form to every spelling of an endpoint, and the allowlist entry it matched', () => {
    const canonical = (endpoint: string) => {
      const result = checkEndpoint(endpoint, allowed);
      expect(result.ok, endpoint).toBe(true);
      return result.ok ? result.canonical : '';
    };
    for (const endpoint of [
      'https://FCM.googleapis.com/fcm/send/abc:APA91b',
      'https://fcm.googleapis.com:443/fcm/send/abc:APA91b',
      'https://fcm.googleapis.com:0443/fcm/send/abc:APA91b',
      'https://fcm.googleapis.com/x/../fcm/send/abc:APA91b',
      'https://fcm.googleapis.com/fcm/./send/abc:APA91b',
      'https://fcm.googleapis.com/fcm/x/%2e%2e/send/abc:APA91b',
      'https://fcm.googleapis.com\\fcm\\send\\abc:APA91b',
      'https://fcm.googleapis.com/fcm/send/%61bc:APA91b',
      'https://fcm.googleapis.com/%66cm/send/abc:APA91b',
    ]) {
      expect(canonical(endpoint), endpoint).toBe('https://fcm.googleapis.com/fcm/send/abc:APA91b');
    }
    // WNS names the subscription in its query, percent-encoded base64: %2f and %2F are one byte.
    expect(canonical('https://wns2-par02p.notify.windows.com/w/?token=BQYA%2f0s%2bz%3d')).toBe('https://wns2-par02p.notify.windows.com/w/?token=BQYA%2F0s%2Bz%3D');
    expect(canonical('https://WNS2-par02p.notify.windows.com:443/w/?token=BQYA%2F0s%2Bz%3D')).toBe('https://wns2-par02p.notify.windows.com/w/?token=BQYA%2F0s%2Bz%3D');
    const wns = checkEndpoint('https://db5p.notify.windows.com/w/?token=t', allowed);
    expect(wns.ok && wns.service).toEqual({ host: 'notify.windows.com', wildcard: true, port: 443 });
  });

  it('refuses what could spell an endpoint another way: a fragment, a query beside a path that names it, an empty segment, a stray %', () => {
    expectRefused([
      ['https://fcm.googleapis.com/fcm/send/abc#1', 'fragment'],
      ['https://fcm.googleapis.com/fcm/send/abc#', 'fragment'],
      ['https://fcm.googleapis.com/fcm/send/abc?x=1', 'must have no query'],
      ['https://fcm.googleapis.com/fcm/send/abc?', 'must have no query'],
      ['https://fcm.googleapis.com/fcm/send/abc?token=abc', 'must have no query'],
      ['https://fcm.googleapis.com/fcm/send/abc/', 'must name a subscription'],
      ['https://fcm.googleapis.com/', 'must name a subscription'],
      ['https://db5p.notify.windows.com/w/?token=t&x=1', 'must name a subscription'],
      ['https://db5p.notify.windows.com/w/?Token=t', 'must name a subscription'],
      ['https://fcm.googleapis.com/fcm//send/abc', 'empty path segment'],
      ['https://fcm.googleapis.com/fcm/send/a%zzbc', 'percent-encoded byte'],
      ['https://db5p.notify.windows.com/w/?token=a%2', 'percent-encoded byte'],
    ]);
  });

  it('reads allowlist entries: host, *.domain, and an explicit port', () => {
    expect(parseAllowedHost('*.notify.windows.com')).toEqual({ host: 'notify.windows.com', wildcard: true, port: 443 });
    expect(parseAllowedHost('localhost:8443')).toEqual({ host: 'localhost', wildcard: false, port: 8443 });
    for (const bad of ['', 'https://fcm.googleapis.com', 'fcm.googleapis.com/x', '*', 'a..b', 'host:0', 'host:70000']) expect(parseAllowedHost(bad), bad).toBeNull();
    expect(checkEndpoint('https://localhost:8443/push/1', [parseAllowedHost('localhost:8443')!])).toMatchObject({ ok: true });
    expect(checkEndpoint('https://localhost/push/1', [parseAllowedHost('localhost:8443')!])).toMatchObject({ ok: false });
  });
});

describe('private addresses', () => {
  it('knows loopback, private, link-local, CGNAT, multicast and unique-local addresses, also IPv4 written as IPv6', () => {
    for (const address of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.10', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', 'not-an-address']) {
      expect(isPrivateAddress(address), address).toBe(true);
    }
    for (const address of ['142.250.74.106', '17.253.144.10', '172.32.0.1', '2a00:1450:4001:82b::200a', '::ffff:8.8.8.8']) {
      expect(isPrivateAddress(address), address).toBe(false);
    }
  });

  it('knows the IPv6 ranges that carry an IPv4 address, and judges them by the IPv4 address they carry', () => {
    for (const address of [
      '64:ff9b::7f00:1', // NAT64 (RFC 6052) of 127.0.0.1
      '64:ff9b::10.0.0.1',
      '64:ff9b::a9fe:a9fe', // 169.254.169.254, a cloud's metadata service
      '2002:7f00:1::1', // 6to4 (RFC 3056) of 127.0.0.1
      '2002:c0a8:101::1', // 6to4 of 192.168.1.1
      '::ffff:7f00:1', // IPv4-mapped, written in hex
      '::ffff:0:7f00:1', // IPv4-translated (RFC 7915)
      '::7f00:1', // IPv4-compatible (deprecated, RFC 4291): refused whatever it carries
      '::8.8.8.8',
      'fe80::1%eth0',
    ]) {
      expect(isPrivateAddress(address), address).toBe(true);
    }
    for (const address of ['64:ff9b::808:808', '64:ff9b::8.8.4.4', '2002:808:808::1', '::ffff:0:808:808']) {
      expect(isPrivateAddress(address), address).toBe(false);
    }
  });

  it('knows site-local, discard-only, documentation, Teredo and the other reserved ranges', () => {
    for (const address of ['fec0::1', 'feff::1', '100::1', '2001:db8::1', '2001::1', '2001:1ff::1', '192.0.2.1', '192.88.99.1', '198.51.100.7', '203.0.113.9', '255.255.255.255']) {
      expect(isPrivateAddress(address), address).toBe(true);
    }
    for (const address of ['2001:200::1', '2003::1']) expect(isPrivateAddress(address), address).toBe(false);
  });

  it('refuses every range the TURN server denies its peers (turnserver.conf), first and last address', () => {
    const conf = readFileSync(join(import.meta.dirname, '../../turnserver.conf'), 'utf8');
    const ranges = [...conf.matchAll(/^denied-peer-ip=(\S+)$/gm)].map(([, range]) => range!.split('-'));
    expect(ranges.length).toBeGreaterThan(10);
    for (const range of ranges) {
      for (const address of range) expect(isPrivateAddress(address), range.join('-')).toBe(true);
    }
  });

  it('refuses, at lookup, a name that resolves to loopback, unless private addresses are allowed', async () => {
    const lookup = (allowPrivate: boolean) =>
      new Promise<{ error: Error | null; address: unknown }>((resolve) => publicOnlyLookup(allowPrivate)('localhost', {}, (error, address) => resolve({ error, address })));
    const refused = await lookup(false);
    expect(refused.error?.message).toBe('localhost resolves to a private address');
    const allowedLookup = await lookup(true);
    expect(allowedLookup.error).toBeNull();
    expect(['127.0.0.1', '::1']).toContain(allowedLookup.address);
  });
});

describe('Retry-After', () => {
  it('reads seconds and HTTP dates, bounded to 1 s to an hour, 60 s when missing or unreadable', () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    expect(retryAfterSeconds('120', now)).toBe(120);
    expect(retryAfterSeconds('Tue, 01 Dec 2026 12:05:00 GMT', now)).toBe(300);
    expect(retryAfterSeconds('0', now)).toBe(1);
    expect(retryAfterSeconds('999999', now)).toBe(3600);
    expect(retryAfterSeconds(undefined, now)).toBe(60);
    expect(retryAfterSeconds('soon', now)).toBe(60);
  });
});
