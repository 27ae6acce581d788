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

/**
 * One allowlist entry: `host`, or `*.domain` for any one label under it (as in a TLS certificate: not
 * `a.b.domain`); `:port` allows that port instead of 443.
 */
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

/** What a wildcard stands for: one DNS label, at most 63 characters (RFC 1035). */
const ONE_LABEL = /^[a-z0-9_-]{1,63}$/;

/** A subscription named by the query, as WNS does (`/w/?token=…`): one parameter, its value percent-encoded. */
const QUERY_TOKEN = /^\?token=[A-Za-z0-9._~%-]+$/;

export type TargetCheck =
  | {
      ok: true;
      url: URL;
      /** The endpoint in one spelling for all that name the same subscription: what its limits are kept by. */
      canonical: string;
      /** The allowlist entry it matched: a push service's Retry-After holds for all of it. */
      service: AllowedHost;
    }
  | { ok: false; reason: string };

/**
 * The endpoint's form and host, before any connection. Its spellings (host case, default port, dot segments,
 * backslashes, percent-encoding) come to one `canonical` form, and what could spell it another way without
 * changing the subscription (a fragment, an extra query, a trailing or doubled slash) is refused.
 */
export function checkEndpoint(endpoint: string, allowed: readonly AllowedHost[]): TargetCheck {
  const refuse = (reason: string): TargetCheck => ({ ok: false, reason });
  if (endpoint.length > MAX_ENDPOINT_LENGTH) return refuse(`endpoint is longer than ${MAX_ENDPOINT_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return refuse('endpoint is not a URL');
  }
  if (url.protocol !== 'https:') return refuse('endpoint must be https');
  if (url.username !== '' || url.password !== '') return refuse('endpoint must not carry a user name or password');
  if (isIP(url.hostname.replace(/^\[|\]$/g, '')) !== 0) return refuse('endpoint must name a push service, not an IP address');
  const port = url.port === '' ? 443 : Number(url.port);
  const host = url.hostname.toLowerCase();
  const under = (domain: string) => host.endsWith(`.${domain}`) && ONE_LABEL.test(host.slice(0, -domain.length - 1));
  const service = allowed.find((entry) => entry.port === port && (entry.wildcard ? under(entry.host) : host === entry.host));
  if (!service) return refuse('endpoint is not on a push service this server sends to');
  // Nowhere else in a URL of this form can a # stand: it starts a fragment, which is never sent.
  if (endpoint.includes('#')) return refuse('endpoint must not have a fragment');
  const segments = url.pathname.split('/').slice(1);
  if (segments.slice(0, -1).includes('')) return refuse('endpoint must not have an empty path segment (//)');
  // Either the path's last segment names the subscription, or (after a path ending in /) a token in the query.
  if (segments.at(-1) !== '') {
    if (url.href.includes('?')) return refuse('endpoint must have no query: its path names the subscription');
  } else if (!QUERY_TOKEN.test(url.search)) {
    return refuse('endpoint must name a subscription: in the last segment of its path, or in a query ?token=');
  }
  const rest = url.pathname + url.search;
  if (/%(?![0-9A-Fa-f]{2})/.test(rest)) return refuse('endpoint has a % that is not a percent-encoded byte');
  return { ok: true, url, canonical: url.origin + canonicalEscapes(rest), service };
}

/** Percent-encoding as RFC 3986 (6.2.2) compares it: unreserved characters decoded, other escapes in upper case. */
function canonicalEscapes(text: string): string {
  return text.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => {
    const character = String.fromCharCode(parseInt(hex, 16));
    return /[A-Za-z0-9._~-]/.test(character) ? character : `%${hex.toUpperCase()}`;
  });
}

/**
 * Addresses a push must never reach: this machine, its networks, the link, and what is not routed on the
 * Internet. The same ranges as the TURN server's `denied-peer-ip` (turnserver.conf; a test holds them together).
 */
const PRIVATE_IPV4 = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  PRIVATE_IPV4.addSubnet(network, prefix, 'ipv4');
}
const PRIVATE_IPV6 = new BlockList();
for (const [network, prefix] of [
  // IPv4-compatible (::a.b.c.d), deprecated by RFC 4291 and used by no push service; with :: and ::1.
  ['::', 96],
  // NAT64 for a network's own translator (RFC 8215): what it reaches is that network's business.
  ['64:ff9b:1::', 48],
  ['100::', 64],
  // Teredo and the IETF's protocol assignments, and documentation.
  ['2001::', 23],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  // Site-local, deprecated (RFC 3879) but still routed inside some networks.
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  PRIVATE_IPV6.addSubnet(network, prefix, 'ipv6');
}

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return PRIVATE_IPV4.check(address, 'ipv4');
  if (family !== 6) return true;
  const parts = ipv6Parts(address);
  // One with a zone (fe80::1%eth0) is on a link of this machine.
  if (parts === null) return true;
  const carried = carriedIPv4(parts);
  if (carried !== null) return PRIVATE_IPV4.check(carried, 'ipv4');
  return PRIVATE_IPV6.check(address, 'ipv6');
}

/**
 * The IPv4 address an IPv6 address stands for, where a packet to it reaches that IPv4 host: mapped
 * (::ffff:a.b.c.d), translated (::ffff:0:a.b.c.d), NAT64 (64:ff9b::a.b.c.d, a DNS64 network's answer for
 * an IPv4-only push service) and 6to4 (2002:aabb:ccdd::). Null for any other.
 */
function carriedIPv4(p: number[]): string | null {
  const zeros = (from: number, to: number) => p.slice(from, to).every((part) => part === 0);
  const ipv4 = (high: number, low: number) => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  if (zeros(0, 5) && p[5] === 0xffff) return ipv4(p[6]!, p[7]!);
  if (zeros(0, 4) && p[4] === 0xffff && p[5] === 0) return ipv4(p[6]!, p[7]!);
  if (p[0] === 0x64 && p[1] === 0xff9b && zeros(2, 6)) return ipv4(p[6]!, p[7]!);
  if (p[0] === 0x2002) return ipv4(p[1]!, p[2]!);
  return null;
}

/**
 * The eight 16-bit groups of an IPv6 address, or null for one URL syntax does not take (a zone). The URL
 * serializer writes every form in hex groups (ipaddr.js reads ::a.b.c.d as ::ffff:a.b.c.d, which would let
 * IPv4-compatible addresses pass as mapped).
 */
function ipv6Parts(address: string): number[] | null {
  if (!URL.canParse(`http://[${address}]`)) return null;
  const [head = '', tail] = new URL(`http://[${address}]`).hostname.slice(1, -1).split('::');
  const groups = (text: string) => (text === '' ? [] : text.split(':').map((group) => parseInt(group, 16)));
  const start = groups(head);
  if (tail === undefined) return start;
  const end = groups(tail);
  return [...start, ...Array<number>(8 - start.length - end.length).fill(0), ...end];
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
