import { describe, expect, it } from 'vitest';
import { AddressList, addressKeys, clientAddress, isLoopback, parseAddress, socketAddress } from './client-address.js';

/** The client's key as the server counts it, for a socket peer as uWS writes it and the request's X-Forwarded-For. */
function keyOf(peer: string, forwardedFor: string, trusted: string[] = []): string {
  return addressKeys(clientAddress(socketAddress(peer), forwardedFor, new AddressList(trusted)))[0];
}

describe('clientAddress', () => {
  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', () => {
    expect(keyOf('203.0.113.5', '198.51.100.1')).toBe('203.0.113.5');
    expect(keyOf('203.0.113.5', '198.51.100.1', ['10.0.0.0/8'])).toBe('203.0.113.5');
    // Loopback is not trusted unless listed: a client on the machine cannot claim to be anyone.
    expect(keyOf('127.0.0.1', '198.51.100.1', ['10.0.0.0/8'])).toBe('127.0.0.1');
  });

  it('believes a trusted proxy about who its client is', () => {
    expect(keyOf('10.0.0.2', '198.51.100.1', ['10.0.0.0/8'])).toBe('198.51.100.1');
    expect(keyOf('10.0.0.2', ' 198.51.100.1 ', ['10.0.0.2'])).toBe('198.51.100.1');
  });

  it('counts a trusted proxy that forwards nothing as the client', () => {
    expect(keyOf('10.0.0.2', '', ['10.0.0.0/8'])).toBe('10.0.0.2');
  });

  it('walks the hops right to left past the trusted proxies, ignoring what the client wrote before them', () => {
    // The client wrote 192.0.2.66 itself; its real address is what the first trusted proxy appended.
    const chain = '192.0.2.66, 198.51.100.1, 10.0.0.3, 10.0.0.4';
    expect(keyOf('10.0.0.5', chain, ['10.0.0.0/24'])).toBe('198.51.100.1');
    // With only the last proxy trusted, the hop before it is the client, whatever it is.
    expect(keyOf('10.0.0.5', chain, ['10.0.0.5'])).toBe('10.0.0.4');
    // Every hop trusted: the first one is where the request came from.
    expect(keyOf('10.0.0.5', '10.0.0.3, 10.0.0.4', ['10.0.0.0/24'])).toBe('10.0.0.3');
  });

  it('stops at a hop that is not an address: no trusted proxy wrote it', () => {
    expect(keyOf('10.0.0.5', '198.51.100.1, unknown, 10.0.0.4', ['10.0.0.0/24'])).toBe('10.0.0.4');
    expect(keyOf('10.0.0.5', '198.51.100.1, 999.1.1.1', ['10.0.0.0/24'])).toBe('10.0.0.5');
    expect(keyOf('10.0.0.5', '198.51.100.1,,10.0.0.4', ['10.0.0.0/24'])).toBe('10.0.0.4');
    expect(keyOf('10.0.0.5', '<script>', ['10.0.0.0/24'])).toBe('10.0.0.5');
  });

  it('matches an IPv4-mapped IPv6 peer, as an IPv6 socket reports IPv4 clients, with an IPv4 CIDR', () => {
    expect(socketAddress('::ffff:10.0.0.1').toString()).toBe('10.0.0.1');
    expect(keyOf('::ffff:10.0.0.1', '198.51.100.1', ['10.0.0.0/8'])).toBe('198.51.100.1');
    // ...and a mapped CIDR matches the plain IPv4 peer.
    expect(keyOf('10.0.0.1', '198.51.100.1', ['::ffff:10.0.0.0/104'])).toBe('198.51.100.1');
    expect(keyOf('::ffff:10.0.0.1', '198.51.100.1', ['11.0.0.0/8'])).toBe('10.0.0.1');
  });

  it('reads hops written as [v6], [v6]:port and v4:port', () => {
    expect(keyOf('10.0.0.2', '[2001:db8:1:2::7]', ['10.0.0.2'])).toBe('2001:db8:1:2::/64');
    expect(keyOf('10.0.0.2', '[2001:db8:1:2::7]:443', ['10.0.0.2'])).toBe('2001:db8:1:2::/64');
    expect(keyOf('10.0.0.2', '198.51.100.1:51234', ['10.0.0.2'])).toBe('198.51.100.1');
    expect(keyOf('10.0.0.2', '::ffff:198.51.100.1', ['10.0.0.2'])).toBe('198.51.100.1');
  });

  it('trusts IPv6 proxies by CIDR', () => {
    expect(keyOf('fd00::10', '198.51.100.1', ['fd00::/8'])).toBe('198.51.100.1');
    expect(keyOf('fe00::10', '198.51.100.1', ['fd00::/8'])).toBe('fe00:0:0:0::/64');
  });
});

describe('addressKeys', () => {
  const keysOf = (text: string) => addressKeys(parseAddress(text)!);

  it('counts an IPv4 address as itself, and nothing wider', () => {
    expect(keysOf('198.51.100.1')).toEqual(['198.51.100.1']);
    expect(keysOf('198.51.100.2')).toEqual(['198.51.100.2']);
  });

  it('counts IPv6 by /64: one key for a whole /64, another for the next', () => {
    const [one] = keysOf('2001:db8:1:2::1');
    const [sameSixtyFour] = keysOf('2001:db8:1:2:ffff:ffff:ffff:fffe');
    const [nextSixtyFour] = keysOf('2001:db8:1:3::1');
    expect(one).toBe('2001:db8:1:2::/64');
    expect(sameSixtyFour).toBe(one);
    expect(nextSixtyFour).toBe('2001:db8:1:3::/64');
  });

  it('counts IPv6 again by the /56 and the /48 holding the /64', () => {
    expect(keysOf('2001:db8:1:2::1')).toEqual(['2001:db8:1:2::/64', '2001:db8:1:0::/56', '2001:db8:1::/48']);
    expect(keysOf('2001:db8:1:ff:ffff::1')).toEqual(['2001:db8:1:ff::/64', '2001:db8:1:0::/56', '2001:db8:1::/48']);
    expect(keysOf('2001:db8:1:100::1')).toEqual(['2001:db8:1:100::/64', '2001:db8:1:100::/56', '2001:db8:1::/48']);
    expect(keysOf('2001:db8:1:ffff::1')).toEqual(['2001:db8:1:ffff::/64', '2001:db8:1:ff00::/56', '2001:db8:1::/48']);
    expect(keysOf('2001:db8:2:100::1')[1]).toBe('2001:db8:2:100::/56');
  });

  it('writes one key however the address is written', () => {
    expect(keysOf('2001:DB8:0001:0002:0:0:0:1')[0]).toBe('2001:db8:1:2::/64');
    expect(keysOf('::ffff:198.51.100.1')).toEqual(['198.51.100.1']);
  });
});

describe('parseAddress and isLoopback', () => {
  it('refuses what is not an address', () => {
    for (const text of ['', 'unknown', 'example.org', '300.1.1.1', '1.2.3.4:port', '2001:db8::1:443:1:2:3:4']) expect(parseAddress(text)).toBeNull();
  });

  it('knows loopback in both families and in mapped form', () => {
    for (const text of ['127.0.0.1', '127.0.0.5', '::1', '::ffff:127.0.0.1']) expect(isLoopback(parseAddress(text)!)).toBe(true);
    for (const text of ['10.0.0.1', '192.0.2.2', '::2', '2001:db8::1']) expect(isLoopback(parseAddress(text)!)).toBe(false);
  });
});
