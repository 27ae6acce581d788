/**
 * Where the server may send a push: an https endpoint of a known push service,
 * never an address of its own network. The app hands the server an endpoint it
 * got from another person's device, so the server treats it as hostile input:
 * the allowlist, the URL's form and, at connect time, the address it resolves to.
 */
import { BlockList, isIP } from 'node:net';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';

/** Push services of the browsers people use (Chrome/Edge on Android, Firefox, Safari, Windows). */
export const DEFAULT_PUSH_HOSTS = ['fcm.googleapis.com', 'updates.push.services.mozilla.com', 'web.push.apple.com', '*.notify.windows.com'] as const;

export const MAX_ENDPOINT_LENGTH = 1024;

/** One allowlist entry: `host`, or `*.domain` for any name under it; `:port` allows that port instead of 443. */
export interface AllowedHost {
  host: string;
  wildcard: boolean;
  port: number;
}

export function parseAllowedHost(entry: string): AllowedHost | null {
  const match = /^(\*\.)?([a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*)(?::(\d{1,5}))?$/.exec(entry.trim().toLowerCase());
  if (!match) return null;
  const port = match[3] === undefined ? 443 : Number(match[3]);
  if (port < 1 || port > 65535) return null;
  return { host: match[2]!, wildcard: match[1] !== undefined, port };
}

export type TargetCheck = { ok: true; url: URL } | { ok: false; reason: string };

/** The endpoint's form and host, before any connection. */
export function checkEndpoint(endpoint: string, allowed: readonly AllowedHost[]): TargetCheck {
  if (endpoint.length > MAX_ENDPOINT_LENGTH) return { ok: false, reason: `endpoint is longer than ${MAX_ENDPOINT_LENGTH} characters` };
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return { ok: false, reason: 'endpoint is not a URL' };
  }
  if (url.protocol !== 'https:') return { ok: false, reason: 'endpoint must be https' };
  if (url.username !== '' || url.password !== '') return { ok: false, reason: 'endpoint must not carry a user name or password' };
  if (isIP(url.hostname.replace(/^\[|\]$/g, '')) !== 0) return { ok: false, reason: 'endpoint must name a push service, not an IP address' };
  const port = url.port === '' ? 443 : Number(url.port);
  const host = url.hostname.toLowerCase();
  const listed = allowed.some((entry) => entry.port === port && (entry.wildcard ? host.endsWith(`.${entry.host}`) : host === entry.host));
  if (!listed) return { ok: false, reason: 'endpoint is not on a push service this server sends to' };
  return { ok: true, url };
}

/** Addresses a push must never reach: this machine, its networks, and the link. */
const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 127],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b:1::', 48],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv6');
}

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return PRIVATE.check(address, 'ipv4');
  if (family !== 6) return true;
  // An IPv4 address written as IPv6 (::ffff:a.b.c.d) is judged as the IPv4 address it is.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE.check(mapped[1]!, 'ipv4');
  return PRIVATE.check(address, 'ipv6');
}

export class PrivateAddressError extends Error {
  readonly code = 'EPRIVATEADDRESS';
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for https.request that refuses private addresses: checked on the
 * addresses the connection will use, so a name that resolves to a public
 * address for the check and a private one for the connection cannot slip by.
 */
export function publicOnlyLookup(allowPrivate: boolean) {
  return (hostname: string, options: object, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const usable = allowPrivate ? addresses : addresses.filter((entry) => !isPrivateAddress(entry.address));
      if (usable.length === 0) return callback(new PrivateAddressError(`${hostname} resolves to a private address`), []);
      if ((options as { all?: boolean }).all) return callback(null, usable);
      callback(null, usable[0]!.address, usable[0]!.family);
    });
  };
}
