import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { certificateKey, descriptionKeyProblem } from './device-proof.js';

const BOB = 'AB'.repeat(32);
const MALLORY = '0F'.repeat(32);
const colons = (key: string) => key.match(/../g)!.join(':');

/** A description as browsers write it: a session part, then one media section per m= line. */
function description(sessionLines: string[], mediaLines: string[][]): string {
  const session = ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0', ...sessionLines];
  const media = mediaLines.map((lines, i) => [`m=application 9 UDP/DTLS/SCTP webrtc-datachannel`, `a=mid:${i}`, ...lines].join('\r\n'));
  return `${[session.join('\r\n'), ...media].join('\r\n')}\r\n`;
}

describe('descriptionKeyProblem', () => {
  it('accepts a description whose every fingerprint is the announced key, at any level, in any case', () => {
    expect(descriptionKeyProblem(description([], [[`a=fingerprint:sha-256 ${colons(BOB)}`]]), BOB)).toBeNull();
    expect(descriptionKeyProblem(description([`a=fingerprint:SHA-256 ${colons(BOB).toLowerCase()}`], [[`a=fingerprint:sha-256 ${colons(BOB)}`], [`a=fingerprint:sha-256 ${colons(BOB)}`]]), BOB)).toBeNull();
  });

  it('refuses the announced key beside another one in the same media section (Firefox accepts a certificate matching either)', () => {
    expect(descriptionKeyProblem(description([], [[`a=fingerprint:sha-256 ${colons(BOB)}`, `a=fingerprint:sha-256 ${colons(MALLORY)}`]]), BOB)).toMatch(/another device/);
  });

  it('refuses the announced key at session level over another one in a media section, and the other way round', () => {
    expect(descriptionKeyProblem(description([`a=fingerprint:sha-256 ${colons(BOB)}`], [[`a=fingerprint:sha-256 ${colons(MALLORY)}`]]), BOB)).toMatch(/another device/);
    expect(descriptionKeyProblem(description([`a=fingerprint:sha-256 ${colons(MALLORY)}`], [[`a=fingerprint:sha-256 ${colons(BOB)}`]]), BOB)).toMatch(/another device/);
  });

  it('refuses a second media section that brings its own certificate', () => {
    expect(descriptionKeyProblem(description([], [[`a=fingerprint:sha-256 ${colons(BOB)}`], [`a=fingerprint:sha-256 ${colons(MALLORY)}`]]), BOB)).toMatch(/another device/);
  });

  it('refuses fingerprints of another hash, and forms a lenient parser might still read', () => {
    const sha1 = 'a=fingerprint:sha-1 ' + colons('AB'.repeat(20));
    expect(descriptionKeyProblem(description([], [[`a=fingerprint:sha-256 ${colons(BOB)}`, sha1]]), BOB)).toMatch(/not a SHA-256/);
    expect(descriptionKeyProblem(description([], [[`a=fingerprint:sha-256 ${colons(BOB)}`, `  a=fingerprint:sha-256 ${colons(MALLORY)}`]]), BOB)).toMatch(/another device/);
    expect(descriptionKeyProblem(description([], [[`a=fingerprint:sha-256 ${colons(BOB)}`, `A=Fingerprint : sha-256 ${colons(MALLORY)}`]]), BOB)).not.toBeNull();
    expect(descriptionKeyProblem(description([], [[`a=fingerprint:sha-256 ${colons(BOB)} extra`]]), BOB)).not.toBeNull();
    // A bare CR ends a line for some parsers.
    expect(descriptionKeyProblem(`${description([], [[`a=fingerprint:sha-256 ${colons(BOB)}`]])}x=1\ra=fingerprint:sha-256 ${colons(MALLORY)}\r\n`, BOB)).toMatch(/another device/);
  });

  it('refuses a description with no fingerprint at all', () => {
    expect(descriptionKeyProblem(description([], [['a=setup:actpass']]), BOB)).toMatch(/no fingerprint/);
  });
});

describe('certificateKey', () => {
  it('is the SHA-256 of the certificate, as the device key is written', async () => {
    const der = new Uint8Array([48, 130, 1, 2, 3, 4, 5]).buffer;
    expect(await certificateKey(der)).toBe(createHash('sha256').update(Buffer.from(der)).digest('hex').toUpperCase());
  });
});
