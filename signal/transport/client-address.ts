/**
 * Who a request comes from. The socket's own address, unless the socket is a
 * trusted proxy (TRUSTED_PROXIES): then the client is the last address in
 * X-Forwarded-For that is not itself a trusted proxy, since each proxy appends
 * the address it was reached from and only the trusted ones can be believed.
 *
 * Limits count per address key: an IPv4 address, or an IPv6 /64 (one
 * household or one phone gets a whole /64, so single IPv6 addresses are free
 * to anyone who wants many). An IPv6 client is counted again in the /56 and
 * the /48 that hold its /64: a tunnel's /48 holds 65,536 /64s.
 */
import ipaddr from 'ipaddr.js';
import type { HttpRequest } from 'uWebSockets.js';
import type { AddressKeys } from '../limits/address-limits.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Range = [Address, number];

/** A list of CIDRs (or single addresses), each IPv4 or IPv6; an IPv4 entry also matches its IPv4-mapped IPv6 form. */
export class AddressList {
  readonly #ranges: Range[];

  constructor(entries: readonly string[]) {
    this.#ranges = entries.map(parseRange);
  }

  get size(): number {
    return this.#ranges.length;
  }

  has(address: Address): boolean {
    const plain = address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() ? (address as ipaddr.IPv6).toIPv4Address() : address;
    return this.#ranges.some((range) => plain.kind() === range[0].kind() && plain.match(range));
  }
}

/** Whether `entry` is an address or a CIDR, for validating settings. */
export function isAddressOrCidr(entry: string): boolean {
  return ipaddr.isValid(entry) || ipaddr.isValidCIDR(entry);
}

function parseRange(entry: string): Range {
  if (ipaddr.isValidCIDR(entry)) {
    const [address, bits] = ipaddr.parseCIDR(entry);
    return normalizeRange(address, bits);
  }
  const address = ipaddr.parse(entry);
  return normalizeRange(address, address.kind() === 'ipv4' ? 32 : 128);
}

function normalizeRange(address: Address, bits: number): Range {
  // ::ffff:10.0.0.0/104 is 10.0.0.0/8 as the processed addresses it is compared with are written.
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) return [(address as ipaddr.IPv6).toIPv4Address(), bits - 96];
  return [address, bits];
}

/** Parses an address as the socket layer or a proxy writes it; IPv4-mapped IPv6 becomes IPv4. Null when it is not one. */
export function parseAddress(text: string): Address | null {
  let trimmed = text.trim();
  // X-Forwarded-For from some proxies carries [v6] or v4:port.
  if (trimmed.startsWith('[')) trimmed = trimmed.slice(1, trimmed.indexOf(']') === -1 ? undefined : trimmed.indexOf(']'));
  else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(trimmed)) trimmed = trimmed.slice(0, trimmed.lastIndexOf(':'));
  if (!ipaddr.isValid(trimmed)) return null;
  try {
    return ipaddr.process(trimmed);
  } catch {
    return null;
  }
}

const LOOPBACK = new AddressList(['127.0.0.0/8', '::1/128']);

export function isLoopback(address: Address): boolean {
  return LOOPBACK.has(address);
}

/** The client as far as can be believed: see the file's comment. */
export function clientAddress(peer: Address, forwardedFor: string, trusted: AddressList): Address {
  if (trusted.size === 0 || forwardedFor === '' || !trusted.has(peer)) return peer;
  const hops = forwardedFor.split(',');
  let client = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = parseAddress(hops[i]!);
    // A hop that is not an address (garbage, "unknown"): what is left of the header was written by no one we trust.
    if (!hop) return client;
    client = hop;
    if (!trusted.has(hop)) return hop;
  }
  return client;
}

/** What limits count by, narrowest first: the IPv4 address; or the IPv6 address's /64, then the /56 and the /48 holding it. */
export function addressKeys(address: Address): AddressKeys {
  if (address.kind() === 'ipv4') return [address.toString()];
  const parts = (address as ipaddr.IPv6).parts;
  return [prefix(parts, 64), prefix(parts, 56), prefix(parts, 48)];
}

/** The network of `bits` (a multiple of 8) holding the address, written like `2001:db8:1:200::/56`. */
function prefix(parts: number[], bits: number): string {
  const words = parts.slice(0, Math.ceil(bits / 16));
  if (bits % 16 !== 0) words[words.length - 1]! &= 0xffff << (16 - (bits % 16));
  return `${words.map((part) => part.toString(16)).join(':')}::/${bits}`;
}

/** Reads the socket's address from uWS's text form (IPv6 sockets report IPv4 clients as ::ffff:a.b.c.d). */
export function socketAddress(text: string): Address {
  return parseAddress(text) ?? ipaddr.parse('0.0.0.0');
}

/**
 * Every X-Forwarded-For line of the request, joined in order: a proxy may add a line of its own instead of
 * extending the last (HAProxy does), and reading only the first would read what the client wrote.
 */
export function forwardedFor(req: HttpRequest): string {
  const lines: string[] = [];
  req.forEach((name, value) => {
    if (name === 'x-forwarded-for') lines.push(value);
  });
  return lines.join(',');
}
